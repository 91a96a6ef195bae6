"""Atom feeds of the library: all new public resources, or those with one tag.

Feeds are read by programs that never sign in, so they carry public resources only (network-wide
"everyone" resources and those of public groups), whoever asks. Entries name the publishing
organisation, never the member who added the resource: a feed copied elsewhere cannot keep a
member's name after they leave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Subquery

from library.access import public_resources
from library.models import Resource, ResourceFacet
from library.schemas import clean_tag

FEED_ENTRIES = 50


@dataclass
class Feed:
    title: str
    path: str  # this feed's own address, relative to the site
    html_path: str  # the page it mirrors
    updated: datetime
    entries: list[Resource]
    tag: str | None


async def get_feed(site_name: str, now: datetime, tag: str | None = None) -> Feed:
    qs = await public_resources()
    if tag is not None:
        tag = clean_tag(tag)
        qs = qs.filter(id__in=Subquery(ResourceFacet.filter(facet="tag", value=tag).values("resource_id")))
    entries = list(await qs.order_by("-updated_at", "-id").limit(FEED_ENTRIES))
    if tag is None:
        title, path, html_path = f"{site_name}: library", "/library/feed.atom", "/library"
    else:
        title = f"{site_name}: library, tag {tag}"
        path, html_path = f"/library/tags/{tag}/feed.atom", f"/library?tag={tag}"
    updated = max((r.updated_at for r in entries), default=now)
    return Feed(title=title, path=path, html_path=html_path, updated=updated, entries=entries, tag=tag)
