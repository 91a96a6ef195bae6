"""The consultation's activity log (shown to its facilitators) and the site-wide audit log.

Every facilitator action is written to both inside the transaction that makes the change, so the
record and the change are kept or rolled back together. The activity log also keeps the system's
own steps (notices sent), which are not moderation and do not belong in the audit log.
"""

from __future__ import annotations

from typing import Any

from convene.clock import Clock
from consultations.models import Consultation, ConsultationEvent

# Human wording of each action for the activity page (translated where it is shown).
ACTION_LABELS = {
    "created": "created the consultation",
    "updated": "changed the details",
    "section.added": "added a section",
    "section.updated": "changed a section",
    "section.deleted": "deleted a section",
    "section.moved": "moved a section",
    "question.added": "added a question",
    "question.updated": "changed a question",
    "question.deleted": "deleted a question",
    "question.moved": "moved a question",
    "session.added": "scheduled a live session",
    "session.deleted": "removed a live session",
    "session.ended": "ended a live session",
    "session.extended": "extended a live session",
    "published": "published the consultation",
    "unpublished": "turned the consultation back into a draft",
    "handed_over": "handed the consultation over",
    "extended": "extended the deadline",
    "closed_early": "closed the consultation early",
    "reopened": "reopened the consultation",
    "report_published": "published the report",
    "report_withdrawn": "withdrew the report",
    "comment.hidden": "hid a comment",
    "comment.unhidden": "showed a hidden comment again",
    "comment.pinned": "pinned a comment",
    "comment.unpinned": "unpinned a comment",
    "qa.approved": "approved a live question",
    "qa.hidden": "hid a live question",
    "qa.answered": "marked a live question answered",
    "qa.highlighted": "highlighted a live question",
    "notice.sent": "sent a notice to participants",
}


async def do_log(
    consultation: Consultation,
    actor: Any,
    action: str,
    *,
    clock: Clock,
    data: dict[str, Any] | None = None,
    reason: str = "",
    audit: bool = True,
    using_db: Any = None,
) -> None:
    """Record one action. `actor` is the acting User, or None for the system (the scheduler)."""
    await ConsultationEvent.create(
        consultation_id=consultation.id,
        actor_id=getattr(actor, "id", None),
        action=action,
        data={**(data or {}), **({"reason": reason} if reason else {})},
        created_at=clock.now(),
        using_db=using_db,
    )
    if audit and actor is not None:
        from members.audit import do_record_audit

        await do_record_audit(
            actor,
            f"consultation.{action}",
            target_type="consultation",
            target_id=consultation.id,
            group_id=consultation.group_id,  # type: ignore[attr-defined]
            reason=reason,
            data=data or {},
            clock=clock,
            using_db=using_db,
        )


async def list_activity(consultation: Consultation, limit: int = 200) -> list[ConsultationEvent]:
    """Newest first. No permission check: callers check the viewer manages the consultation."""
    return list(
        await ConsultationEvent.filter(consultation_id=consultation.id)
        .order_by("-created_at", "-id")
        .limit(limit)
        .select_related("actor")
    )
