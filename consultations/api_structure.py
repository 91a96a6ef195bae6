"""The consultations JSON API for a consultation's parts: the document's sections, the questions and
the live sessions (with their Q&A controls). The consultation itself and its life cycle are in
consultations/api.py, taking part in consultations/api_participation.py.
"""

from __future__ import annotations

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from consultations import authoring, live, questions
from consultations.access import get_visible
from consultations.api import BASE, TAG, cid_of, no_content, now_of
from consultations.outputs import QuestionOut, SectionOut, SessionOut, question_out, section_out, session_out
from consultations.responses import load_questions
from consultations.room import publish_frames
from consultations.schemas import HighlightIn, QuestionIn, SectionIn, SessionExtendIn, SessionIn
from convene.api import api, json_response, parse


class MoveIn(BaseModel):
    direction: str  # "up" or "down"


@api(
    "POST",
    BASE + "/sections",
    summary="Add a section to the document",
    tag=TAG,
    body=SectionIn,
    response=SectionOut,
    status=201,
    auth=True,
)
async def api_add_section(request: Request) -> JSONResponse:
    section = await authoring.do_add_section(
        request.user, cid_of(request), await parse(request, SectionIn), clock=request.app.state.clock
    )
    return json_response(section_out(section), 201)


@api(
    "PATCH",
    BASE + "/sections/{section_id:int}",
    summary="Change a section's title and text",
    tag=TAG,
    body=SectionIn,
    response=SectionOut,
    auth=True,
)
async def api_update_section(request: Request) -> JSONResponse:
    section = await authoring.do_update_section(
        request.user,
        cid_of(request),
        int(request.path_params["section_id"]),
        await parse(request, SectionIn),
        clock=request.app.state.clock,
    )
    return json_response(section_out(section))


@api(
    "DELETE",
    BASE + "/sections/{section_id:int}",
    summary="Delete a section (before opening)",
    tag=TAG,
    status=204,
    auth=True,
)
async def api_delete_section(request: Request) -> Response:
    await authoring.do_delete_section(
        request.user, cid_of(request), int(request.path_params["section_id"]), clock=request.app.state.clock
    )
    return no_content()


@api(
    "POST",
    BASE + "/sections/{section_id:int}/move",
    summary="Move a section up or down",
    tag=TAG,
    body=MoveIn,
    status=204,
    auth=True,
)
async def api_move_section(request: Request) -> Response:
    data = await parse(request, MoveIn)
    await authoring.do_move_section(
        request.user,
        cid_of(request),
        int(request.path_params["section_id"]),
        data.direction,
        clock=request.app.state.clock,
    )
    return no_content()


async def _question_response(request: Request, question_id: int, status: int = 200) -> JSONResponse:
    questions = await load_questions(cid_of(request))
    for position, question in enumerate(questions, start=1):
        if question.id == question_id:
            return json_response(question_out(question, position), status)
    raise AssertionError("the question was just written")


@api(
    "POST",
    BASE + "/questions",
    summary="Add a question (before opening)",
    tag=TAG,
    body=QuestionIn,
    response=QuestionOut,
    status=201,
    auth=True,
)
async def api_add_question(request: Request) -> JSONResponse:
    question = await questions.do_add_question(
        request.user, cid_of(request), await parse(request, QuestionIn), clock=request.app.state.clock
    )
    return await _question_response(request, question.id, 201)


@api(
    "PATCH",
    BASE + "/questions/{question_id:int}",
    summary="Rewrite a question (before opening)",
    tag=TAG,
    body=QuestionIn,
    response=QuestionOut,
    auth=True,
)
async def api_update_question(request: Request) -> JSONResponse:
    question = await questions.do_update_question(
        request.user,
        cid_of(request),
        int(request.path_params["question_id"]),
        await parse(request, QuestionIn),
        clock=request.app.state.clock,
    )
    return await _question_response(request, question.id)


@api(
    "DELETE",
    BASE + "/questions/{question_id:int}",
    summary="Delete a question (before opening)",
    tag=TAG,
    status=204,
    auth=True,
)
async def api_delete_question(request: Request) -> Response:
    await questions.do_delete_question(
        request.user, cid_of(request), int(request.path_params["question_id"]), clock=request.app.state.clock
    )
    return no_content()


@api(
    "POST",
    BASE + "/questions/{question_id:int}/move",
    summary="Move a question up or down in its section",
    tag=TAG,
    body=MoveIn,
    status=204,
    auth=True,
)
async def api_move_question(request: Request) -> Response:
    data = await parse(request, MoveIn)
    await questions.do_move_question(
        request.user,
        cid_of(request),
        int(request.path_params["question_id"]),
        data.direction,
        clock=request.app.state.clock,
    )
    return no_content()


async def _session_response(request: Request, session_id: int, status: int = 200) -> JSONResponse:
    access = await get_visible(request.user, cid_of(request))
    for session in await live.list_sessions(access.consultation.id):
        if session.id == session_id:
            return json_response(session_out(session, access.consultation, now_of(request)), status)
    raise AssertionError("the session was just written")


@api(
    "POST",
    BASE + "/sessions",
    summary="Schedule a live session",
    tag=TAG,
    body=SessionIn,
    response=SessionOut,
    status=201,
    auth=True,
)
async def api_add_session(request: Request) -> JSONResponse:
    session = await authoring.do_add_session(
        request.user, cid_of(request), await parse(request, SessionIn), clock=request.app.state.clock
    )
    return await _session_response(request, session.id, 201)


@api(
    "DELETE",
    BASE + "/sessions/{session_id:int}",
    summary="Remove a live session that has not started",
    tag=TAG,
    status=204,
    auth=True,
)
async def api_delete_session(request: Request) -> Response:
    await authoring.do_delete_session(
        request.user, cid_of(request), int(request.path_params["session_id"]), clock=request.app.state.clock
    )
    return no_content()


@api(
    "POST",
    BASE + "/sessions/{session_id:int}/end",
    summary="End a live session now",
    tag=TAG,
    response=SessionOut,
    auth=True,
)
async def api_end_session(request: Request) -> JSONResponse:
    session_id = int(request.path_params["session_id"])
    frames = await live.do_end_session(
        request.user, cid_of(request), session_id, clock=request.app.state.clock
    )
    await publish_frames(request.app, frames)
    return await _session_response(request, session_id)


@api(
    "POST",
    BASE + "/sessions/{session_id:int}/extend",
    summary="Give a live session more minutes",
    tag=TAG,
    body=SessionExtendIn,
    response=SessionOut,
    auth=True,
)
async def api_extend_session(request: Request) -> JSONResponse:
    session_id = int(request.path_params["session_id"])
    data = await parse(request, SessionExtendIn)
    frames = await live.do_extend_session(
        request.user, cid_of(request), session_id, data.minutes, clock=request.app.state.clock
    )
    await publish_frames(request.app, frames)
    return await _session_response(request, session_id)


@api(
    "POST",
    BASE + "/sessions/{session_id:int}/highlight",
    summary="Highlight one live question (or none)",
    tag=TAG,
    body=HighlightIn,
    status=204,
    auth=True,
)
async def api_highlight(request: Request) -> Response:
    data = await parse(request, HighlightIn)
    frames = await live.do_highlight(
        request.user,
        cid_of(request),
        int(request.path_params["session_id"]),
        data.question_id,
        clock=request.app.state.clock,
    )
    await publish_frames(request.app, frames)
    return no_content()


routes = [
    api_add_section, api_update_section, api_delete_section, api_move_section,
    api_add_question, api_update_question, api_delete_question, api_move_question,
    api_add_session, api_delete_session, api_end_session, api_extend_session, api_highlight,
]  # fmt: skip
