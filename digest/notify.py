"""Instant email for mentions and direct replies, batched per member.

The forum writes a notification row for each mention or reply (forum/notifications.py). A member's
notifications wait here for their batching window (10 minutes by default): once the oldest one not
yet emailed is that old, one email lists all of them, so a busy thread sends one email, not twenty.

Once per batch: a NotificationMail row, unique per (member, first notification id), is written in
the same transaction as the outbox row notify:<member>:<first id>; the member's last emailed id is
the highest `last_notification_id`. Left out at compose time: kinds the member turned off,
notifications already read on the site, and anything the member can no longer read (left the group,
the group became private, the post was hidden or deleted). A batch where nothing is left is still
recorded (no email), so those notifications are never reconsidered.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.functions import Max

from convene.db import in_transaction
from convene.i18n import text_direction
from digest.context import Mailroom
from digest.forum_links import forum_read_marks, recent_notifications, settled_before
from digest.models import DigestCursor, NotificationMail
from digest.outbox import insert_emails, new_email
from digest.preferences import load_prefs
from digest.runner import failing_members
from digest.tokens import list_headers, unsubscribe_url
from digest.window import chunks, excerpt
from forum.models import Group, Membership, MembershipStatus, Visibility
from members.models import Role, User, UserStatus

LOOKBACK = timedelta(days=2)  # older notifications are the digest's business, not instant email
SAFETY = timedelta(minutes=10)  # the cursor stays this far behind the newest notifications
CURSOR = "notifications"
SHOWN = 20


@dataclass
class NotifyStats:
    members: int = 0
    queued: int = 0
    nothing_left: int = 0  # every notification was read, turned off or unreadable
    already: int = 0
    waiting: int = 0  # inside their batching window
    notifications: int = 0
    errors: list[str] = field(default_factory=list)


async def _watermarks(user_ids: list[int]) -> dict[int, int]:
    marks: dict[int, int] = {}
    for ids in chunks(user_ids):
        rows = (
            await NotificationMail.filter(user_id__in=ids)
            .annotate(last=Max("last_notification_id"))
            .group_by("user_id")
            .values("user_id", "last")
        )
        marks.update({r["user_id"]: r["last"] for r in rows})
    return marks


async def _readable(users: dict[int, dict[str, Any]]) -> dict[int, set[int] | None]:
    """Groups each member may read now: the forum's rule (forum.groups.list_readable_group_ids)."""
    open_groups = set(
        await Group.filter(visibility__in=[Visibility.PUBLIC, Visibility.MEMBERS]).values_list(
            "id", flat=True
        )
    )
    private: dict[int, set[int]] = defaultdict(set)
    for ids in chunks(list(users)):
        rows = await Membership.filter(
            user_id__in=ids, status=MembershipStatus.ACTIVE, group__visibility=Visibility.PRIVATE
        ).values_list("user_id", "group_id")
        for uid, gid in rows:
            private[uid].add(gid)
    return {uid: None if u["role"] == Role.ADMIN else open_groups | private[uid] for uid, u in users.items()}


async def _cursor(now: datetime) -> int:
    row = await DigestCursor.filter(name=CURSOR).first().values("value")
    if row is not None:
        return row["value"]
    start = await settled_before(now - LOOKBACK)  # the first pass: nothing older is ours to email
    try:
        await DigestCursor.create(name=CURSOR, value=start)
    except IntegrityError:
        pass  # another runner started it at the same moment
    return start


async def _advance(rows: list[dict[str, Any]], unsettled: list[int], now: datetime) -> None:
    """Move the cursor past what this pass settled. Rows younger than SAFETY are read again next
    time: a notification written in a transaction that commits late (PostgreSQL hands out ids
    before commit) may still appear below them, and must not be skipped."""
    old_enough = [r["id"] for r in rows if r["created_at"] < now - SAFETY]
    if not old_enough:
        return
    value = max(old_enough)
    if unsettled:
        value = min(value, min(unsettled) - 1)
    # Only forwards: two runners may finish in either order.
    await DigestCursor.filter(name=CURSOR, value__lt=value).update(value=value)


async def send_due_notifications(mailroom: Mailroom) -> NotifyStats:
    now = mailroom.clock.now()
    stats = NotifyStats()
    rows = await recent_notifications(await _cursor(now), now - LOOKBACK)
    if not rows:
        return stats
    by_user: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_user[row["user_id"]].append(row)
    unsettled: list[int] = []  # ids still waiting for their member's batching window
    for ids in chunks(sorted(by_user), 200):
        emailed = await _watermarks(ids)
        pending = {uid: [r for r in by_user[uid] if r["id"] > emailed.get(uid, 0)] for uid in ids}
        pending = {uid: sorted(items, key=lambda r: r["id"]) for uid, items in pending.items() if items}
        if not pending:
            continue
        prefs = await load_prefs(list(pending))
        due = {}
        for uid, items in pending.items():
            if items[0]["created_at"] + timedelta(minutes=prefs[uid].batch_minutes) > now:
                stats.waiting += 1
                unsettled.append(items[0]["id"])
            else:
                due[uid] = items
        if not due:
            continue
        users = {
            u["id"]: u
            for u in await User.filter(id__in=list(due), status=UserStatus.ACTIVE).values(
                "id", "email", "name", "locale", "timezone", "role"
            )
        }
        readable = await _readable(users)
        failing = await failing_members(list(users.values()))
        # Seen on the thread's page counts as read, as much as opening the notification does.
        seen = await forum_read_marks(list(users), now - LOOKBACK)
        for uid, items in due.items():
            stats.members += 1
            user = users.get(uid)
            p = prefs[uid]
            wanted = {"mention": p.instant_mentions, "reply": p.instant_replies}
            kept = []
            if user is not None and uid not in failing:
                groups = readable[uid]
                kept = [
                    r
                    for r in items
                    if wanted.get(r["kind"], False)
                    and not r["read"]
                    and r["visible"]
                    and seen.get((uid, r["thread_id"]), 0) < r["number"]
                    and (groups is None or r["group_id"] in groups)
                ]
            await _record(mailroom, uid, user, items, kept, now, stats)
    await _advance(rows, unsettled, now)
    return stats


async def _record(
    mailroom: Mailroom,
    uid: int,
    user: dict[str, Any] | None,
    items: list[dict[str, Any]],
    kept: list[dict[str, Any]],
    now: datetime,
    stats: NotifyStats,
) -> None:
    first, last = items[0]["id"], items[-1]["id"]
    key = f"notify:{uid}:{first}"
    message = None
    if kept and user is not None:
        message = new_email(
            key=key,
            kind="notifications",
            to_email=user["email"],
            now=now,
            domain=mailroom.outbox.domain,
            user_id=uid,
            **render_notifications(mailroom, user, kept),
        )  # type: ignore[arg-type]
    batch = NotificationMail(
        user_id=uid,
        first_notification_id=first,
        last_notification_id=last,
        count=len(kept) if message else 0,
        outbox_key=key if message else "",
        created_at=now,
    )
    try:
        async with in_transaction() as conn:
            await batch.save(using_db=conn, force_create=True)
            if message is not None:
                await insert_emails([message], using_db=conn)
    except IntegrityError:
        stats.already += 1  # another runner emailed this batch first
        return
    if message is None:
        stats.nothing_left += 1
    else:
        stats.queued += 1
        stats.notifications += len(kept)


def render_notifications(
    mailroom: Mailroom, user: dict[str, Any], kept: list[dict[str, Any]]
) -> dict[str, Any]:
    locale = mailroom.locale_of(user["locale"])
    newest_first = sorted(kept, key=lambda r: r["id"], reverse=True)
    items = [
        {
            "kind": r["kind"],
            "who": r["author_name"],
            "title": r["thread_title"],
            "url": mailroom.url(
                f"/g/{r['group_slug']}/t/{r['thread_id']}" + (f"/p/{r['number']}" if r["number"] > 1 else "")
            ),
            "excerpt": excerpt(r["body_html"], 300),
        }
        for r in newest_first[:SHOWN]
    ]
    link = unsubscribe_url(mailroom, user["id"], "notifications")
    ctx = {
        "site_name": mailroom.settings.site_name,
        "base_url": mailroom.settings.base_url,
        "name": user["name"],
        "items": items,
        "count": len(kept),
        "mentions": sum(1 for r in kept if r["kind"] == "mention"),
        "replies": sum(1 for r in kept if r["kind"] == "reply"),
        "more": max(0, len(kept) - SHOWN),
        "first": items[0],
        "settings_url": mailroom.url("/settings/email"),
        "unsubscribe_url": link,
        "dir": text_direction(locale),
    }
    render = mailroom.templates.render_string
    subject = " ".join(render("email/notifications/subject.txt", ctx, locale).split())
    ctx["subject"] = subject
    return {
        "subject": subject,
        "text": render("email/notifications/body.txt", ctx, locale),
        "html": render("email/notifications/body.html", ctx, locale),
        "headers": list_headers(mailroom, user["id"], "notifications", unsubscribe=link),
    }
