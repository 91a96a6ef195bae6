"""Atom feeds over HTTP: they parse as XML, say what RFC 4287 requires, hold the right entries
(hidden posts left out), escape what members wrote, and never exist for members-only or private
groups, whoever asks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from forum.moderation import do_hide_post
from tests.conftest import Browserish, unique
from tests.forum.conftest import build_world, client_for, new_reply, new_thread, new_user, seed

A = "{http://www.w3.org/2005/Atom}"


def parse(body: bytes) -> ET.Element:
    root = ET.fromstring(body)
    assert root.tag == f"{A}feed"
    return root


def links(element: ET.Element) -> dict[str, str]:
    return {link.get("rel", ""): link.get("href", "") for link in element.findall(f"{A}link")}


def assert_valid_feed(root: ET.Element, base: str, page: str) -> None:
    for required in ("id", "title", "updated"):
        assert (root.findtext(f"{A}{required}") or "").strip(), required
    assert root.find(f"{A}author/{A}name") is not None
    rels = links(root)
    assert rels["alternate"] == base + page and rels["self"] == base + page + "/feed.atom"
    for entry in root.findall(f"{A}entry"):
        for required in ("id", "title", "updated"):
            assert (entry.findtext(f"{A}{required}") or "").strip(), required
        assert entry.find(f"{A}author/{A}name") is not None
        assert links(entry)["alternate"].startswith(base + page)
        assert entry.find(f"{A}content").get("type") == "html"


async def test_a_public_groups_feed_lists_its_latest_threads(live: Any) -> None:
    world = build_world(live, "public")
    title = f'Fish & chips <for> "everyone" {unique()}'
    newer = new_thread(live, world.mod, world.group, title=title, body="Some **bold** advice & <tips>")
    async with Browserish(live.url) as client:
        r = await client.get(f"/g/{world.slug}/feed.atom")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
        root = parse(r.content)
        assert_valid_feed(root, live.url, f"/g/{world.slug}")
        entries = root.findall(f"{A}entry")
        assert [e.findtext(f"{A}title") for e in entries] == [title, world.thread.title]
        content = entries[0].findtext(f"{A}content") or ""
        # The stored, sanitised HTML, as text: a reader un-escapes it once.
        assert "<strong>bold</strong>" in content and "&amp;" in content and "<tips>" not in content
        assert links(entries[0])["alternate"] == f"{live.url}/g/{world.slug}/t/{newer.id}"
        assert entries[0].findtext(f"{A}author/{A}name") == world.mod.name
        page = await client.get(f"/g/{world.slug}")
        assert '<link rel="alternate" type="application/atom+xml"' in page.text
        assert f'href="/g/{world.slug}/feed.atom"' in page.text


async def test_a_threads_feed_lists_its_posts_newest_first_without_hidden_ones(live: Any) -> None:
    world = build_world(live, "public")
    first = new_reply(live, world.member, world.thread, body="First answer")
    hidden = new_reply(live, world.mod, world.thread, body=f"Private phone {unique()}")
    last = new_reply(live, world.mod, world.thread, body="Last answer")
    seed(live, do_hide_post(world.mod, hidden.id, reason="personal details", clock=live.clock))
    async with Browserish(live.url) as client:
        r = await client.get(f"/g/{world.slug}/t/{world.thread.id}/feed.atom")
        assert r.status_code == 200
        root = parse(r.content)
        assert_valid_feed(root, live.url, f"/g/{world.slug}/t/{world.thread.id}")
        ids = [e.findtext(f"{A}id") for e in root.findall(f"{A}entry")]
        base = f"{live.url}/g/{world.slug}/t/{world.thread.id}/p/"
        assert ids == [base + str(n) for n in (last.number, first.number, 1)]
        assert "Private phone" not in r.text
        page = await client.get(f"/g/{world.slug}/t/{world.thread.id}")
        assert f'href="/g/{world.slug}/t/{world.thread.id}/feed.atom"' in page.text
        # A thread asked for under another group's address has no feed.
        other = build_world(live, "public")
        assert (await client.get(f"/g/{other.slug}/t/{world.thread.id}/feed.atom")).status_code == 404


@pytest.mark.parametrize("visibility", ["members", "private"])
async def test_members_only_and_private_groups_have_no_feed_for_anyone(live: Any, visibility: str) -> None:
    world = build_world(live, visibility)
    admin = new_user(live, "admin")
    async with Browserish(live.url) as missing:
        nowhere = await missing.get(f"/g/no-such-group-{unique()}/feed.atom")
    for viewer in (None, world.outsider, world.member, world.mod, admin):
        async with await client_for(live, viewer) as client:
            group_feed = await client.get(f"/g/{world.slug}/feed.atom")
            thread_feed = await client.get(f"/g/{world.slug}/t/{world.thread.id}/feed.atom")
            assert group_feed.status_code == thread_feed.status_code == nowhere.status_code == 404
            assert world.thread.title not in group_feed.text + thread_feed.text
            assert world.group.name not in group_feed.text
            if viewer is world.member:
                page = await client.get(f"/g/{world.slug}/t/{world.thread.id}")
                assert page.status_code == 200 and "application/atom+xml" not in page.text
