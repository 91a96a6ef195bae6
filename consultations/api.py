"""The consultations JSON API under /api/v1: consultations, their document, questions, live sessions
and life cycle. Taking part (answers, comments, live Q&A), the report, exports and the activity log
are in consultations/api_participation.py. Every endpoint calls the same services as the pages.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from convene.api import api, json_response, parse
from consultations import authoring, lifecycle, live
from consultations.access import ConsultationAccess, get_visible
from consultations.browse import list_consultations
from consultations.models import Section
from consultations.outputs import (
    ConsultationOut,
    ConsultationSummaryOut,
    QuestionOut,
    SectionOut,
    SessionOut,
    consultation_out,
    question_out,
    section_out,
    session_out,
    summary_out,
)
from consultations.responses import load_questions
from consultations.room import publish_frames
from consultations.schemas import (
    ConsultationIn,
    ConsultationPatch,
    DeadlineIn,
    HandoverIn,
    HighlightIn,
    QuestionIn,
    ReasonIn,
    SectionIn,
    SessionExtendIn,
    SessionIn,
)

TAG = "Consultations"
BASE = "/api/v1/consultations/{cid:int}"


class MoveIn(BaseModel):
    direction: str  # "up" or "down"


def _cid(request: Request) -> int:
    return int(request.path_params["cid"])


def _now(request: Request) -> Any:
    return request.app.state.clock.now()


async def full_out(access: ConsultationAccess, now: Any) -> ConsultationOut:
    c = access.consultation
    sections = list(await Section.filter(consultation_id=c.id).order_by("position", "id"))
    return consultation_out(access, now, sections, await load_questions(c.id), await live.list_sessions(c.id))


async def _fresh(request: Request, status: int = 200) -> JSONResponse:
    access = await get_visible(request.user, _cid(request))
    return json_response(await full_out(access, _now(request)), status)


def _no_content() -> Response:
    return Response(status_code=204)


@api("GET", "/api/v1/consultations", summary="List the consultations you may see", tag=TAG,
     response=ConsultationSummaryOut, many=True)  # fmt: skip
async def api_list(request: Request) -> JSONResponse:
    now = _now(request)
    return json_response([summary_out(item.consultation, now) for item in await list_consultations(request.user, now)])


@api("POST", "/api/v1/consultations", summary="Start a consultation (facilitators and above)", tag=TAG,
     body=ConsultationIn, response=ConsultationOut, status=201, auth=True)  # fmt: skip
async def api_create(request: Request) -> JSONResponse:
    data = await parse(request, ConsultationIn)
    consultation = await authoring.do_create_consultation(request.user, data, clock=request.app.state.clock)
    access = await get_visible(request.user, consultation.id)
    return json_response(await full_out(access, _now(request)), 201)


@api("GET", BASE, summary="One consultation: its document, questions and live sessions", tag=TAG,
     response=ConsultationOut)  # fmt: skip
async def api_get(request: Request) -> JSONResponse:
    return await _fresh(request)


@api("PATCH", BASE, summary="Change a consultation's details (facilitator)", tag=TAG, body=ConsultationPatch,
     response=ConsultationOut, auth=True)  # fmt: skip
async def api_update(request: Request) -> JSONResponse:
    data = await parse(request, ConsultationPatch)
    await authoring.do_update_consultation(request.user, _cid(request), data, clock=request.app.state.clock)
    return await _fresh(request)


@api("POST", BASE + "/sections", summary="Add a section to the document", tag=TAG, body=SectionIn,
     response=SectionOut, status=201, auth=True)  # fmt: skip
async def api_add_section(request: Request) -> JSONResponse:
    section = await authoring.do_add_section(request.user, _cid(request), await parse(request, SectionIn),
                                             clock=request.app.state.clock)  # fmt: skip
    return json_response(section_out(section), 201)


@api("PATCH", BASE + "/sections/{section_id:int}", summary="Change a section's title and text", tag=TAG,
     body=SectionIn, response=SectionOut, auth=True)  # fmt: skip
async def api_update_section(request: Request) -> JSONResponse:
    section = await authoring.do_update_section(request.user, _cid(request), int(request.path_params["section_id"]),
                                                await parse(request, SectionIn), clock=request.app.state.clock)  # fmt: skip
    return json_response(section_out(section))


@api("DELETE", BASE + "/sections/{section_id:int}", summary="Delete a section (before opening)", tag=TAG,
     status=204, auth=True)  # fmt: skip
async def api_delete_section(request: Request) -> Response:
    await authoring.do_delete_section(request.user, _cid(request), int(request.path_params["section_id"]),
                                      clock=request.app.state.clock)  # fmt: skip
    return _no_content()


@api("POST", BASE + "/sections/{section_id:int}/move", summary="Move a section up or down", tag=TAG,
     body=MoveIn, status=204, auth=True)  # fmt: skip
async def api_move_section(request: Request) -> Response:
    data = await parse(request, MoveIn)
    await authoring.do_move_section(request.user, _cid(request), int(request.path_params["section_id"]),
                                    data.direction, clock=request.app.state.clock)  # fmt: skip
    return _no_content()


async def _question_response(request: Request, question_id: int, status: int = 200) -> JSONResponse:
    questions = await load_questions(_cid(request))
    for position, question in enumerate(questions, start=1):
        if question.id == question_id:
            return json_response(question_out(question, position), status)
    raise AssertionError("the question was just written")


@api("POST", BASE + "/questions", summary="Add a question (before opening)", tag=TAG, body=QuestionIn,
     response=QuestionOut, status=201, auth=True)  # fmt: skip
async def api_add_question(request: Request) -> JSONResponse:
    question = await authoring.do_add_question(request.user, _cid(request), await parse(request, QuestionIn),
                                               clock=request.app.state.clock)  # fmt: skip
    return await _question_response(request, question.id, 201)


@api("PATCH", BASE + "/questions/{question_id:int}", summary="Rewrite a question (before opening)", tag=TAG,
     body=QuestionIn, response=QuestionOut, auth=True)  # fmt: skip
async def api_update_question(request: Request) -> JSONResponse:
    question = await authoring.do_update_question(
        request.user, _cid(request), int(request.path_params["question_id"]), await parse(request, QuestionIn),
        clock=request.app.state.clock,
    )  # fmt: skip
    return await _question_response(request, question.id)


@api("DELETE", BASE + "/questions/{question_id:int}", summary="Delete a question (before opening)", tag=TAG,
     status=204, auth=True)  # fmt: skip
async def api_delete_question(request: Request) -> Response:
    await authoring.do_delete_question(request.user, _cid(request), int(request.path_params["question_id"]),
                                       clock=request.app.state.clock)  # fmt: skip
    return _no_content()


@api("POST", BASE + "/questions/{question_id:int}/move", summary="Move a question up or down in its section",
     tag=TAG, body=MoveIn, status=204, auth=True)  # fmt: skip
async def api_move_question(request: Request) -> Response:
    data = await parse(request, MoveIn)
    await authoring.do_move_question(request.user, _cid(request), int(request.path_params["question_id"]),
                                     data.direction, clock=request.app.state.clock)  # fmt: skip
    return _no_content()


async def _session_response(request: Request, session_id: int, status: int = 200) -> JSONResponse:
    access = await get_visible(request.user, _cid(request))
    for session in await live.list_sessions(access.consultation.id):
        if session.id == session_id:
            return json_response(session_out(session, access.consultation, _now(request)), status)
    raise AssertionError("the session was just written")


@api("POST", BASE + "/sessions", summary="Schedule a live session", tag=TAG, body=SessionIn, response=SessionOut,
     status=201, auth=True)  # fmt: skip
async def api_add_session(request: Request) -> JSONResponse:
    session = await authoring.do_add_session(request.user, _cid(request), await parse(request, SessionIn),
                                             clock=request.app.state.clock)  # fmt: skip
    return await _session_response(request, session.id, 201)


@api("DELETE", BASE + "/sessions/{session_id:int}", summary="Remove a live session that has not started", tag=TAG,
     status=204, auth=True)  # fmt: skip
async def api_delete_session(request: Request) -> Response:
    await authoring.do_delete_session(request.user, _cid(request), int(request.path_params["session_id"]),
                                      clock=request.app.state.clock)  # fmt: skip
    return _no_content()


@api("POST", BASE + "/sessions/{session_id:int}/end", summary="End a live session now", tag=TAG,
     response=SessionOut, auth=True)  # fmt: skip
async def api_end_session(request: Request) -> JSONResponse:
    session_id = int(request.path_params["session_id"])
    frames = await live.do_end_session(request.user, _cid(request), session_id, clock=request.app.state.clock)
    await publish_frames(request.app, frames)
    return await _session_response(request, session_id)


@api("POST", BASE + "/sessions/{session_id:int}/extend", summary="Give a live session more minutes", tag=TAG,
     body=SessionExtendIn, response=SessionOut, auth=True)  # fmt: skip
async def api_extend_session(request: Request) -> JSONResponse:
    session_id = int(request.path_params["session_id"])
    data = await parse(request, SessionExtendIn)
    frames = await live.do_extend_session(request.user, _cid(request), session_id, data.minutes,
                                          clock=request.app.state.clock)  # fmt: skip
    await publish_frames(request.app, frames)
    return await _session_response(request, session_id)


@api("POST", BASE + "/sessions/{session_id:int}/highlight", summary="Highlight one live question (or none)",
     tag=TAG, body=HighlightIn, status=204, auth=True)  # fmt: skip
async def api_highlight(request: Request) -> Response:
    data = await parse(request, HighlightIn)
    frames = await live.do_highlight(request.user, _cid(request), int(request.path_params["session_id"]),
                                     data.question_id, clock=request.app.state.clock)  # fmt: skip
    await publish_frames(request.app, frames)
    return _no_content()


def _lifecycle(path: str, summary: str, work: Any, body: type[BaseModel] | None = None) -> Any:
    async def endpoint(request: Request) -> JSONResponse:
        data = await parse(request, body) if body is not None else None
        result = await work(request, data)
        if isinstance(result, tuple):
            await publish_frames(request.app, result[1])
        return await _fresh(request)

    endpoint.__name__ = "api_" + path.strip("/").replace("/", "_")
    return api("POST", BASE + path, summary=summary, tag=TAG, body=body, response=ConsultationOut, auth=True)(
        endpoint
    )


def _c(request: Request) -> dict[str, Any]:
    return {"clock": request.app.state.clock}


routes = [
    api_list, api_create, api_get, api_update,
    api_add_section, api_update_section, api_delete_section, api_move_section,
    api_add_question, api_update_question, api_delete_question, api_move_question,
    api_add_session, api_delete_session, api_end_session, api_extend_session, api_highlight,
    _lifecycle("/publish", "Publish a draft: it opens and closes on its schedule",
               lambda r, d: lifecycle.do_publish(r.user, _cid(r), **_c(r))),
    _lifecycle("/unpublish", "Turn a scheduled consultation back into a draft",
               lambda r, d: lifecycle.do_unpublish(r.user, _cid(r), **_c(r))),
    _lifecycle("/handover", "Hand the consultation over to another facilitator",
               lambda r, d: lifecycle.do_handover(r.user, _cid(r), d.username, **_c(r)), HandoverIn),
    _lifecycle("/extend", "Extend the deadline of an open consultation (participants are told)",
               lambda r, d: lifecycle.do_extend(r.user, _cid(r), d.closes_at, reason=d.reason, **_c(r)), DeadlineIn),
    _lifecycle("/close", "Close an open consultation now",
               lambda r, d: lifecycle.do_close_early(r.user, _cid(r), reason=d.reason, **_c(r)), ReasonIn),
    _lifecycle("/reopen", "Reopen a closed consultation until a new deadline",
               lambda r, d: lifecycle.do_reopen(r.user, _cid(r), d.closes_at, reason=d.reason, **_c(r)), DeadlineIn),
    _lifecycle("/report/publish", "Publish the report to participants",
               lambda r, d: lifecycle.do_publish_report(r.user, _cid(r), **_c(r))),
    _lifecycle("/report/withdraw", "Withdraw the published report",
               lambda r, d: lifecycle.do_withdraw_report(r.user, _cid(r), **_c(r))),
]  # fmt: skip
