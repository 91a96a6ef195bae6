"""Atom 1.0 feeds (RFC 4287) of public groups: a group's latest threads, a thread's latest posts.

Only PUBLIC groups have feeds. A members-only or private group has none, for anyone (a feed URL
is copied into readers and shared, and is fetched without a session), and the answer is the same
404 as for a group that does not exist, so a feed never reveals that a group is there. Hidden and
deleted posts are left out. Entries carry the stored, sanitised HTML as content type="html";
ElementTree escapes all text, so nothing a member wrote can break the XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from convene.errors import NotFound
from forum.models import Group, Post, Thread, Visibility

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"
THREAD_ENTRIES = 30
POST_ENTRIES = 50
FORMER_MEMBER = "A former member"

ET.register_namespace("", ATOM_NS)


def _tag(name: str) -> str:
    return f"{{{ATOM_NS}}}{name}"


def _stamp(when: datetime) -> str:
    """RFC 3339, in UTC."""
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _visible() -> dict[str, Any]:
    # Hidden and deleted posts, and deleted threads, are never in a feed.
    return {"hidden_at": None, "deleted_at": None, "thread__deleted_at": None}


async def _public_group(slug: str) -> Group:
    group = await Group.get_or_none(slug=slug)
    if group is None or group.visibility != Visibility.PUBLIC:
        raise NotFound()
    return group


def _text(parent: ET.Element, name: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, _tag(name), attrs)
    element.text = text
    return element


def _link(parent: ET.Element, href: str, rel: str, type_: str = "text/html") -> None:
    ET.SubElement(parent, _tag("link"), {"rel": rel, "type": type_, "href": href})


def _author(parent: ET.Element, name: str | None, uri: str | None = None) -> None:
    author = ET.SubElement(parent, _tag("author"))
    _text(author, "name", name or FORMER_MEMBER)
    if uri:
        _text(author, "uri", uri)


def _feed(*, site: str, title: str, subtitle: str, page: str, self_url: str, updated: datetime) -> ET.Element:
    feed = ET.Element(_tag("feed"))
    _text(feed, "id", self_url)
    _text(feed, "title", title)
    if subtitle:
        _text(feed, "subtitle", subtitle)
    _text(feed, "updated", _stamp(updated))
    _link(feed, page, "alternate")
    _link(feed, self_url, "self", ATOM_TYPE)
    _author(feed, site)  # RFC 4287 4.1.1: a feed with no entries still needs an author
    _text(feed, "generator", "Convene")
    return feed


def _entry(
    feed: ET.Element,
    *,
    url: str,
    title: str,
    published: datetime,
    author: str | None,
    author_uri: str | None,
    html: str,
) -> None:
    entry = ET.SubElement(feed, _tag("entry"))
    _text(entry, "id", url)
    _text(entry, "title", title)
    _text(entry, "published", _stamp(published))
    _text(entry, "updated", _stamp(published))
    _author(entry, author, author_uri)
    _link(entry, url, "alternate")
    _text(entry, "content", html, type="html")


def _serialise(feed: ET.Element) -> bytes:
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


async def get_group_feed(slug: str, *, base_url: str, site_name: str) -> bytes:
    """A public group's latest threads, each with its opening post."""
    group = await _public_group(slug)
    openings = (
        await Post.filter(thread__group_id=group.id, number=1, **_visible())
        .order_by("-created_at", "-id")
        .limit(THREAD_ENTRIES)
        .values("thread_id", "thread__title", "body_html", "created_at", "author__name", "author__username")
    )
    page = f"{base_url}/g/{group.slug}"
    updated = max([row["created_at"] for row in openings], default=group.created_at)
    feed = _feed(
        site=site_name,
        title=f"{group.name} · {site_name}",
        subtitle=f"Latest threads in {group.name}",
        page=page,
        self_url=f"{page}/feed.atom",
        updated=updated,
    )
    for row in openings:
        username = row["author__username"]
        _entry(
            feed,
            url=f"{page}/t/{row['thread_id']}",
            title=row["thread__title"],
            published=row["created_at"],
            author=row["author__name"],
            author_uri=f"{base_url}/u/{username}" if username else None,
            html=row["body_html"],
        )
    return _serialise(feed)


async def get_thread_feed(slug: str, thread_id: int, *, base_url: str, site_name: str) -> bytes:
    """A thread of a public group: its latest posts, newest first."""
    group = await _public_group(slug)
    thread = await Thread.get_or_none(id=thread_id, group_id=group.id, deleted_at=None)
    if thread is None:
        raise NotFound()
    posts = (
        await Post.filter(thread_id=thread.id, **_visible())
        .order_by("-number")
        .limit(POST_ENTRIES)
        .values("number", "body_html", "created_at", "author__name", "author__username")
    )
    page = f"{base_url}/g/{group.slug}/t/{thread.id}"
    feed = _feed(
        site=site_name,
        title=f"{thread.title} · {group.name}",
        subtitle=f"Latest posts in “{thread.title}”",
        page=page,
        self_url=f"{page}/feed.atom",
        updated=max([row["created_at"] for row in posts], default=thread.created_at),
    )
    for row in posts:
        username = row["author__username"]
        who = row["author__name"] or FORMER_MEMBER
        title = thread.title if row["number"] == 1 else f"#{row['number']} {who} in “{thread.title}”"
        _entry(
            feed,
            url=f"{page}/p/{row['number']}",
            title=title,
            published=row["created_at"],
            author=row["author__name"],
            author_uri=f"{base_url}/u/{username}" if username else None,
            html=row["body_html"],
        )
    return _serialise(feed)


def feed_path(group: Group, thread: Thread | None = None) -> str | None:
    """The feed's address for a page's <link rel="alternate">, or None when it has none."""
    if group.visibility != Visibility.PUBLIC:
        return None
    return f"/g/{group.slug}/t/{thread.id}/feed.atom" if thread else f"/g/{group.slug}/feed.atom"
