"""Account erasure: a member deletes their account, or an administrator does it for them (a
request received by email), with a reason kept in the audit log.

What is erased, always: name ("Former member"), email (a unique address under .invalid that
can receive nothing), username, password, every profile detail and visibility choice, sessions,
API tokens, password resets, group memberships, blocks, message and email preferences, queued
emails to the old address. The account row stays as a tombstone (status "deleted") so that what
the member chose to keep still has an author: "Former member".

Their contributions are, as they choose, either kept under "Former member" or deleted: posts are
emptied (a thread only they wrote is removed), chat and direct messages are deleted, library
resources and their files are removed, consultation responses are withdrawn. With "keep",
consultation responses become anonymous. Nothing the site shows, searches, exports or feeds
afterwards names them.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F

from convene.db import in_transaction
from convene.errors import Conflict, Forbidden, Invalid, NotFound
from members.audit import do_record_audit
from members.context import Site
from members.directory import NOBODY, PROFILE_FIELDS
from members.models import (
    ApiToken,
    LoginFailure,
    MemberWarning,
    PasswordReset,
    Role,
    Session,
    User,
    UserStatus,
)
from members.permissions import check_is_admin, check_signed_in
from members.privacy import optional

FORMER_MEMBER = "Former member"
REMOVED_POST_HTML = "<p><em>This post was removed when its author deleted their account.</em></p>"


@dataclass
class Erasure:
    user_id: int
    scopes: list[str]  # realtime scopes to revoke live subscriptions from (after commit)
    resources_removed: int


async def _check_not_last_admin(user: User) -> None:
    if user.role == Role.ADMIN and user.status == UserStatus.ACTIVE:
        others = await User.filter(role=Role.ADMIN, status=UserStatus.ACTIVE).exclude(id=user.id).count()
        if not others:
            raise Conflict("This is the last active administrator. Make someone else an administrator first.")


async def _free_username(user_id: int) -> str:
    base = f"former-member-{user_id}"
    candidate = base
    while await User.filter(username=candidate).exclude(id=user_id).exists():
        candidate = f"{base}-{secrets.token_hex(2)}"
    return candidate


async def _forget_posts(user_id: int, now: Any, conn: Any) -> None:
    """Delete the member's writing in the forum: threads only they wrote go; their other posts
    are emptied (the numbering of a thread others replied to stays intact)."""
    from forum.models import Group, Post, Thread
    from forum.search import unindex_post

    for thread in await Thread.filter(author_id=user_id).using_db(conn):
        others = await Post.filter(thread_id=thread.id).using_db(conn).exclude(author_id=user_id).exists()
        if not others:
            for post_id in await Post.filter(thread_id=thread.id).using_db(conn).values_list("id", flat=True):
                await unindex_post(post_id, using_db=conn)
            await thread.delete(using_db=conn)
            await Group.filter(id=thread.group_id).using_db(conn).update(thread_count=F("thread_count") - 1)  # type: ignore[attr-defined]
    changes: dict[str, Any] = {"body": "", "body_html": REMOVED_POST_HTML}
    if "deleted_at" in Post._meta.fields_map:
        changes["deleted_at"] = now
    for post_id in await Post.filter(author_id=user_id).using_db(conn).values_list("id", flat=True):
        await unindex_post(post_id, using_db=conn)
    await Post.filter(author_id=user_id).using_db(conn).update(**changes)


async def _forget_messages(user_id: int, now: Any, conn: Any) -> None:
    from realtime.models import ChatMessage

    await ChatMessage.filter(author_id=user_id).using_db(conn).update(body="", body_html="", deleted_at=now)


async def _consultations(user_id: int, delete_content: bool, conn: Any) -> None:
    models = optional("consultations.models")
    if models is None:
        return
    if delete_content:
        await models.Respondent.filter(user_id=user_id).using_db(conn).delete()
    else:
        await (
            models.Respondent.filter(user_id=user_id)
            .using_db(conn)
            .update(attribution=models.Attribution.ANONYMOUS)
        )


async def _memberships(user_id: int, conn: Any) -> list[str]:
    from forum.models import Group, Membership, MembershipStatus

    group_ids = list(
        await Membership.filter(user_id=user_id).using_db(conn).values_list("group_id", flat=True)
    )
    await Membership.filter(user_id=user_id).using_db(conn).delete()
    for group_id in group_ids:
        count = (
            await Membership.filter(group_id=group_id, status=MembershipStatus.ACTIVE).using_db(conn).count()
        )
        await Group.filter(id=group_id).using_db(conn).update(member_count=count)
    return [f"group:{g}" for g in group_ids]


async def _messages(user_id: int, now: Any, conn: Any) -> list[str]:
    models = optional("messages.models")
    if models is None:
        return []
    conversations = list(
        await models.Participant.filter(user_id=user_id)
        .using_db(conn)
        .values_list("conversation_id", flat=True)
    )
    await models.Participant.filter(user_id=user_id).using_db(conn).update(left_at=now, pending_since=None)
    await models.Block.filter(blocker_id=user_id).using_db(conn).delete()
    await models.Block.filter(blocked_id=user_id).using_db(conn).delete()
    await models.MessageSettings.filter(user_id=user_id).using_db(conn).delete()
    return [f"dm:{c}" for c in conversations]


async def _email(user_id: int, old_email: str, conn: Any) -> None:
    outbox = optional("digest.models")
    if outbox is None:
        return
    # Queued or sent emails hold the old address and words about the member.
    await outbox.OutboxMessage.filter(to_email=old_email).using_db(conn).delete()
    for name in ("DigestPreference", "EmailHealth", "DigestRun", "NotificationMail"):
        model = getattr(outbox, name, None)
        if model is not None:
            await model.filter(user_id=user_id).using_db(conn).delete()


async def _notifications(user_id: int, conn: Any) -> None:
    for module in ("forum.models", "forum.notifications"):
        found = optional(module)
        model = getattr(found, "Notification", None) if found else None
        if model is not None and "user" in model._meta.fields_map:
            await model.filter(user_id=user_id).using_db(conn).delete()
            return


async def _tombstone(user: User, conn: Any) -> None:
    changes: dict[str, Any] = {
        "name": FORMER_MEMBER,
        "username": await _free_username(user.id),
        "email": f"erased-{user.id}-{secrets.token_hex(6)}@erased.invalid",
        "password_hash": "!erased-" + secrets.token_hex(16),  # never a valid hash: no password opens it
        "role": Role.MEMBER,
        "status": UserStatus.DELETED,
        "organisation": "", "organisation_type": "", "country": "", "city": "", "stages": "",
        "languages": "", "expertise": "", "bio": "", "bio_html": "", "locale": "", "timezone": "UTC",
        "terms_accepted_at": None, "last_seen_at": None, "suspended_until": None,
    }  # fmt: skip
    changes.update({f"{field}_visibility": NOBODY for field in PROFILE_FIELDS})
    await User.filter(id=user.id).using_db(conn).update(**changes)


async def do_erase_member(
    site: Site,
    actor: object,
    user_id: int,
    *,
    delete_content: bool,
    reason: str = "",
    password: str | None = None,
) -> Erasure:
    """Erase an account. A member erases their own (with their password); an administrator
    erases anyone's but their own this way, giving a reason. Recorded in the audit log."""
    doer = check_signed_in(actor)
    user = await User.get_or_none(id=user_id)
    if user is None or (user.status == UserStatus.DELETED and user.name == FORMER_MEMBER):
        raise NotFound("There is no such member, or their account has already been deleted.")
    by_self = doer.id == user.id
    if by_self:
        ok = await asyncio.to_thread(site.passwords.verify, user.password_hash, password or "")
        if not ok:
            raise Invalid(fields={"password": "That is not your current password."})
    else:
        check_is_admin(doer)
        reason = " ".join((reason or "").split())
        if not reason:
            raise Invalid(fields={"reason": "Say why (for example: a request received by email on 3 May)."})
    if user.role == Role.ADMIN and not by_self:
        raise Forbidden("An administrator's account can only be deleted by its owner.")
    await _check_not_last_admin(user)

    removed = 0
    if delete_content:
        library = optional("library.service")
        if library is not None:
            from library.files import store_of

            removed = await library.delete_resources_of(user.id, store_of(site.settings))
    now = site.clock.now()
    old_email = user.email
    async with in_transaction() as conn:
        if delete_content:
            await _forget_posts(user.id, now, conn)
            await _forget_messages(user.id, now, conn)
            comments = optional("library.models")
            if comments is not None:
                await comments.ResourceComment.filter(author_id=user.id).using_db(conn).delete()
        await _consultations(user.id, delete_content, conn)
        scopes = await _memberships(user.id, conn)
        scopes += await _messages(user.id, now, conn)
        await Session.filter(user_id=user.id).using_db(conn).delete()
        await ApiToken.filter(user_id=user.id).using_db(conn).delete()
        await PasswordReset.filter(user_id=user.id).using_db(conn).delete()
        await MemberWarning.filter(user_id=user.id).using_db(conn).delete()
        await LoginFailure.filter(key__contains=old_email).using_db(conn).delete()
        await _email(user.id, old_email, conn)
        await _notifications(user.id, conn)
        await _tombstone(user, conn)
        await do_record_audit(
            doer,
            "user.erase",
            target_type="user",
            target_id=user.id,
            reason=reason if not by_self else "",
            data={"by_self": by_self, "content": "deleted" if delete_content else "kept"},
            clock=site.clock,
            using_db=conn,
        )
    return Erasure(user_id=user.id, scopes=scopes, resources_removed=removed)
