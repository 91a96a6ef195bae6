"""What a member's digest holds: compose digests for a batch of members at once.

For each member, over their own period: replies to them and mentions of them; per group they chose
(by default every group they belong to), the threads started and the most active threads; and the
optional sections (consultations, library, directory; digest/sources.py). Newest first, capped
with "and N more". Left out: anything the member may not read *now* (checked here, at compose time,
with the forum's own rule: forum.groups.list_readable_group_ids), their own threads and items, and
what they have already read on the site. A digest with nothing in it is not sent.

Everything shared (the period's forum activity, the optional sections) is loaded once per period
(digest/window.py); per-member facts are loaded per batch with a handful of queries, so composing
costs a few queries per batch of members, not per member.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from digest.personal import PersonalItem, ReadState, load_mentions, load_read_state, load_replies
from digest.preferences import Prefs
from digest.schedule import Period
from digest.sources import SECTIONS, ExtraItem, for_member, load_extras, load_submitted
from digest.window import GroupInfo, ThreadActivity, WindowCache, chunks, load_groups
from forum.models import Membership, MembershipStatus, Visibility
from members.models import Role

NEW_PER_GROUP = 5
ACTIVE_PER_GROUP = 3
GROUPS_SHOWN = 8
PERSONAL_SHOWN = 10
PER_SECTION = 5

MEMBER_COLUMNS = ("id", "email", "name", "username", "locale", "timezone", "role", "created_at")


@dataclass
class Member:
    id: int
    email: str
    name: str
    username: str
    locale: str
    timezone: str
    role: str
    created_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> Member:
        return cls(**{k: row[k] for k in MEMBER_COLUMNS})


@dataclass
class GroupSection:
    group: GroupInfo
    new: list[ThreadActivity]
    more_new: int
    active: list[ThreadActivity]
    more_active: int
    latest: datetime


@dataclass
class Section:
    key: str
    items: list[ExtraItem]
    more: int


@dataclass
class Digest:
    member: Member
    period: Period
    frequency: str
    personal: list[PersonalItem] = field(default_factory=list)
    more_personal: int = 0
    groups: list[GroupSection] = field(default_factory=list)
    more_groups: int = 0
    sections: list[Section] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def item_count(self) -> int:
        return sum(self.counts.values())

    @property
    def empty(self) -> bool:
        return self.item_count == 0


@dataclass
class Due:
    member: Member
    prefs: Prefs
    period: Period


class Composer:
    """Composes digests for one run. Holds the run's shared caches (groups, periods): make one per
    run, never keep one across runs (groups and visibility change)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.groups: dict[int, GroupInfo] = {}
        self.open_groups: set[int] = set()
        self.windows = WindowCache()
        self._belongs: dict[int, set[int]] = defaultdict(set)  # the current batch's memberships
        self._ready = False

    async def prepare(self) -> None:
        if not self._ready:
            self.groups = await load_groups()
            # Public and members-only groups: every signed-in active member reads them.
            self.open_groups = {g.id for g in self.groups.values() if g.visibility != Visibility.PRIVATE}
            self._ready = True

    async def compose(self, batch: list[Due]) -> list[Digest]:
        await self.prepare()
        if not batch:
            return []
        ids = [d.member.id for d in batch]
        start = min(d.period.start for d in batch)
        end = max(d.period.end for d in batch)
        self._belongs = belongs = defaultdict(set)
        for chunk in chunks(ids):
            rows = await Membership.filter(user_id__in=chunk, status=MembershipStatus.ACTIVE).values_list(
                "user_id", "group_id"
            )
            for uid, gid in rows:
                belongs[uid].add(gid)
        replies = await load_replies(ids, start, end)
        mentions = await load_mentions(ids, start, end)
        reads = await load_read_state({d.member.id: d.member.created_at for d in batch}, start)
        extras: dict[tuple[datetime, datetime], dict[str, list[ExtraItem]]] = {}
        for due in batch:
            key = (due.period.start, due.period.end)
            if key not in extras:
                extras[key] = await load_extras(await self.windows.get(*key), self.now)
        closing = sorted(
            {i.consultation_id for e in extras.values() for i in e.get("closing", ()) if i.consultation_id}
        )
        submitted = await load_submitted(ids, closing)
        digests = []
        for due in batch:
            window = await self.windows.get(due.period.start, due.period.end)
            member = due.member
            readable = self.readable_groups(member.id, member.role)
            chosen = (
                belongs[member.id] if due.prefs.all_groups else belongs[member.id] & set(due.prefs.group_ids)
            )
            if readable is not None:
                chosen &= readable
            digest = Digest(member=member, period=due.period, frequency=due.prefs.frequency)
            self._personal(digest, replies.get(member.id, []) + mentions.get(member.id, []), readable, reads)
            self._groups(digest, window.by_group, chosen, reads)
            visible = for_member(
                extras[(due.period.start, due.period.end)],
                member_id=member.id,
                readable=readable,
                submitted=submitted,
            )
            self._sections(digest, visible)
            digests.append(digest)
        return digests

    def readable_groups(self, member_id: int, role: str) -> set[int] | None:
        """The groups a member of the current batch may read, None meaning all: the forum's rule
        (forum.groups.list_readable_group_ids), worked out for the whole batch with one query.
        Admins read every group; others the open groups and the private groups they belong to."""
        if role == Role.ADMIN:
            return None
        return self.open_groups | self._belongs[member_id]

    def _personal(
        self,
        digest: Digest,
        items: list[PersonalItem],
        readable: set[int] | None,
        reads: ReadState,
    ) -> None:
        period, uid = digest.period, digest.member.id
        kept: dict[int, PersonalItem] = {}
        for item in items:
            if not period.start <= item.at < period.end:
                continue
            if readable is not None and item.group_id not in readable:
                continue  # they can no longer read that group (left it, or it became private)
            if reads.post_read(uid, item):
                continue  # already read on the site
            group = self.groups.get(item.group_id)
            if group is None:
                continue
            item.group_slug, item.group_name = group.slug, group.name
            kept.setdefault(item.post_id, item)  # a reply that also mentions them: listed once
        ordered = sorted(kept.values(), key=lambda i: (i.at, i.post_id), reverse=True)
        digest.personal = ordered[:PERSONAL_SHOWN]
        digest.more_personal = max(0, len(ordered) - PERSONAL_SHOWN)
        digest.counts["replies"] = sum(1 for i in ordered if i.kind == "reply")
        digest.counts["mentions"] = sum(1 for i in ordered if i.kind == "mention")

    def _groups(
        self,
        digest: Digest,
        by_group: dict[int, list[ThreadActivity]],
        chosen: set[int],
        reads: ReadState,
    ) -> None:
        uid = digest.member.id
        sections = []
        new_total = active_total = 0
        for gid in chosen:
            items = by_group.get(gid)
            if not items or gid not in self.groups:
                continue
            new, active = [], []
            for t in items:  # newest first already
                if t.author_id == uid and t.is_new:
                    continue  # they started it
                if reads.thread_read(uid, t.id, t.last_number, t.last_at):
                    continue  # nothing in it they have not read
                (new if t.is_new else active).append(t)
            if not new and not active:
                continue
            # "Most active": the most posts during the period, the latest first among equals.
            active.sort(key=lambda t: (t.new_posts, t.last_at), reverse=True)
            new_total += len(new)
            active_total += len(active)
            sections.append(
                GroupSection(
                    group=self.groups[gid],
                    new=new[:NEW_PER_GROUP],
                    more_new=max(0, len(new) - NEW_PER_GROUP),
                    active=active[:ACTIVE_PER_GROUP],
                    more_active=max(0, len(active) - ACTIVE_PER_GROUP),
                    latest=max(t.last_at for t in new + active),
                )
            )
        sections.sort(key=lambda s: (s.latest, s.group.id), reverse=True)
        digest.groups = sections[:GROUPS_SHOWN]
        digest.more_groups = max(0, len(sections) - GROUPS_SHOWN)
        digest.counts["new_threads"] = new_total
        digest.counts["active_threads"] = active_total

    def _sections(self, digest: Digest, visible: dict[str, list[ExtraItem]]) -> None:
        for key in SECTIONS:
            items = visible.get(key)
            if not items:
                continue
            digest.sections.append(Section(key, items[:PER_SECTION], max(0, len(items) - PER_SECTION)))
            digest.counts[key] = len(items)
