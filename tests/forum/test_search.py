"""Search over HTTP: ranking, highlighting (with HTML-special characters safely escaped), filters,
sorting, validation, and the authorisation matrix: whoever searches, a post in a group they may not
read never appears, nor does a hidden one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from forum import service
from forum.models import Post
from forum.moderation import do_hide_post
from forum.search import rebuild_search_index
from tests.conftest import Browserish, unique
from tests.forum.conftest import (
    aseed,
    build_world,
    client_for,
    new_group,
    new_reply,
    new_thread,
    new_user,
    seed,
)
from tests.pgserver import postgres_app


async def search(client: Browserish, **params: Any) -> dict[str, Any]:
    r = await client.api("GET", "/api/v1/search", params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def test_title_matches_rank_first_and_matches_are_highlighted(live: Any) -> None:
    word = unique("zq")
    owner = new_user(live, "facilitator")
    group = new_group(live, owner, "public")
    in_body = new_thread(live, owner, group, title="Housing in spring", body=f"Someone said {word} once.")
    in_title = new_thread(live, owner, group, title=f"All about {word}", body="Nothing else here.")
    in_reply = new_reply(
        live, owner, in_body, body=f"{word} {word} {word}: repeated, so it ranks above one mention."
    )

    async with Browserish(live.url) as client:
        found = await search(client, q=word)
        assert found["total"] == 3
        order = [(h["thread_id"], h["number"]) for h in found["hits"]]
        assert order[0] == (in_title.id, 1)  # the title counts most
        assert order.index((in_body.id, in_reply.number)) < order.index((in_body.id, 1))
        title_hit = found["hits"][0]
        assert title_hit["title_html"] == f"All about <mark>{word}</mark>"
        reply_hit = next(h for h in found["hits"] if h["number"] == in_reply.number)
        assert f"<mark>{word}</mark> <mark>{word}</mark>" in reply_hit["snippet_html"]
        assert reply_hit["url"] == f"/g/{group.slug}/t/{in_body.id}/p/{in_reply.number}"

        page = await client.get("/search", params={"q": word})
        assert page.status_code == 200
        assert f"All about <mark>{word}</mark>" in page.text and "3 results" in page.text

        newest = await search(client, q=word, sort="date")
        assert [h["post_id"] for h in newest["hits"]][0] == in_reply.id


async def test_html_in_posts_and_titles_is_escaped_in_results(live: Any) -> None:
    word = unique("esc")
    owner = new_user(live, "facilitator")
    group = new_group(live, owner, "public")
    body = (
        f'Try `<script>alert("{word}")</script>` & <img src=x onerror=alert(1)> {word} "quoted" <b>bold</b>'
    )
    new_thread(live, owner, group, title=f"<i>{word}</i> & co", body=body)
    async with Browserish(live.url) as client:
        [hit] = (await search(client, q=word))["hits"]
        assert "<script" not in hit["snippet_html"] and "<img" not in hit["snippet_html"]
        assert "&lt;script&gt;" in hit["snippet_html"] and "&amp;" in hit["snippet_html"]
        assert f"<mark>{word}</mark>" in hit["snippet_html"]
        assert hit["title_html"] == f"&lt;i&gt;<mark>{word}</mark>&lt;/i&gt; &amp; co"
        page = (await client.get("/search", params={"q": word})).text
        assert "<script>alert" not in page and "<img src=x" not in page
        assert f"&lt;i&gt;<mark>{word}</mark>&lt;/i&gt;" in page


async def test_filters_by_group_author_and_dates(live: Any) -> None:
    word = unique("flt")
    alice, bob = new_user(live, "facilitator"), new_user(live, "facilitator")
    first, second = new_group(live, alice, "public"), new_group(live, bob, "public")
    old = new_thread(live, alice, first, body=f"{word} from long ago")
    recent = new_thread(live, bob, second, body=f"{word} from this week")
    # Move the first post back in time, as if it had been written 40 days ago.
    when = live.clock.now() - timedelta(days=40)
    await aseed(live, lambda: Post.filter(thread_id=old.id).update(created_at=when))

    async with Browserish(live.url) as client:
        assert (await search(client, q=word))["total"] == 2
        by_group = await search(client, q=word, group=second.slug)
        assert [h["thread_id"] for h in by_group["hits"]] == [recent.id]
        by_author = await search(client, q=word, author=f"@{alice.username}")
        assert [h["thread_id"] for h in by_author["hits"]] == [old.id]
        cutoff = (live.clock.now() - timedelta(days=10)).date().isoformat()
        since = await search(client, q=word, since=cutoff)
        assert [h["thread_id"] for h in since["hits"]] == [recent.id]
        until = await search(client, q=word, until=when.date().isoformat())
        assert [h["thread_id"] for h in until["hits"]] == [old.id]
        assert (await search(client, q=word, group="no-such-group"))["total"] == 0

        bad = await client.api(
            "GET", "/api/v1/search", params={"q": word, "since": "2025-02-10", "until": "2025-01-01"}
        )
        assert bad.status_code == 422 and "until" in bad.json()["error"]["fields"]
        short = await client.api("GET", "/api/v1/search", params={"q": "a"})
        assert short.status_code == 422 and "q" in short.json()["error"]["fields"]
        page = await client.get("/search", params={"q": "x"})
        assert page.status_code == 422 and "Type at least 2 characters" in page.text
        empty = await client.get("/search")
        assert empty.status_code == 200 and 'name="q"' in empty.text and "result" not in empty.text
        # Search syntax a person might type never breaks the query.
        for q in ("AND OR NOT", '"unclosed', "NEAR(a b)", "title:x", f"{word}* -nothing", "(((", "a*b"):
            assert (await client.api("GET", "/api/v1/search", params={"q": q})).status_code in (200, 422)


@pytest.fixture(scope="module")
def matrix(live: Any) -> dict[str, Any]:
    """One word, posted in a public, a members-only and a private group (and hidden in a fourth)."""
    word = unique("mx")
    owner = new_user(live, "facilitator")
    member = new_user(live)
    groups = {v: new_group(live, owner, v) for v in ("public", "members", "private")}
    for group in groups.values():
        seed(live, service.do_add_member(owner, group, member, clock=live.clock))
        new_thread(
            live,
            owner,
            group,
            title=f"{group.visibility} thread",
            body=f"{word} in a {group.visibility} group",
        )
    hidden_world = build_world(live, "public")
    hidden = new_reply(live, hidden_world.member, hidden_world.thread, body=f"{word} but hidden")
    seed(live, do_hide_post(hidden_world.mod, hidden.id, reason="test", clock=live.clock))
    return {
        "word": word,
        "member": member,
        "outsider": new_user(live),
        "admin": new_user(live, "admin"),
        "groups": groups,
    }


VISIBLE = {
    "anonymous": {"public"},
    "outsider": {"public", "members"},
    "member": {"public", "members", "private"},
    "admin": {"public", "members", "private"},
}


@pytest.mark.parametrize("who", list(VISIBLE))
async def test_authorisation_matrix(live: Any, matrix: dict[str, Any], who: str) -> None:
    viewer = None if who == "anonymous" else matrix[who]
    word = matrix["word"]
    async with await client_for(live, viewer) as client:
        found = await search(client, q=word)
        kinds = {h["thread_title"].split()[0] for h in found["hits"]}
        assert kinds == VISIBLE[who] and found["total"] == len(VISIBLE[who])
        assert all("hidden" not in h["snippet_html"] for h in found["hits"])
        page = (await client.get("/search", params={"q": word})).text
        for visibility, group in matrix["groups"].items():
            assert (f"/g/{group.slug}/t/" in page) == (visibility in VISIBLE[who])
        # Naming an unreadable group as a filter reveals nothing either.
        private = matrix["groups"]["private"]
        filtered = await search(client, q=word, group=private.slug)
        assert filtered["total"] == (1 if "private" in VISIBLE[who] else 0)


async def test_hiding_unindexes_and_rebuilding_restores_the_index(live: Any) -> None:
    world = build_world(live, "public")
    word = unique("hid")
    post = new_reply(live, world.member, world.thread, body=f"{word} soon hidden")
    async with Browserish(live.url) as anonymous:
        assert (await search(anonymous, q=word))["total"] == 1
        async with await client_for(live, world.mod) as mod:
            assert (await mod.api("POST", f"/api/v1/posts/{post.id}/hide", json={})).status_code == 200
            # Hidden posts are out of everyone's results, the moderators' too.
            assert (await search(mod, q=word))["total"] == 0
            assert (await search(anonymous, q=word))["total"] == 0
            assert (await mod.api("POST", f"/api/v1/posts/{post.id}/unhide", json={})).status_code == 200
        assert (await search(anonymous, q=word))["total"] == 1
        count = await aseed(live, rebuild_search_index)
        assert count >= 1
        assert (await search(anonymous, q=word))["total"] == 1


@pytest.fixture(scope="module")
def pg_live(tmp_path_factory: pytest.TempPathFactory, smtp: Any) -> Any:
    with postgres_app(tmp_path_factory.mktemp("pgsearch"), smtp.port) as server:
        yield server


async def test_search_on_postgresql_uses_the_same_rules(pg_live: Any) -> None:
    """PostgreSQL has no FTS5: the fallback (to_tsvector/websearch_to_tsquery over the posts table)
    must rank, highlight, escape, filter and authorise exactly like SQLite."""
    word = unique("pg")
    owner, outsider = new_user(pg_live, "facilitator"), new_user(pg_live)
    public, private = new_group(pg_live, owner, "public"), new_group(pg_live, owner, "private")
    in_title = new_thread(pg_live, owner, public, title=f"About {word} <b>", body="Nothing else.")
    body = new_thread(pg_live, owner, public, title="Other", body=f"A <script>x</script> & {word} here.")
    new_thread(pg_live, owner, private, title="Secret", body=f"{word} in private")
    hidden = new_reply(pg_live, owner, body, body=f"{word} hidden later")
    seed(pg_live, do_hide_post(owner, hidden.id, reason="", clock=pg_live.clock))
    async with await client_for(pg_live, outsider) as client:
        found = await search(client, q=word)
        assert [h["thread_id"] for h in found["hits"]] == [in_title.id, body.id]
        assert found["hits"][0]["title_html"] == f"About <mark>{word}</mark> &lt;b&gt;"
        snippet = found["hits"][1]["snippet_html"]
        assert f"<mark>{word}</mark>" in snippet and "<script>" not in snippet and "&amp;" in snippet
        assert (await search(client, q=word, sort="date"))["hits"][0]["thread_id"] == body.id
        assert (await search(client, q=word, author=owner.username))["total"] == 2
        assert (await search(client, q=f"{word} -nothing", group=private.slug))["total"] == 0
    async with await client_for(pg_live, owner) as client:
        assert (await search(client, q=word))["total"] == 3
