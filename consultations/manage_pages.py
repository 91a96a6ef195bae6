"""HTML pages for facilitators: start a consultation, write its document and questions, schedule
live sessions, publish, hand over, extend, close early, reopen, publish the report, read the log.

Times typed into the forms are in the facilitator's own time zone (their profile's), stored in UTC.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consultations import authoring, lifecycle, questions
from consultations.access import (
    can_create_network_wide,
    check_can_create,
    get_managed,
    list_groups_for_creation,
)
from consultations.activity import ACTION_LABELS, list_activity
from consultations.live import list_sessions
from consultations.models import Attribution, QuestionKind, Section
from consultations.pages import cid, redirect, render
from consultations.responses import load_questions
from consultations.room import publish_frames
from consultations.schemas import (
    ConsultationIn,
    ConsultationPatch,
    DeadlineIn,
    HandoverIn,
    QuestionIn,
    ReasonIn,
    SectionIn,
    SessionIn,
    local_input_value,
    localise_times,
)
from consultations.state import state_at
from convene.api import read_input, validate
from convene.errors import Conflict, ConveneError, Invalid

TIMES = ("opens_at", "closes_at", "starts_at")


async def _form(request: Request) -> dict[str, Any]:
    return localise_times(await read_input(request), request.user, TIMES)


async def new_consultation(request: Request) -> Response:
    groups = await list_groups_for_creation(request.user)
    network = can_create_network_wide(request.user)
    if not groups and not network:
        await check_can_create(request.user, None)  # explains why not
    context = {"groups": groups, "network": network, "attributions": list(Attribution)}
    if request.method == "GET":
        preset = request.query_params.get("group", "")
        return render(
            request,
            "consultations/new.html",
            {**context, "values": {"group": preset, "qa_moderated": "on"}, "errors": {}},
        )
    raw = await read_input(request)
    try:
        data = validate(ConsultationIn, localise_times(raw, request.user, TIMES))
        consultation = await authoring.do_create_consultation(
            request.user, data, clock=request.app.state.clock
        )
    except (Invalid, Conflict) as exc:
        return render(
            request,
            "consultations/new.html",
            {**context, "values": raw, "errors": exc.fields or {"title": exc.message}},
            status_code=exc.status,
        )
    return redirect(f"/consultations/{consultation.id}/manage", "created")


async def manage_page(
    request: Request,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
    alert: str = "",
) -> Response:
    access = await get_managed(request.user, cid(request))
    consultation = access.consultation
    now = request.app.state.clock.now()
    details = {
        "title": consultation.title,
        "summary": consultation.summary,
        "attribution": consultation.attribution,
        "qa_moderated": "on" if consultation.qa_moderated else "",
        "opens_at": local_input_value(consultation.opens_at, request.user),
        "closes_at": local_input_value(consultation.closes_at, request.user),
    }
    return render(
        request,
        "consultations/manage.html",
        {
            "access": access,
            "c": consultation,
            "state": state_at(consultation, now),
            "sections": list(
                await Section.filter(consultation_id=consultation.id).order_by("position", "id")
            ),
            "questions": await load_questions(consultation.id),
            "sessions": await list_sessions(consultation.id),
            "activity": await list_activity(consultation),
            "action_labels": ACTION_LABELS,
            "details": details,
            "values": values or {},
            "errors": errors or {},
            "alert": alert,
            "attributions": list(Attribution),
            "kinds": list(QuestionKind),
            "local": lambda dt: local_input_value(dt, request.user),
        },
        status_code,
    )


def _action(work: Any, done: str, *, form_name: str = "", to_page: bool = False) -> Any:
    """A manage-page form: run the service; on a refusal show the manage page again, with the
    message, the form's own field errors and what was typed (errors and values keyed by form)."""

    async def endpoint(request: Request) -> Response:
        raw = await _form(request)
        try:
            result = await work(request, raw)
        except ConveneError as exc:
            if exc.status in (401, 403, 404):
                raise
            name = form_name or "actions"
            return await manage_page(
                request,
                errors={name: exc.fields},
                values={name: raw},
                status_code=exc.status,
                alert=exc.message,
            )
        if isinstance(result, list):
            await publish_frames(request.app, result)
        if to_page:  # e.g. after a handover the former facilitator may no longer manage it
            return redirect(f"/consultations/{cid(request)}", done)
        return redirect(f"/consultations/{cid(request)}/manage", done, f"#{form_name}" if form_name else "")

    return endpoint


def _clock(request: Request) -> Any:
    return request.app.state.clock


async def _details(request: Request, raw: dict[str, Any]) -> None:
    data = validate(ConsultationPatch, {**raw, "qa_moderated": raw.get("qa_moderated", "")})
    await authoring.do_update_consultation(request.user, cid(request), data, clock=_clock(request))


async def _add_section(request: Request, raw: dict[str, Any]) -> None:
    await authoring.do_add_section(
        request.user, cid(request), validate(SectionIn, raw), clock=_clock(request)
    )


async def _add_question(request: Request, raw: dict[str, Any]) -> None:
    await questions.do_add_question(
        request.user, cid(request), validate(QuestionIn, raw), clock=_clock(request)
    )


async def _add_session(request: Request, raw: dict[str, Any]) -> None:
    await authoring.do_add_session(
        request.user, cid(request), validate(SessionIn, raw), clock=_clock(request)
    )


def _item(request: Request, name: str) -> int:
    return int(request.path_params[name])


async def _move_section(request: Request, raw: dict[str, Any]) -> None:
    await authoring.do_move_section(
        request.user,
        cid(request),
        _item(request, "section_id"),
        str(raw.get("direction", "")),
        clock=_clock(request),
    )


async def _delete_section(request: Request, raw: dict[str, Any]) -> None:
    await authoring.do_delete_section(
        request.user, cid(request), _item(request, "section_id"), clock=_clock(request)
    )


async def _move_question(request: Request, raw: dict[str, Any]) -> None:
    await questions.do_move_question(
        request.user,
        cid(request),
        _item(request, "question_id"),
        str(raw.get("direction", "")),
        clock=_clock(request),
    )


async def _delete_question(request: Request, raw: dict[str, Any]) -> None:
    await questions.do_delete_question(
        request.user, cid(request), _item(request, "question_id"), clock=_clock(request)
    )


async def _delete_session(request: Request, raw: dict[str, Any]) -> None:
    await authoring.do_delete_session(
        request.user, cid(request), _item(request, "session_id"), clock=_clock(request)
    )


async def _publish(request: Request, raw: dict[str, Any]) -> None:
    await lifecycle.do_publish(request.user, cid(request), clock=_clock(request))


async def _unpublish(request: Request, raw: dict[str, Any]) -> None:
    await lifecycle.do_unpublish(request.user, cid(request), clock=_clock(request))


async def _handover(request: Request, raw: dict[str, Any]) -> None:
    await lifecycle.do_handover(
        request.user, cid(request), validate(HandoverIn, raw).username, clock=_clock(request)
    )


async def _extend(request: Request, raw: dict[str, Any]) -> list[Any]:
    data = validate(DeadlineIn, raw)
    _, frames = await lifecycle.do_extend(
        request.user, cid(request), data.closes_at, clock=_clock(request), reason=data.reason
    )
    return frames


async def _close(request: Request, raw: dict[str, Any]) -> list[Any]:
    data = validate(ReasonIn, raw)
    _, frames = await lifecycle.do_close_early(
        request.user, cid(request), clock=_clock(request), reason=data.reason
    )
    return frames


async def _reopen(request: Request, raw: dict[str, Any]) -> list[Any]:
    data = validate(DeadlineIn, raw)
    _, frames = await lifecycle.do_reopen(
        request.user, cid(request), data.closes_at, clock=_clock(request), reason=data.reason
    )
    return frames


async def _publish_report(request: Request, raw: dict[str, Any]) -> None:
    await lifecycle.do_publish_report(request.user, cid(request), clock=_clock(request))


async def _withdraw_report(request: Request, raw: dict[str, Any]) -> None:
    await lifecycle.do_withdraw_report(request.user, cid(request), clock=_clock(request))


async def edit_section(request: Request) -> Response:
    access = await get_managed(request.user, cid(request))
    section = await Section.get_or_none(
        id=_item(request, "section_id"), consultation_id=access.consultation.id
    )
    if section is None:
        from convene.errors import NotFound

        raise NotFound("That section does not exist.")
    values: dict[str, Any] = {"title": section.title, "body": section.body}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = await read_input(request)
        try:
            await authoring.do_update_section(
                request.user,
                access.consultation.id,
                section.id,
                validate(SectionIn, values),
                clock=_clock(request),
            )
            return redirect(
                f"/consultations/{access.consultation.id}/manage", "section_saved", f"#s{section.id}"
            )
        except (Invalid, Conflict) as exc:
            errors, status = exc.fields or {"body": exc.message}, exc.status
    return render(
        request,
        "consultations/section_form.html",
        {"c": access.consultation, "section": section, "values": values, "errors": errors},
        status,
    )


async def edit_question(request: Request) -> Response:
    access = await get_managed(request.user, cid(request))
    by_id = {q.id: q for q in await load_questions(access.consultation.id)}
    question = by_id.get(_item(request, "question_id"))
    if question is None:
        from convene.errors import NotFound

        raise NotFound("That question does not exist.")
    values: dict[str, Any] = {
        "kind": question.kind,
        "text": question.text,
        "help": question.help,
        "required": "on" if question.required else "",
        "section_id": question.section_id or "",  # type: ignore[attr-defined]
        "options": "\n".join(o.label for o in question.options),
        "max_choices": question.max_choices or "",
        "scale_low_label": question.scale_low_label,
        "scale_high_label": question.scale_high_label,
    }
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = await read_input(request)
        try:
            await questions.do_update_question(
                request.user,
                access.consultation.id,
                question.id,
                validate(QuestionIn, values),
                clock=_clock(request),
            )
            return redirect(
                f"/consultations/{access.consultation.id}/manage", "question_saved", f"#q{question.id}"
            )
        except (Invalid, Conflict) as exc:
            errors, status = exc.fields or {"text": exc.message}, exc.status
    sections = list(await Section.filter(consultation_id=access.consultation.id).order_by("position", "id"))
    return render(
        request,
        "consultations/question_form.html",
        {
            "c": access.consultation,
            "question": question,
            "values": values,
            "errors": errors,
            "sections": sections,
            "kinds": list(QuestionKind),
        },
        status,
    )


_M = "/consultations/{cid:int}"

routes = [
    Route("/consultations/new", new_consultation, methods=["GET", "POST"], name="consultation_new"),
    Route(f"{_M}/manage", manage_page, methods=["GET"], name="consultation_manage"),
    Route(f"{_M}/manage/details", _action(_details, "saved", form_name="details"), methods=["POST"]),
    Route(f"{_M}/sections", _action(_add_section, "section_added", form_name="section"), methods=["POST"]),
    Route(f"{_M}/sections/{{section_id:int}}/edit", edit_section, methods=["GET", "POST"]),
    Route(f"{_M}/sections/{{section_id:int}}/move", _action(_move_section, "moved"), methods=["POST"]),
    Route(
        f"{_M}/sections/{{section_id:int}}/delete",
        _action(_delete_section, "section_deleted"),
        methods=["POST"],
    ),
    Route(
        f"{_M}/questions", _action(_add_question, "question_added", form_name="question"), methods=["POST"]
    ),
    Route(f"{_M}/questions/{{question_id:int}}/edit", edit_question, methods=["GET", "POST"]),
    Route(f"{_M}/questions/{{question_id:int}}/move", _action(_move_question, "moved"), methods=["POST"]),
    Route(
        f"{_M}/questions/{{question_id:int}}/delete",
        _action(_delete_question, "question_deleted"),
        methods=["POST"],
    ),
    Route(f"{_M}/sessions", _action(_add_session, "session_added", form_name="session"), methods=["POST"]),
    Route(
        f"{_M}/sessions/{{session_id:int}}/delete",
        _action(_delete_session, "session_deleted"),
        methods=["POST"],
    ),
    Route(f"{_M}/publish", _action(_publish, "published"), methods=["POST"]),
    Route(f"{_M}/unpublish", _action(_unpublish, "unpublished"), methods=["POST"]),
    Route(
        f"{_M}/handover",
        _action(_handover, "handed_over", form_name="handover", to_page=True),
        methods=["POST"],
    ),
    Route(f"{_M}/extend", _action(_extend, "extended", form_name="extend"), methods=["POST"]),
    Route(f"{_M}/close", _action(_close, "closed", form_name="close"), methods=["POST"]),
    Route(f"{_M}/reopen", _action(_reopen, "reopened", form_name="reopen"), methods=["POST"]),
    Route(f"{_M}/report/publish", _action(_publish_report, "report_published"), methods=["POST"]),
    Route(f"{_M}/report/withdraw", _action(_withdraw_report, "report_withdrawn"), methods=["POST"]),
]
