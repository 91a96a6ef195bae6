"""The reads every page view makes are written out as SQL (convene/db.py Statement) for speed: they
must give exactly what the Tortoise queries they replaced gave (the same rows, keys, values and
types, in the same order), on SQLite and on PostgreSQL. The references below are those queries."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from tortoise.expressions import RawSQL

import forum.threads as threads_module
from convene.errors import NotFound
from forum import service
from forum.access import GroupAccess, get_access, get_access_by_slug
from forum.editing import redact_deleted
from forum.models import Group, Membership, Notification, Post, Thread
from forum.moderation import redact_hidden
from forum.notifications import _readable
from forum.threads import POST_COLUMNS, THREAD_COLUMNS, THREADS_PER_PAGE
from forum.unread import annotate_unread
from members.models import MemberWarning, User
from members.sessions import do_start_session, get_session_user
from tests.conftest import LiveServer, query_plan, unique
from tests.forum.conftest import aseed, new_group, new_reply, new_thread, new_user, seed
from tests.pgserver import postgres_app


@pytest.fixture(scope="module")
def pg_live(tmp_path_factory: pytest.TempPathFactory, smtp: Any) -> Any:
    with postgres_app(tmp_path_factory.mktemp("pghot"), smtp.port) as server:
        yield server


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest) -> LiveServer:
    return request.getfixturevalue("live" if request.param == "sqlite" else "pg_live")


def fields(obj: Any) -> dict[str, Any] | None:
    """A model object's column values, with their types, or None."""
    if obj is None:
        return None
    return {name: (getattr(obj, name), type(getattr(obj, name))) for name in obj._meta.fields_db_projection}


def exactly(rows: Any) -> str:
    # repr shows key order, value types and time zones, which == does not compare.
    return repr(rows)


async def reference_posts(
    access: GroupAccess, thread: Thread, offset: int, limit: int
) -> list[dict[str, Any]]:
    query = Post.filter(thread_id=thread.id).order_by("number").offset(offset).limit(limit)
    rows = await query.values(*POST_COLUMNS)
    for row in rows:
        row["depth"] = 0
    return redact_deleted(redact_hidden(rows, reveal=access.can_moderate), reveal=access.can_moderate)


async def reference_threads(access: GroupAccess, offset: int, limit: int) -> list[dict[str, Any]]:
    rows = (
        await Thread.filter(group_id=access.group.id, deleted_at=None)
        .annotate(pinned=RawSQL('CASE WHEN "threads"."pinned_at" IS NULL THEN 0 ELSE 1 END'))
        .order_by("-pinned", "-pinned_at", "-last_post_at", "-id")
        .offset(offset)
        .limit(limit)
        .values(*THREAD_COLUMNS)
    )
    return await annotate_unread(access.actor, rows)


async def test_hot_reads_give_what_the_orm_queries_gave(server: LiveServer, monkeypatch: Any) -> None:
    live = server
    mod, member, outsider, admin = (
        new_user(live, "facilitator"),
        new_user(live),
        new_user(live),
        new_user(live, "admin"),
    )
    group = new_group(live, mod, "private", name=f"Hot reads {unique('')}")
    seed(live, service.do_add_member(mod, group, member, clock=live.clock))
    live.clock.advance(seconds=5)
    # A long thread: replies answering earlier posts (with their authors), mentions (which
    # notify), one edited, one hidden, one deleted; then enough threads for two pages, some pinned.
    thread = new_thread(live, mod, group, title="A long one", body="Opening")
    posts = [seed(live, lambda: Post.get(thread_id=thread.id, number=1))]
    for i in range(55):
        live.clock.advance(seconds=7)
        parent = posts[i // 2] if i % 3 == 0 else None
        body = f"@{member.username} reply {i}" if i % 11 == 0 else f"reply {i}"
        posts.append(new_reply(live, mod if i % 2 else member, thread, body, parent=parent))

    async def vary() -> None:
        now = live.clock.now()
        await Post.filter(id=posts[3].id).update(edited_at=now, edit_count=2)
        await Post.filter(id=posts[4].id).update(hidden_at=now, hide_reason="Off topic")
        await Post.filter(id=posts[5].id).update(deleted_at=now, deleted_by_id=mod.id, delete_reason="Dup")
        await Post.filter(id=posts[11].id).update(hidden_at=now)  # a mention, hidden: not counted

    await aseed(live, vary)
    threads = [thread]
    for i in range(THREADS_PER_PAGE + 4):
        live.clock.advance(seconds=3)
        threads.append(new_thread(live, member if i % 2 else mod, group, title=f"Thread number {i}"))

    async def pin_and_delete() -> None:
        base = live.clock.now()
        for k, t in enumerate(threads[2:6]):  # four pinned, at different times
            await Thread.filter(id=t.id).update(pinned_at=base - timedelta(minutes=k))
        await Thread.filter(id=threads[7].id).update(deleted_at=base)
        await Thread.filter(id=threads[8].id).update(pinned_at=base, deleted_at=base)
        same = await Thread.get(id=threads[12].id)
        await Thread.filter(id__in=[threads[13].id, threads[14].id]).update(last_post_at=same.last_post_at)

    await aseed(live, pin_and_delete)
    seed(live, service.do_visit_thread(member, thread, 20, clock=live.clock))
    seed(live, service.do_visit_thread(member, threads[10], 1, clock=live.clock))

    async def compare() -> None:
        for viewer in (member, mod, outsider, admin, None):
            ref_access = await get_access(viewer, await Group.get(slug=group.slug))
            got_access = await get_access_by_slug(viewer, group.slug)
            assert got_access is not None and got_access.actor is ref_access.actor
            assert fields(got_access.group) == fields(ref_access.group)
            assert fields(got_access.membership) == fields(ref_access.membership)
            assert fields(ref_access.membership) == fields(
                await Membership.get_or_none(group_id=group.id, user_id=getattr(viewer, "id", 0))
            )
            assert await get_access_by_slug(viewer, "no-such-group") is None
            try:
                access, shown = await service.get_thread(viewer, thread.id, group.slug)
            except NotFound:
                assert viewer in (outsider, None)
                continue
            reference = await Thread.get(id=thread.id).select_related("group", "author")
            assert fields(shown) == fields(reference)
            assert fields(shown.group) == fields(reference.group)
            assert fields(shown.author) == fields(reference.author)
            assert fields(access.membership) == fields(ref_access.membership)
            for page in (1, 2):
                got_posts, pagination = await service.list_thread_posts(access, shown, page=page)
                ref = await reference_posts(access, shown, pagination.offset, pagination.per_page)
                assert exactly(got_posts) == exactly(ref) and len(got_posts) == (50 if page == 1 else 6)
                group_access = await service.get_group(viewer, group.slug)
                listed, pages = await service.list_group_threads(group_access, page=page)
                ref_threads = await reference_threads(group_access, pages.offset, pages.per_page)
                assert exactly(listed) == exactly(ref_threads) and listed
        with pytest.raises(NotFound):
            await service.get_thread(member, thread.id, "another-group")
        # Pinned threads spilling over onto the next pages: the offsets of both reads add up.
        monkeypatch.setattr(threads_module, "THREADS_PER_PAGE", 3)
        group_access = await service.get_group(member, group.slug)
        seen, page, last = [], 0, 1
        while page < last:
            page += 1
            listed, pages = await service.list_group_threads(group_access, page=page)
            assert pages.per_page == 3 and pages.page == page
            last = pages.pages
            ref_threads = await reference_threads(group_access, pages.offset, pages.per_page)
            assert exactly(listed) == exactly(ref_threads)
            seen += [t["id"] for t in listed]
        assert len(seen) == len(set(seen)) == len(threads) - 2  # every thread once, but the deleted

        for viewer in (member, mod, outsider, admin):
            reference = (
                await Notification.filter(user_id=viewer.id, read_at=None).filter(_readable(viewer)).count()
            )
            assert await service.count_unread_notifications(viewer) == reference
        assert await service.count_unread_notifications(member) > 0

        token = await do_start_session(member, live.clock, 14)
        signed = await get_session_user(token, live.clock, 14)
        assert fields(signed) == fields(await User.get(id=member.id))
        assert await get_session_user(token + "x", live.clock, 14) is None
        assert not await MemberWarning.filter(user_id=member.id).exists()

    await aseed(live, compare)


async def test_every_hand_written_statement_reads_through_indexes(live: LiveServer) -> None:
    """Each Statement runs on every page view or chat message, so none may scan a table: as the
    site grows, a scan grows with it (slow mode's check once read every message its sender had
    ever sent in the room). SQLite's query plan for each, on the migrated schema."""
    import importlib
    import pkgutil

    from convene.db import Statement

    statements: dict[str, Statement] = {}
    for package in (
        "convene",
        "forum",
        "realtime",
        "messages",
        "members",
        "digest",
        "consultations",
        "library",
    ):
        for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
            if ".migrations" in info.name:
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if isinstance(value, Statement):
                    statements[f"{info.name}.{name}"] = value
    assert "realtime.service._GROUP_SEND_STATE" in statements and len(statements) >= 15

    async def plans() -> dict[str, list[str]]:
        found = {}
        for name, statement in statements.items():
            sql = statement.sql("sqlite", (1,) * statement._source.count("(?...)"))
            found[name] = await query_plan(sql, [None] * sql.count("?"))
        return found

    found = await asyncio.to_thread(live.run, plans)
    scans = {
        name: [d for d in details if d.startswith("SCAN") and d != "SCAN CONSTANT ROW"]
        for name, details in found.items()
    }
    assert {name: s for name, s in scans.items() if s} == {}
