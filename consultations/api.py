"""The consultations JSON API under /api/v1: consultations and their life cycle. Their parts
(sections, questions, live sessions) are in consultations/api_structure.py; taking part (answers,
comments, live Q&A), the report, exports and the activity log in consultations/api_participation.py.
Every endpoint calls the same services as the pages.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from consultations import authoring, lifecycle, live
from consultations.access import ConsultationAccess, get_consultation_access, get_visible
from consultations.browse import list_consultations
from consultations.models import Consultation, Section
from consultations.outputs import (
    ConsultationOut,
    ConsultationSummaryOut,
    consultation_out,
    summary_out,
)
from consultations.responses import load_questions
from consultations.room import publish_frames
from consultations.schemas import (
    ConsultationIn,
    ConsultationPatch,
    DeadlineIn,
    HandoverIn,
    ReasonIn,
)
from convene.api import api, json_response, parse

TAG = "Consultations"
BASE = "/api/v1/consultations/{cid:int}"


def cid_of(request: Request) -> int:
    return int(request.path_params["cid"])


def now_of(request: Request) -> Any:
    return request.app.state.clock.now()


async def full_out(access: ConsultationAccess, now: Any) -> ConsultationOut:
    c = access.consultation
    sections = list(await Section.filter(consultation_id=c.id).order_by("position", "id"))
    return consultation_out(access, now, sections, await load_questions(c.id), await live.list_sessions(c.id))


async def _fresh(request: Request, status: int = 200) -> JSONResponse:
    access = await get_visible(request.user, cid_of(request))
    return json_response(await full_out(access, now_of(request)), status)


def no_content() -> Response:
    return Response(status_code=204)


@api(
    "GET",
    "/api/v1/consultations",
    summary="List the consultations you may see",
    tag=TAG,
    response=ConsultationSummaryOut,
    many=True,
)
async def api_list(request: Request) -> JSONResponse:
    now = now_of(request)
    return json_response(
        [summary_out(item.consultation, now) for item in await list_consultations(request.user, now)]
    )


@api(
    "POST",
    "/api/v1/consultations",
    summary="Start a consultation (facilitators and above)",
    tag=TAG,
    body=ConsultationIn,
    response=ConsultationOut,
    status=201,
    auth=True,
)
async def api_create(request: Request) -> JSONResponse:
    data = await parse(request, ConsultationIn)
    consultation = await authoring.do_create_consultation(request.user, data, clock=request.app.state.clock)
    access = await get_visible(request.user, consultation.id)
    return json_response(await full_out(access, now_of(request)), 201)


@api(
    "GET",
    BASE,
    summary="One consultation: its document, questions and live sessions",
    tag=TAG,
    response=ConsultationOut,
)
async def api_get(request: Request) -> JSONResponse:
    return await _fresh(request)


@api(
    "PATCH",
    BASE,
    summary="Change a consultation's details (facilitator)",
    tag=TAG,
    body=ConsultationPatch,
    response=ConsultationOut,
    auth=True,
)
async def api_update(request: Request) -> JSONResponse:
    data = await parse(request, ConsultationPatch)
    await authoring.do_update_consultation(request.user, cid_of(request), data, clock=request.app.state.clock)
    return await _fresh(request)


def _lifecycle(path: str, summary: str, work: Any, body: type[BaseModel] | None = None) -> Any:
    async def endpoint(request: Request) -> JSONResponse:
        data = await parse(request, body) if body is not None else None
        result = await work(request, data)
        if isinstance(result, tuple):
            await publish_frames(request.app, result[1])
        if path == "/handover":
            # The former facilitator may no longer see a draft; they still get the result of their act.
            consultation = await Consultation.get(id=cid_of(request)).select_related("group", "facilitator")
            access = await get_consultation_access(request.user, consultation)
            return json_response(await full_out(access, now_of(request)))
        return await _fresh(request)

    endpoint.__name__ = "api_" + path.strip("/").replace("/", "_")
    return api("POST", BASE + path, summary=summary, tag=TAG, body=body, response=ConsultationOut, auth=True)(
        endpoint
    )


def _c(request: Request) -> dict[str, Any]:
    return {"clock": request.app.state.clock}


routes = [
    api_list,
    api_create,
    api_get,
    api_update,
    _lifecycle(
        "/publish",
        "Publish a draft: it opens and closes on its schedule",
        lambda r, d: lifecycle.do_publish(r.user, cid_of(r), **_c(r)),
    ),
    _lifecycle(
        "/unpublish",
        "Turn a scheduled consultation back into a draft",
        lambda r, d: lifecycle.do_unpublish(r.user, cid_of(r), **_c(r)),
    ),
    _lifecycle(
        "/handover",
        "Hand the consultation over to another facilitator",
        lambda r, d: lifecycle.do_handover(r.user, cid_of(r), d.username, **_c(r)),
        HandoverIn,
    ),
    _lifecycle(
        "/extend",
        "Extend the deadline of an open consultation (participants are told)",
        lambda r, d: lifecycle.do_extend(r.user, cid_of(r), d.closes_at, reason=d.reason, **_c(r)),
        DeadlineIn,
    ),
    _lifecycle(
        "/close",
        "Close an open consultation now",
        lambda r, d: lifecycle.do_close_early(r.user, cid_of(r), reason=d.reason, **_c(r)),
        ReasonIn,
    ),
    _lifecycle(
        "/reopen",
        "Reopen a closed consultation until a new deadline",
        lambda r, d: lifecycle.do_reopen(r.user, cid_of(r), d.closes_at, reason=d.reason, **_c(r)),
        DeadlineIn,
    ),
    _lifecycle(
        "/report/publish",
        "Publish the report to participants",
        lambda r, d: lifecycle.do_publish_report(r.user, cid_of(r), **_c(r)),
    ),
    _lifecycle(
        "/report/withdraw",
        "Withdraw the published report",
        lambda r, d: lifecycle.do_withdraw_report(r.user, cid_of(r), **_c(r)),
    ),
]
