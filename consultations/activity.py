"""The consultation's activity log (shown to its facilitators) and the site-wide audit log.

Every facilitator action is written to both inside the transaction that makes the change, so the
record and the change are kept or rolled back together. The activity log also keeps the system's
own steps (notices sent), which are not moderation and do not belong in the audit log.
"""

from __future__ import annotations

from typing import Any

from consultations.models import Consultation, ConsultationEvent
from convene.clock import Clock
from members.choices import N_

# Human wording of each action for the activity page (translated where it is shown).
ACTION_LABELS = {
    "created": N_("created the consultation"),
    "updated": N_("changed the details"),
    "section.added": N_("added a section"),
    "section.updated": N_("changed a section"),
    "section.deleted": N_("deleted a section"),
    "section.moved": N_("moved a section"),
    "question.added": N_("added a question"),
    "question.updated": N_("changed a question"),
    "question.deleted": N_("deleted a question"),
    "question.moved": N_("moved a question"),
    "session.added": N_("scheduled a live session"),
    "session.deleted": N_("removed a live session"),
    "session.ended": N_("ended a live session"),
    "session.extended": N_("extended a live session"),
    "published": N_("published the consultation"),
    "unpublished": N_("turned the consultation back into a draft"),
    "handed_over": N_("handed the consultation over"),
    "extended": N_("extended the deadline"),
    "closed_early": N_("closed the consultation early"),
    "reopened": N_("reopened the consultation"),
    "report_published": N_("published the report"),
    "report_withdrawn": N_("withdrew the report"),
    "comment.hidden": N_("hid a comment"),
    "comment.unhidden": N_("showed a hidden comment again"),
    "comment.pinned": N_("pinned a comment"),
    "comment.unpinned": N_("unpinned a comment"),
    "qa.approved": N_("approved a live question"),
    "qa.hidden": N_("hid a live question"),
    "qa.answered": N_("marked a live question answered"),
    "qa.highlighted": N_("highlighted a live question"),
    "notice.sent": N_("sent a notice to participants"),
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
