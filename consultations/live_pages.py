"""The live Q&A without JavaScript: each button is a plain form; after it the browser returns to the
Q&A on the consultation's page. With JavaScript the same actions go through /api/v1 and the
changes arrive over /ws (static/js/consultation.js). Both call the same services and publish the
same frames after the commit.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consultations import live
from consultations.pages import cid, consultation_page, redirect
from consultations.room import publish_frames
from consultations.schemas import HighlightIn, QAQuestionIn, SessionExtendIn
from convene.api import read_input, validate
from convene.errors import Conflict, Forbidden, Invalid


def _back(request: Request, done: str) -> Response:
    return redirect(f"/consultations/{cid(request)}", done, "#live")


async def ask(request: Request) -> Response:
    form = await read_input(request)
    try:
        data = validate(QAQuestionIn, form)
        _, _, frames = await live.do_ask(
            request.user,
            cid(request),
            int(request.path_params["session_id"]),
            data.body,
            clock=request.app.state.clock,
        )
    except Invalid as exc:
        return await consultation_page(
            request,
            errors={"qa_body": exc.fields.get("body", exc.message)},
            alert=exc.message,
            status_code=422,
        )
    except Conflict as exc:
        return await consultation_page(request, alert=exc.message, status_code=409)
    await publish_frames(request.app, frames)
    return _back(request, "asked")


def _question_action(action: Any, done: str) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            frames = await action(
                request.user,
                cid(request),
                int(request.path_params["question_id"]),
                clock=request.app.state.clock,
            )
        except (Conflict, Forbidden) as exc:
            if isinstance(exc, Forbidden) and "own question" not in exc.message:
                raise
            return await consultation_page(request, alert=exc.message, status_code=exc.status)
        await publish_frames(request.app, frames)
        return _back(request, done)

    return endpoint


async def highlight(request: Request) -> Response:
    data = validate(HighlightIn, await read_input(request))
    frames = await live.do_highlight(
        request.user,
        cid(request),
        int(request.path_params["session_id"]),
        data.question_id,
        clock=request.app.state.clock,
    )
    await publish_frames(request.app, frames)
    return _back(request, "highlighted")


async def end_session(request: Request) -> Response:
    frames = await live.do_end_session(
        request.user, cid(request), int(request.path_params["session_id"]), clock=request.app.state.clock
    )
    await publish_frames(request.app, frames)
    return _back(request, "session_ended")


async def extend_session(request: Request) -> Response:
    data = validate(SessionExtendIn, await read_input(request))
    frames = await live.do_extend_session(
        request.user,
        cid(request),
        int(request.path_params["session_id"]),
        data.minutes,
        clock=request.app.state.clock,
    )
    await publish_frames(request.app, frames)
    return _back(request, "session_extended")


_Q = "/consultations/{cid:int}/live/questions/{question_id:int}"
_S = "/consultations/{cid:int}/live/{session_id:int}"

routes = [
    Route(f"{_S}/ask", ask, methods=["POST"]),
    Route(f"{_S}/highlight", highlight, methods=["POST"]),
    Route(f"{_S}/end", end_session, methods=["POST"]),
    Route(f"{_S}/extend", extend_session, methods=["POST"]),
    Route(f"{_Q}/upvote", _question_action(live.do_upvote, "upvoted"), methods=["POST"]),
    Route(f"{_Q}/approve", _question_action(live.do_approve_question, "approved"), methods=["POST"]),
    Route(f"{_Q}/hide", _question_action(live.do_hide_question, "question_hidden"), methods=["POST"]),
    Route(f"{_Q}/answered", _question_action(live.do_mark_answered, "answered"), methods=["POST"]),
]
