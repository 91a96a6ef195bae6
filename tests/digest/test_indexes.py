"""A digest run reads the posts of its period and each member's own recent posts. Those reads must
go through indexes (forum.0006_post_created_indexes): on a database of 1,000,000 posts, a scan took
300-400 ms per batch of members (bench/README.md), and a run makes several batches. The queries
are the digest's own, captured as they run, with SQLite's query plan for each."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from tests.conftest import LiveServer, query_plan


async def test_digest_reads_of_posts_use_indexes(live: LiveServer) -> None:
    from convene.db import default_db
    from digest.personal import load_read_state, load_replies
    from digest.window import load_window

    async def plans() -> dict[str, list[str]]:
        client = default_db()
        seen: list[tuple[str, list[Any]]] = []
        original = type(client).execute_query_dict, type(client).execute_query

        async def dict_spy(self: Any, query: str, values: Any = None) -> Any:
            seen.append((query, list(values or [])))
            return await original[0](self, query, values)

        async def query_spy(self: Any, query: str, values: Any = None) -> Any:
            seen.append((query, list(values or [])))
            return await original[1](self, query, values)

        type(client).execute_query_dict, type(client).execute_query = dict_spy, query_spy
        try:
            end = live.clock.now()
            start = end - timedelta(days=7)
            await load_window(start, end)
            await load_replies([1, 2, 3], start, end)
            await load_read_state({1: start, 2: start, 3: start}, start)
        finally:
            type(client).execute_query_dict, type(client).execute_query = original
        found = {}
        for query, values in seen:
            if '"posts"' in query:
                found[query] = await query_plan(query, values)
        return found

    found = await asyncio.to_thread(live.run, plans)
    assert len(found) >= 3, found
    scans = {q: [d for d in plan if d.startswith("SCAN") and "posts" in d] for q, plan in found.items()}
    assert {q: s for q, s in scans.items() if s} == {}
