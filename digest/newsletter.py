"""The network newsletter: an administrator writes it in Markdown, previews it, sends a test to
themselves, then sends it to every member who subscribed (DigestPreference.newsletter).

Sending goes through the outbox with the key newsletter:<id>:<member>, so each subscriber gets it
once: the send marks the newsletter "sending" first and queues subscribers in batches; if the
process stops half way, the scheduler's newsletter job queues the rest (keys already queued are
skipped) and marks it sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from convene.db import in_transaction
from convene.errors import Conflict, NotFound
from convene.markup import render_markdown
from digest.context import Mailroom
from digest.email_html import for_email
from digest.models import DigestPreference, Newsletter, NewsletterStatus, OutboxMessage
from digest.outbox import insert_emails, new_email
from digest.runner import failing_members
from digest.schemas import NewsletterIn
from digest.tokens import list_headers, unsubscribe_url
from digest.window import chunks
from members.models import UserStatus
from members.permissions import check_is_admin

BATCH = 500


async def list_newsletters(actor: object) -> list[Newsletter]:
    check_is_admin(actor)
    return await Newsletter.all().order_by("-created_at", "-id").limit(100)


async def get_newsletter(actor: object, newsletter_id: int) -> Newsletter:
    check_is_admin(actor)
    newsletter = await Newsletter.get_or_none(id=newsletter_id)
    if newsletter is None:
        raise NotFound("There is no such newsletter.")
    return newsletter


async def count_subscribers() -> int:
    return await DigestPreference.filter(newsletter=True, user__status=UserStatus.ACTIVE).count()


async def do_create_newsletter(mailroom: Mailroom, actor: object, data: NewsletterIn) -> Newsletter:
    admin = check_is_admin(actor)
    now = mailroom.clock.now()
    return await Newsletter.create(
        subject=data.subject,
        body=data.body,
        body_html=render_markdown(data.body),
        created_by=admin,
        created_at=now,
        updated_at=now,
    )


async def do_update_newsletter(
    mailroom: Mailroom, actor: object, newsletter_id: int, data: NewsletterIn
) -> Newsletter:
    newsletter = await get_newsletter(actor, newsletter_id)
    changed = await Newsletter.filter(id=newsletter.id, status=NewsletterStatus.DRAFT).update(
        subject=data.subject,
        body=data.body,
        body_html=render_markdown(data.body),
        updated_at=mailroom.clock.now(),
    )
    if not changed:
        raise Conflict("This newsletter has been sent: it can no longer be changed. Start a new one.")
    return await get_newsletter(actor, newsletter_id)


@dataclass
class Recipient:
    id: int
    email: str
    name: str
    locale: str


def render_newsletter(mailroom: Mailroom, newsletter: Newsletter, to: Recipient) -> dict[str, object]:
    """The email for one recipient (their language for the frame, their own unsubscribe link)."""
    from convene.i18n import text_direction

    locale = mailroom.locale_of(to.locale)
    link = unsubscribe_url(mailroom, to.id, "newsletter")
    ctx = {
        "site_name": mailroom.settings.site_name,
        "base_url": mailroom.settings.base_url,
        "name": to.name,
        "subject": newsletter.subject,
        "body": newsletter.body,
        "body_html": for_email(newsletter.body_html, mailroom.settings.base_url),
        "unsubscribe_url": link,
        "settings_url": mailroom.url("/settings/email"),
        "dir": text_direction(locale),
    }
    render = mailroom.templates.render_string
    return {
        "subject": " ".join(render("email/newsletter/subject.txt", ctx, locale).split()),
        "text": render("email/newsletter/body.txt", ctx, locale),
        "html": render("email/newsletter/body.html", ctx, locale),
        "headers": list_headers(mailroom, to.id, "newsletter", unsubscribe=link),
    }


async def do_send_test(mailroom: Mailroom, actor: object, newsletter_id: int) -> str:
    """Send the newsletter as it stands to the administrator alone; returns their address."""
    newsletter = await get_newsletter(actor, newsletter_id)
    admin = check_is_admin(actor)
    now = mailroom.clock.now()
    email = render_newsletter(
        mailroom, newsletter, Recipient(admin.id, admin.email, admin.name, admin.locale)
    )
    await mailroom.outbox.enqueue(
        key=f"newsletter-test:{newsletter.id}:{admin.id}:{now.isoformat()}",
        kind="newsletter-test",
        to_email=admin.email,
        user_id=admin.id,
        **email,
    )
    await Newsletter.filter(id=newsletter.id).update(test_sent_at=now)
    mailroom.outbox.kick()
    return admin.email


async def do_send_newsletter(mailroom: Mailroom, actor: object, newsletter_id: int) -> Newsletter:
    """Send to every subscriber, once. Only a draft can be sent: a second click (or a second
    administrator) gets a clear refusal instead of a second copy."""
    newsletter = await get_newsletter(actor, newsletter_id)
    admin = check_is_admin(actor)
    started = await Newsletter.filter(id=newsletter.id, status=NewsletterStatus.DRAFT).update(
        status=NewsletterStatus.SENDING, sent_by_id=admin.id, send_started_at=mailroom.clock.now()
    )
    if not started:
        raise Conflict("This newsletter has already been sent.")
    await finish_sending(mailroom, newsletter.id)
    return await get_newsletter(actor, newsletter_id)


async def _queue_batch(mailroom: Mailroom, newsletter: Newsletter, batch: list[Recipient]) -> None:
    keys = {r.id: f"newsletter:{newsletter.id}:{r.id}" for r in batch}
    done = set(await OutboxMessage.filter(key__in=list(keys.values())).values_list("key", flat=True))
    now = mailroom.clock.now()
    rows = [
        new_email(
            key=keys[r.id],
            kind="newsletter",
            to_email=r.email,
            now=now,
            domain=mailroom.outbox.domain,
            user_id=r.id,
            **render_newsletter(mailroom, newsletter, r),
        )  # type: ignore[arg-type]
        for r in batch
        if keys[r.id] not in done
    ]
    if not rows:
        return
    try:
        async with in_transaction() as conn:
            await insert_emails(rows, using_db=conn)
    except IntegrityError:  # another runner is queueing the same newsletter: one at a time
        for r in batch:
            await mailroom.outbox.enqueue(
                key=keys[r.id],
                kind="newsletter",
                to_email=r.email,
                user_id=r.id,
                **render_newsletter(mailroom, newsletter, r),
            )


async def finish_sending(mailroom: Mailroom, newsletter_id: int) -> int:
    """Queue the newsletter for every subscriber not yet queued, then mark it sent."""
    newsletter = await Newsletter.get(id=newsletter_id)
    last_id = 0
    while True:
        rows = (
            await DigestPreference.filter(
                newsletter=True, user__status=UserStatus.ACTIVE, user_id__gt=last_id
            )
            .order_by("user_id")
            .limit(BATCH)
            .values("user_id", "user__email", "user__name", "user__locale")
        )
        if not rows:
            break
        last_id = rows[-1]["user_id"]
        failing = await failing_members([{"id": r["user_id"], "email": r["user__email"]} for r in rows])
        batch = [
            Recipient(r["user_id"], r["user__email"], r["user__name"], r["user__locale"])
            for r in rows
            if r["user_id"] not in failing
        ]
        for part in chunks(batch, 100):
            await _queue_batch(mailroom, newsletter, part)
        mailroom.outbox.kick()
    recipients = await OutboxMessage.filter(key__startswith=f"newsletter:{newsletter.id}:").count()
    await Newsletter.filter(id=newsletter.id).update(
        status=NewsletterStatus.SENT, sent_at=mailroom.clock.now(), recipients=recipients
    )
    return recipients


async def resume_newsletters(mailroom: Mailroom) -> int:
    """The scheduler's job: finish any newsletter a stopped process left half queued."""
    ids = await Newsletter.filter(status=NewsletterStatus.SENDING).values_list("id", flat=True)
    return sum([await finish_sending(mailroom, nid) for nid in ids])
