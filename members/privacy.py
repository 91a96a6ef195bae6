"""Personal data: the privacy page an administrator writes, and a member's download of their data.

The export is one zip: `data.json` (everything the member made or that describes their account:
profile, groups, threads, posts, chat and direct messages they wrote, resources, comments,
consultation answers, notifications, sessions and API tokens without their secrets) and
`uploads/` (the files they added to the library). Optional packages (library, messages,
consultations, forum notifications) are included when they are installed. Erasure is in
members/erasure.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import zipfile
from datetime import date, datetime
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

from convene.db import in_transaction
from convene.errors import Invalid
from convene.markup import render_markdown
from members.context import Site
from members.directory import split_list, visibility_of
from members.models import ApiToken, MemberWarning, Session, SiteSetting, User
from members.permissions import check_is_admin, check_signed_in

PRIVACY_KEY = "privacy"
PRIVACY_HTML_KEY = "privacy_html"
MAX_PRIVACY = 50_000


def optional(module: str) -> ModuleType | None:
    """A package that may not be installed on every site (consultations, library, messages)."""
    try:
        return import_module(module)
    except ImportError:
        return None


# ---- The privacy page ----


async def get_privacy() -> tuple[str, str]:
    """(Markdown, HTML) of the privacy page; empty until an administrator writes it."""
    rows = {r.key: r.value for r in await SiteSetting.filter(key__in=[PRIVACY_KEY, PRIVACY_HTML_KEY])}
    return rows.get(PRIVACY_KEY, ""), rows.get(PRIVACY_HTML_KEY, "")


async def do_update_privacy(site: Site, actor: object, text: str) -> str:
    admin = check_is_admin(actor)
    text = (text or "").strip()
    if len(text) > MAX_PRIVACY:
        raise Invalid(fields={"privacy": f"Keep the privacy notice under {MAX_PRIVACY:,} characters."})
    html = render_markdown(text)
    from members.audit import do_record_audit

    async with in_transaction() as conn:
        await SiteSetting.update_or_create(defaults={"value": text}, key=PRIVACY_KEY, using_db=conn)
        await SiteSetting.update_or_create(defaults={"value": html}, key=PRIVACY_HTML_KEY, using_db=conn)
        await do_record_audit(
            admin, "site.privacy", target_type="site", target_id=None, clock=site.clock, using_db=conn
        )
    return html


# ---- The export ----


def _rows(values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items()} for row in values]


async def _forum(user: User) -> dict[str, Any]:
    from forum.models import Membership, Post, Thread

    groups = await Membership.filter(user_id=user.id).values(
        "group__name", "group__slug", "role", "status", "created_at"
    )
    threads = (
        await Thread.filter(author_id=user.id)
        .order_by("id")
        .values("id", "title", "group__slug", "created_at")
    )
    posts = (
        await Post.filter(author_id=user.id)
        .order_by("id")
        .values(
            "id",
            "thread_id",
            "thread__title",
            "thread__group__slug",
            "number",
            "body",
            "created_at",
            "hidden_at",
        )
    )
    return {
        "groups": [
            {"group": g["group__name"], "slug": g["group__slug"], "role": str(g["role"]),
             "status": str(g["status"]), "joined_at": g["created_at"]}
            for g in groups
        ],
        "threads": [
            {"id": t["id"], "title": t["title"], "group": t["group__slug"], "created_at": t["created_at"],
             "url": f"/g/{t['group__slug']}/t/{t['id']}"}
            for t in threads
        ],
        "posts": [
            {"id": p["id"], "thread_id": p["thread_id"], "thread_title": p["thread__title"],
             "group": p["thread__group__slug"], "number": p["number"], "body": p["body"],
             "created_at": p["created_at"], "hidden_by_moderator": p["hidden_at"] is not None,
             "url": f"/g/{p['thread__group__slug']}/t/{p['thread_id']}/p/{p['number']}"}
            for p in posts
        ],
    }  # fmt: skip


async def _chat(user: User) -> dict[str, Any]:
    from realtime.models import ChatMessage

    rows = (
        await ChatMessage.filter(author_id=user.id)
        .order_by("id")
        .values("room", "body", "created_at", "deleted_at")
    )
    chat = [r for r in rows if not r["room"].startswith("dm:")]
    direct = [r for r in rows if r["room"].startswith("dm:")]
    out: dict[str, Any] = {
        "chat_messages": [
            {
                "room": r["room"],
                "body": r["body"],
                "created_at": r["created_at"],
                "deleted": r["deleted_at"] is not None,
            }
            for r in chat
        ]
    }
    messages = optional("messages.models")
    conversations: dict[int, dict[str, Any]] = {}
    if messages is not None:
        mine = await messages.Participant.filter(user_id=user.id).values_list("conversation_id", flat=True)
        for row in (
            await messages.Participant.filter(conversation_id__in=list(mine))
            .order_by("id")
            .values("conversation_id", "conversation__subject", "user__name", "user_id")
        ):
            entry = conversations.setdefault(
                row["conversation_id"],
                {"id": row["conversation_id"], "subject": row["conversation__subject"], "with": []},
            )
            if row["user_id"] != user.id:
                entry["with"].append(row["user__name"])
        out["blocked_members"] = list(
            await messages.Block.filter(blocker_id=user.id).values_list("blocked__username", flat=True)
        )
        settings = await messages.MessageSettings.get_or_none(user_id=user.id)
        out["direct_message_settings"] = {
            "email_new_messages": settings is None or settings.email_new_messages
        }
    out["direct_message_conversations"] = list(conversations.values())
    out["direct_messages_written"] = [
        {"conversation": int(r["room"][3:]), "body": r["body"], "created_at": r["created_at"],
         "deleted": r["deleted_at"] is not None}
        for r in direct
    ]  # fmt: skip
    return out


async def _library(user: User) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The member's resources and comments, and (path in zip, sha256) of each uploaded file."""
    library = optional("library.models")
    if library is None:
        return {}, []
    files: list[tuple[str, str]] = []
    resources = []
    for r in await library.Resource.filter(created_by_id=user.id).order_by("id").prefetch_related("group"):
        entry = {
            "id": r.id, "title": r.title, "description": r.description, "kind": str(r.kind), "url": r.url,
            "languages": r.languages, "country": r.country, "stages": r.stages, "tags": r.tags,
            "publisher": r.publisher, "year": r.year, "last_reviewed": r.last_reviewed,
            "group": r.group.slug if r.group else None, "audience": str(r.audience),
            "translation_of": r.translation_of_id, "created_at": r.created_at, "updated_at": r.updated_at,
        }  # fmt: skip
        if r.file_sha256:
            name = f"uploads/{r.id}-{r.file_name}"
            entry["file"] = name
            files.append((name, r.file_sha256))
        resources.append(entry)
    comments = (
        await library.ResourceComment.filter(author_id=user.id)
        .order_by("id")
        .values("resource_id", "body", "created_at")
    )
    return {"resources": resources, "resource_comments": _rows(comments)}, files


async def _consultations(user: User) -> dict[str, Any]:
    models = optional("consultations.models")
    if models is None:
        return {}
    out = []
    for respondent in await models.Respondent.filter(user_id=user.id).prefetch_related("consultation"):
        answers = (
            await models.Answer.filter(respondent_id=respondent.id)
            .order_by("question_id")
            .values("question_id", "question__text", "value")
        )
        comments = (
            await models.Comment.filter(respondent_id=respondent.id)
            .order_by("id")
            .values("section__title", "body", "created_at")
        )
        out.append(
            {
                "consultation": getattr(respondent.consultation, "title", respondent.consultation_id),
                "attribution": str(respondent.attribution),
                "status": str(respondent.status),
                "submitted_at": respondent.submitted_at,
                "answers": _rows(answers),
                "comments": _rows(comments),
            }
        )
    return {"consultation_responses": out}


async def _notifications(user: User) -> dict[str, Any]:
    for module in ("forum.models", "forum.notifications"):
        found = optional(module)
        model = getattr(found, "Notification", None) if found else None
        if model is not None and "user" in model._meta.fields_map:
            return {"notifications": _rows(await model.filter(user_id=user.id).order_by("id").values())}
    return {}


async def collect_member_data(site: Site, user: User) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Everything kept about a member, as JSON-ready data, and the files to add to the zip."""
    now = site.clock.now()
    data: dict[str, Any] = {
        "exported_at": now,
        "site": {"name": site.settings.site_name, "url": site.settings.base_url},
        "account": {
            "id": user.id, "username": user.username, "name": user.name, "email": user.email,
            "role": str(user.role), "status": str(user.status), "created_at": user.created_at,
            "last_seen_at": user.last_seen_at, "terms_accepted_at": user.terms_accepted_at,
            "locale": user.locale, "timezone": user.timezone,
        },
        "profile": {
            "organisation": user.organisation, "organisation_type": user.organisation_type,
            "country": user.country, "city": user.city, "stages": split_list(user.stages),
            "languages": split_list(user.languages), "expertise": user.expertise, "bio": user.bio,
            "visibility": visibility_of(user),
        },
        "sessions": _rows(await Session.filter(user_id=user.id).order_by("id").values(
            "created_at", "last_seen_at", "expires_at", "user_agent", "revoked_at"
        )),
        "api_tokens": _rows(await ApiToken.filter(user_id=user.id).order_by("id").values(
            "name", "prefix", "created_at", "last_used_at", "revoked_at"
        )),
        "warnings_received": _rows(await MemberWarning.filter(user_id=user.id).order_by("id").values(
            "reason", "created_at", "acknowledged_at"
        )),
    }  # fmt: skip
    data.update(await _forum(user))
    data.update(await _chat(user))
    library, files = await _library(user)
    data.update(library)
    data.update(await _consultations(user))
    data.update(await _notifications(user))
    return data, files


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _write_zip(path: Path, data: dict[str, Any], files: list[tuple[str, Path]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False, default=_json_default))
        for name, source in files:
            if source.is_file():
                archive.write(source, name)


async def build_export(site: Site, actor: object) -> tuple[Path, str]:
    """Write the member's zip to a private temporary file; returns (path, download name). The
    caller deletes the file once it is sent."""
    user = check_signed_in(actor)
    data, files = await collect_member_data(site, user)
    root = Path(site.settings.data_dir)
    sources = [
        (name, root / "uploads" / sha[:2] / sha) for name, sha in files if re.fullmatch(r"[0-9a-f]{64}", sha)
    ]
    path = root / "tmp" / f"export-{user.id}-{os.urandom(8).hex()}.zip"
    await asyncio.to_thread(_write_zip, path, data, sources)
    stamp = site.clock.now().strftime("%Y-%m-%d")
    return path, f"{site.settings.site_name}-data-{user.username}-{stamp}.zip"
