"""The consultations JSON API for taking part and for results: your response, section comments, the
live Q&A, the report, the exports and the facilitators' activity log.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from consultations import comments as comment_service
from consultations import exports, live, report
from consultations.access import get_managed, get_visible
from consultations.activity import list_activity
from consultations.attribution import describe_respondent
from consultations.models import Attribution
from consultations.outputs import (
    ActivityOut,
    BarOut,
    CommentOut,
    ExportOut,
    PersonOut,
    QAQuestionOut,
    QuestionReportOut,
    RankOut,
    ReportOut,
    ResponseOut,
    SectionReportOut,
    TextAnswerOut,
)
from consultations.responses import do_save_response, do_set_attribution, get_my_response
from consultations.room import publish_frames
from consultations.schemas import CommentIn, QAQuestionIn, ReasonIn, ResponseIn
from convene.api import api, json_response, parse
from convene.errors import NotFound

TAG = "Consultations"
BASE = "/api/v1/consultations/{cid:int}"


class AttributionIn(BaseModel):
    attribution: Attribution


def _cid(request: Request) -> int:
    return int(request.path_params["cid"])


def _clock(request: Request) -> Any:
    return request.app.state.clock


async def _my_response(request: Request) -> JSONResponse:
    access = await get_visible(request.user, _cid(request))
    mine = await get_my_response(access)
    r = mine.respondent
    shown = describe_respondent(access.consultation, r, access.actor).label if r is not None else None
    return json_response(
        ResponseOut(
            status=mine.status,
            attribution=str(r.attribution.value if hasattr(r.attribution, "value") else r.attribution)
            if r
            else None,
            shown_as=shown,
            answers=mine.answers,
            saved_at=r.saved_at if r else None,
            submitted_at=r.submitted_at if r else None,
        )
    )


@api(
    "GET",
    BASE + "/response",
    summary="Your own answers (a draft or submitted)",
    tag=TAG,
    response=ResponseOut,
    auth=True,
)
async def api_get_response(request: Request) -> JSONResponse:
    return await _my_response(request)


@api(
    "PUT",
    BASE + "/response",
    summary="Save your answers as a draft, or submit them (submit: true)",
    tag=TAG,
    body=ResponseIn,
    response=ResponseOut,
    auth=True,
)
async def api_put_response(request: Request) -> JSONResponse:
    await do_save_response(
        request.user, _cid(request), await parse(request, ResponseIn), clock=_clock(request)
    )
    return await _my_response(request)


@api(
    "POST",
    BASE + "/attribution",
    summary="Choose how you are named (never less private than the facilitator's level)",
    tag=TAG,
    body=AttributionIn,
    response=ResponseOut,
    auth=True,
)
async def api_attribution(request: Request) -> JSONResponse:
    data = await parse(request, AttributionIn)
    await do_set_attribution(request.user, _cid(request), data.attribution, clock=_clock(request))
    return await _my_response(request)


def _comment_out(view: comment_service.CommentView, can_manage: bool) -> CommentOut:
    c = view.comment
    return CommentOut(
        id=c.id,
        section_id=c.section_id,
        parent_id=c.parent_id,
        author=view.author.label,  # type: ignore[attr-defined]
        html="" if view.hidden and not can_manage else c.body_html,
        hidden=view.hidden,
        pinned=view.pinned,
        created_at=c.created_at,
    )


@api(
    "GET",
    BASE + "/comments",
    summary="Section comments, in conversation order",
    tag=TAG,
    response=CommentOut,
    many=True,
)
async def api_comments(request: Request) -> JSONResponse:
    access = await get_visible(request.user, _cid(request))
    by_section = await comment_service.list_comments(access)
    views = [v for roots in by_section.values() for v in comment_service.flatten(roots)]
    return json_response([_comment_out(v, access.can_manage) for v in views])


async def _one_comment(request: Request, comment_id: int, status: int = 200) -> JSONResponse:
    access = await get_visible(request.user, _cid(request))
    by_section = await comment_service.list_comments(access)
    for roots in by_section.values():
        for view in comment_service.flatten(roots):
            if view.comment.id == comment_id:
                return json_response(_comment_out(view, access.can_manage), status)
    raise NotFound("That comment does not exist.")


@api(
    "POST",
    BASE + "/comments",
    summary="Comment on a section, or reply to a comment (parent_id)",
    tag=TAG,
    body=CommentIn,
    response=CommentOut,
    status=201,
    auth=True,
)
async def api_add_comment(request: Request) -> JSONResponse:
    comment = await comment_service.do_add_comment(
        request.user, _cid(request), await parse(request, CommentIn), clock=_clock(request)
    )
    return await _one_comment(request, comment.id, 201)


def _comment_action(action: str, summary: str, work: Any, body: type[BaseModel] | None = None) -> Any:
    async def endpoint(request: Request) -> JSONResponse:
        comment_id = int(request.path_params["comment_id"])
        kwargs = {}
        if body is not None:
            kwargs["reason"] = (await parse(request, body)).reason  # type: ignore[attr-defined]
        await work(request.user, _cid(request), comment_id, clock=_clock(request), **kwargs)
        return await _one_comment(request, comment_id)

    endpoint.__name__ = f"api_comment_{action}"
    return api(
        "POST",
        BASE + "/comments/{comment_id:int}/" + action,
        summary=summary,
        tag=TAG,
        body=body,
        response=CommentOut,
        auth=True,
    )(endpoint)


def _qa_out(view: live.QAView) -> QAQuestionOut:
    q = view.question
    return QAQuestionOut(
        id=q.id,
        session_id=q.session_id,
        state=view.state,
        author=view.author,
        html=q.body_html,  # type: ignore[attr-defined]
        votes=q.votes,
        answered=q.answered_at is not None,
        mine=view.mine,
        voted=view.voted,
        created_at=q.created_at,
    )


@api(
    "GET",
    BASE + "/sessions/{session_id:int}/questions",
    summary="A live session's questions you may see",
    tag=TAG,
    response=QAQuestionOut,
    many=True,
)
async def api_qa_list(request: Request) -> JSONResponse:
    access = await get_visible(request.user, _cid(request))
    sessions = {s.id: s for s in await live.list_sessions(access.consultation.id)}
    session = sessions.get(int(request.path_params["session_id"]))
    if session is None:
        raise NotFound("That live session does not exist.")
    return json_response([_qa_out(v) for v in await live.list_questions(access, session)])


@api(
    "POST",
    BASE + "/sessions/{session_id:int}/questions",
    summary="Ask a question in a running live session",
    tag=TAG,
    body=QAQuestionIn,
    response=QAQuestionOut,
    status=201,
    auth=True,
)
async def api_qa_ask(request: Request) -> JSONResponse:
    data = await parse(request, QAQuestionIn)
    question, full, frames = await live.do_ask(
        request.user, _cid(request), int(request.path_params["session_id"]), data.body, clock=_clock(request)
    )
    await publish_frames(request.app, frames)
    return json_response(QAQuestionOut(**full, mine=True, voted=False), 201)


def _qa_action(action: str, summary: str, work: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        frames = await work(
            request.user, _cid(request), int(request.path_params["question_id"]), clock=_clock(request)
        )
        await publish_frames(request.app, frames)
        return Response(status_code=204)

    endpoint.__name__ = f"api_qa_{action}"
    return api(
        "POST", BASE + "/qa/{question_id:int}/" + action, summary=summary, tag=TAG, status=204, auth=True
    )(endpoint)


@api(
    "GET",
    BASE + "/report",
    summary="Counts, percentages and free-text answers (facilitators; participants once published)",
    tag=TAG,
    response=ReportOut,
)
async def api_report(request: Request) -> JSONResponse:
    now = _clock(request).now()
    result = await report.get_report(request.user, _cid(request), now)
    return json_response(
        ReportOut(
            consultation_id=_cid(request),
            state=result.access.state(now).value,
            respondents=result.respondents,
            questions=[
                QuestionReportOut(
                    question_id=q.question.id,
                    position=q.position,
                    kind=q.kind,
                    text=q.question.text,
                    answered=q.answered,
                    skipped=q.skipped,
                    mean=q.mean,
                    bars=[BarOut(label=b.label, count=b.count, percent=round(b.percent, 2)) for b in q.bars],
                    ranks=[
                        RankOut(label=r.label, mean_rank=round(r.mean_rank, 3), firsts=r.firsts)
                        for r in q.ranks
                    ],
                    texts=[TextAnswerOut(author=t.author, html=t.html) for t in q.texts],
                )
                for q in result.questions
            ],
            sections=[
                SectionReportOut(
                    section_id=s.section.id,
                    title=s.section.title,
                    comments=s.visible,
                    hidden_comments=s.hidden,
                )
                for s in result.sections
            ],
        )
    )


@api(
    "GET",
    BASE + "/export/responses",
    summary="Submitted answers in the long format, one row per respondent per "
    "question (facilitators and admins; CSV at /consultations/{id}/export/responses.csv)",
    tag=TAG,
    response=ExportOut,
    auth=True,
)
async def api_export_responses(request: Request) -> JSONResponse:
    rows = await exports.response_rows(request.user, _cid(request))
    return json_response(
        ExportOut(
            consultation_id=_cid(request),
            kind="responses",
            columns=list(exports.RESPONSE_COLUMNS),
            exported_at=exports.iso_utc(_clock(request).now()),
            rows=rows,
        )
    )


@api(
    "GET",
    BASE + "/export/comments",
    summary="Section comments with attribution-aware authors (facilitators and admins)",
    tag=TAG,
    response=ExportOut,
    auth=True,
)
async def api_export_comments(request: Request) -> JSONResponse:
    rows = await exports.comment_rows(request.user, _cid(request))
    return json_response(
        ExportOut(
            consultation_id=_cid(request),
            kind="comments",
            columns=list(exports.COMMENT_COLUMNS),
            exported_at=exports.iso_utc(_clock(request).now()),
            rows=rows,
        )
    )


@api(
    "GET",
    BASE + "/activity",
    summary="The consultation's activity log (facilitators and admins)",
    tag=TAG,
    response=ActivityOut,
    many=True,
    auth=True,
)
async def api_activity(request: Request) -> JSONResponse:
    access = await get_managed(request.user, _cid(request))
    return json_response(
        [
            ActivityOut(
                id=e.id,
                action=e.action,
                data=e.data,
                created_at=e.created_at,
                actor=PersonOut(id=e.actor.id, name=e.actor.name) if e.actor else None,
            )
            for e in await list_activity(access.consultation)
        ]
    )


routes = [
    api_get_response,
    api_put_response,
    api_attribution,
    api_comments,
    api_add_comment,
    _comment_action("hide", "Hide a comment (facilitator)", comment_service.do_hide_comment, ReasonIn),
    _comment_action("unhide", "Show a hidden comment again", comment_service.do_unhide_comment),
    _comment_action("pin", "Pin a comment to the top of its section", comment_service.do_pin_comment),
    _comment_action("unpin", "Unpin a comment", comment_service.do_unpin_comment),
    api_qa_list,
    api_qa_ask,
    _qa_action("upvote", "Upvote a live question (once per member)", live.do_upvote),
    _qa_action(
        "approve", "Approve a live question so everyone sees it (facilitator)", live.do_approve_question
    ),
    _qa_action("hide", "Hide a live question (facilitator)", live.do_hide_question),
    _qa_action("answered", "Mark a live question answered (facilitator)", live.do_mark_answered),
    api_report,
    api_export_responses,
    api_export_comments,
    api_activity,
]
