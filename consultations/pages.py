"""HTML pages for reading and taking part: the list, one consultation, answering, commenting, the
report, the calendar file and the exports. Every form works without JavaScript; a refused or
invalid form re-renders the page with the message (422 for a mistake, 409 after the close).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from consultations import comments as comment_service
from consultations import exports, ical, report
from consultations.access import can_create_anywhere
from consultations.attribution import ATTRIBUTION_LABELS
from consultations.browse import get_page, list_consultations, list_my_notices
from consultations.models import Question, QuestionKind
from consultations.responses import do_save_response, do_set_attribution
from consultations.schemas import CommentIn, ResponseIn
from consultations.state import closed_at, session_ends_at
from convene.api import read_input, validate
from convene.errors import Conflict, Invalid
from convene.i18n import translations


def gettext_for(request: Request) -> Any:
    return translations(request.app.state.templates.locale_for(request)).gettext


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    base = {
        "attribution_labels": ATTRIBUTION_LABELS,
        "closed_at": closed_at,
        "session_ends_at": session_ends_at,
    }
    return request.app.state.templates.render(request, name, {**base, **context}, status_code=status_code)


def redirect(url: str, done: str | None = None, anchor: str = "") -> RedirectResponse:
    if done:
        url += ("&" if "?" in url else "?") + f"done={done}"
    return RedirectResponse(url + anchor, status_code=303)


def cid(request: Request) -> int:
    return int(request.path_params["cid"])


async def consultations_index(request: Request) -> Response:
    now = request.app.state.clock.now()
    return render(
        request,
        "consultations/list.html",
        {
            "items": await list_consultations(request.user, now),
            "notices": await list_my_notices(request.user, now),
            "can_create": can_create_anywhere(request.user),
        },
    )


_FIELD = re.compile(r"^q(\d{1,12})(?:_o(\d{1,12}))?$")


def answers_from_form(form: dict[str, Any]) -> dict[int, Any]:
    """The form's fields (q12, q12[] for checkboxes, q12_o5 for a ranking's rank of option 5) as
    API-shaped answers; blank fields are skips. The service checks them against the questions."""
    answers: dict[int, Any] = {}
    for name, value in form.items():
        match = _FIELD.match(name)
        if match is None:
            continue
        qid = int(match.group(1))
        if match.group(2) is None:
            answers[qid] = value
        elif isinstance(value, str) and value.strip():
            ranks = answers.setdefault(qid, {})
            if isinstance(ranks, dict):
                ranks[match.group(2)] = value
    return {qid: v for qid, v in answers.items() if v not in (None, "", [], {})}


def form_values(questions: list[Question], answers: dict[int, Any]) -> dict[int, Any]:
    """Answers (stored or as typed) in the shape the form's fields show them again."""
    values: dict[int, Any] = {}
    for q in questions:
        raw = answers.get(q.id)
        if raw is None:
            continue
        if q.kind == QuestionKind.MULTIPLE:
            values[q.id] = [str(v) for v in (raw if isinstance(raw, list) else [raw])]
        elif q.kind == QuestionKind.RANKING:
            if isinstance(raw, list):
                values[q.id] = {str(opt): str(n) for n, opt in enumerate(raw, start=1)}
            elif isinstance(raw, dict):
                values[q.id] = {str(k): str(v) for k, v in raw.items()}
        else:
            values[q.id] = str(raw)
    return values


async def consultation_page(
    request: Request,
    *,
    typed: dict[int, Any] | None = None,
    errors: dict[str, str] | None = None,
    alert: str = "",
    comment_form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    now = request.app.state.clock.now()
    page = await get_page(request.user, cid(request), now, gettext_for(request))
    questions = [q for block in page.blocks for _, q in block.questions]
    values = form_values(questions, page.mine.answers if typed is None else typed)
    return render(
        request,
        "consultations/page.html",
        {
            "page": page,
            "c": page.access.consultation,
            "values": values,
            "errors": errors or {},
            "alert": alert,
            "comment_form": comment_form or {},
            "question_kinds": QuestionKind,
        },
        status_code,
    )


async def respond(request: Request) -> Response:
    form = await read_input(request)
    answers = answers_from_form(form)
    data = {"answers": answers, "attribution": form.get("attribution"), "submit": form.get("submit") == "1"}
    try:
        respondent = await do_save_response(
            request.user, cid(request), validate(ResponseIn, data), clock=request.app.state.clock
        )
    except Invalid as exc:
        return await consultation_page(
            request, typed=answers, errors=exc.fields, alert=exc.message, status_code=422
        )
    except Conflict as exc:
        return await consultation_page(request, typed=answers, alert=exc.message, status_code=409)
    done = "submitted" if data["submit"] else ("updated" if respondent.status == "submitted" else "saved")
    return redirect(f"/consultations/{cid(request)}", done, "#respond")


async def set_attribution(request: Request) -> Response:
    form = await read_input(request)
    try:
        await do_set_attribution(
            request.user, cid(request), form.get("attribution") or "", clock=request.app.state.clock
        )
    except Invalid as exc:
        return await consultation_page(request, errors=exc.fields, alert=exc.message, status_code=422)
    except Conflict as exc:
        return await consultation_page(request, alert=exc.message, status_code=409)
    return redirect(f"/consultations/{cid(request)}", "attribution", "#respond")


async def add_comment(request: Request) -> Response:
    form = await read_input(request)
    try:
        data = validate(CommentIn, form)
        comment = await comment_service.do_add_comment(
            request.user, cid(request), data, clock=request.app.state.clock
        )
    except Invalid as exc:
        return await consultation_page(
            request, comment_form={**form, "errors": exc.fields}, alert=exc.message, status_code=422
        )
    except Conflict as exc:
        return await consultation_page(request, comment_form=form, alert=exc.message, status_code=409)
    return redirect(f"/consultations/{cid(request)}", "commented", f"#c{comment.id}")


def _moderation(action: Any, done: str) -> Any:
    async def endpoint(request: Request) -> Response:
        form = await read_input(request)
        kwargs = {"reason": str(form.get("reason") or "")[:1000]} if done == "hidden" else {}
        comment = await action(
            request.user,
            cid(request),
            int(request.path_params["comment_id"]),
            clock=request.app.state.clock,
            **kwargs,
        )
        return redirect(f"/consultations/{cid(request)}", done, f"#c{comment.id}")

    return endpoint


async def report_page(request: Request) -> Response:
    now = request.app.state.clock.now()
    result = await report.get_report(request.user, cid(request), now, gettext_for(request))
    return render(
        request,
        "consultations/report.html",
        {"report": result, "c": result.access.consultation, "now_state": result.access.state(now)},
    )


async def calendar_file(request: Request) -> Response:
    settings = request.app.state.settings
    body = await ical.calendar_for(
        request.user,
        cid(request),
        base_url=settings.base_url,
        site_name=settings.site_name,
        now=request.app.state.clock.now(),
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="consultation-{cid(request)}.ics"'},
    )


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"', "cache-control": "no-store"},
    )


async def export_file(request: Request) -> Response:
    """/consultations/{id}/export/{what}.{fmt}: what is responses or comments; fmt is csv or json."""
    what, fmt = request.path_params["what"], request.path_params["fmt"]
    if what not in ("responses", "comments") or fmt not in ("csv", "json"):
        from convene.errors import NotFound

        raise NotFound()
    consultation_id = cid(request)
    if what == "responses":
        rows, columns = await exports.response_rows(request.user, consultation_id), exports.RESPONSE_COLUMNS
    else:
        rows, columns = await exports.comment_rows(request.user, consultation_id), exports.COMMENT_COLUMNS
    filename = f"consultation-{consultation_id}-{what}.{fmt}"
    if fmt == "csv":
        return _download(exports.to_csv(rows, columns), "text/csv; charset=utf-8", filename)
    body = exports.to_json(consultation_id, what, rows, columns, request.app.state.clock.now())
    return _download(body, "application/json", filename)


routes = [
    Route("/consultations", consultations_index, methods=["GET"], name="consultations"),
    Route("/consultations/{cid:int}", consultation_page, methods=["GET"], name="consultation"),
    Route("/consultations/{cid:int}/respond", respond, methods=["POST"]),
    Route("/consultations/{cid:int}/attribution", set_attribution, methods=["POST"]),
    Route("/consultations/{cid:int}/comments", add_comment, methods=["POST"]),
    Route(
        "/consultations/{cid:int}/comments/{comment_id:int}/hide",
        _moderation(comment_service.do_hide_comment, "hidden"),
        methods=["POST"],
    ),
    Route(
        "/consultations/{cid:int}/comments/{comment_id:int}/unhide",
        _moderation(comment_service.do_unhide_comment, "unhidden"),
        methods=["POST"],
    ),
    Route(
        "/consultations/{cid:int}/comments/{comment_id:int}/pin",
        _moderation(comment_service.do_pin_comment, "pinned"),
        methods=["POST"],
    ),
    Route(
        "/consultations/{cid:int}/comments/{comment_id:int}/unpin",
        _moderation(comment_service.do_unpin_comment, "unpinned"),
        methods=["POST"],
    ),
    Route("/consultations/{cid:int}/report", report_page, methods=["GET"], name="consultation_report"),
    Route("/consultations/{cid:int}/calendar.ics", calendar_file, methods=["GET"]),
    Route("/consultations/{cid:int}/export/{what}.{fmt}", export_file, methods=["GET"]),
]
