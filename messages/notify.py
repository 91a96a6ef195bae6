"""Email about new direct messages: batched, through the durable outbox, never with the text.

When a message is stored, every other participant not already owed an email gets
`pending_since` (messages.service.record_message). This scheduled job looks at participants
whose oldest unannounced message has waited the member's batching time (their digest
preference's batch_minutes, else DEFAULT_DELAY_MINUTES): if they have read it meanwhile (on the
page or live), nothing is sent; otherwise one email says who wrote and how many messages wait,
with a link. The text itself stays on the site: an email is easily forwarded or read over a
shoulder. Members can turn these emails off (MessageSettings.email_new_messages); failing
addresses (digest's EmailHealth) are skipped. The outbox key names the conversation, member and
last message, so a job that runs twice queues one email.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from convene.clock import Clock
from members.models import User, UserStatus
from messages.models import MessageSettings, Participant
from realtime.models import ChatMessage, ReadMarker

log = logging.getLogger(__name__)

DEFAULT_DELAY_MINUTES = 10
BATCH = 200


async def _delay_minutes(user_id: int) -> int:
    try:
        from digest.preferences import get_prefs
    except ImportError:  # a site without the digest package
        return DEFAULT_DELAY_MINUTES
    return max(1, int((await get_prefs(user_id)).batch_minutes or DEFAULT_DELAY_MINUTES))


async def _failing(user: User) -> bool:
    try:
        from digest.preferences import is_email_failing
    except ImportError:
        return False
    return await is_email_failing(user)


async def _wants_email(user: User) -> bool:
    if user.status != UserStatus.ACTIVE:
        return False
    row = await MessageSettings.get_or_none(user_id=user.id)
    if row is not None and not row.email_new_messages:
        return False
    return not await _failing(user)


def _render(templates: Any, settings: Any, user: User, context: dict[str, Any]) -> tuple[str, str, str]:
    locale = user.locale or settings.default_locale
    ctx = {"site_name": settings.site_name, "base_url": settings.base_url, "name": user.name, **context}
    subject = templates.render_string("email/direct_message/subject.txt", ctx, locale).strip()
    text = templates.render_string("email/direct_message/body.txt", ctx, locale)
    html = templates.render_string("email/direct_message/body.html", ctx, locale)
    return subject, text, html


async def do_send_message_emails(app: Any) -> int:
    """One pass of the job; returns how many emails were queued."""
    state = app.state
    clock: Clock = state.clock
    now = clock.now()
    queued = 0
    candidates = (
        await Participant.filter(pending_since__lte=now - timedelta(minutes=1), left_at=None)
        .order_by("pending_since", "id")
        .limit(BATCH)
        .prefetch_related("user", "conversation")
    )
    for participant in candidates:
        user: User = participant.user
        pending_since = participant.pending_since
        if pending_since is None or now - pending_since < timedelta(minutes=await _delay_minutes(user.id)):
            continue
        room = f"dm:{participant.conversation_id}"  # type: ignore[attr-defined]
        marker = await ReadMarker.get_or_none(room=room, user_id=user.id)
        seen = max(participant.notified_seq, marker.seq if marker else 0)
        waiting = list(
            await ChatMessage.filter(room=room, seq__gt=seen, deleted_at=None, hidden_at=None)
            .exclude(author_id=user.id)
            .order_by("seq")
            .prefetch_related("author")
        )
        top = waiting[-1].seq if waiting else seen
        if waiting and await _wants_email(user):
            senders: list[str] = []
            for message in waiting:
                name = message.author.name if message.author else "Former member"
                if name not in senders:
                    senders.append(name)
            conversation = participant.conversation
            link = f"{state.settings.base_url}/messages/{conversation.id}"
            subject, text, html = _render(
                state.templates,
                state.settings,
                user,
                {"senders": senders, "count": len(waiting), "link": link, "subject": conversation.subject},
            )
            if await state.outbox.enqueue(
                key=f"dm:{conversation.id}:{user.id}:{top}",
                kind="direct_message",
                to_email=user.email,
                subject=subject,
                text=text,
                html=html,
                user_id=user.id,
            ):
                queued += 1
        # Only this pass's claim is cleared: a message stored meanwhile sets it again below.
        await Participant.filter(id=participant.id, pending_since=pending_since).update(
            pending_since=None, notified_seq=max(top, participant.notified_seq)
        )
        newer = ChatMessage.filter(room=room, seq__gt=top).exclude(author_id=user.id)
        if await newer.exists():
            await Participant.filter(id=participant.id, pending_since=None).update(pending_since=now)
    if queued:
        state.outbox.kick()
    return queued
