"""The live Q&A over /ws with real websockets clients: questions, approval, upvotes, answered markers,
the highlight, session end and extension, and the consultation closing, all arrive live; a question
waiting for approval is seen only by facilitators and its author."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.conftest import signed_in
from tests.consultations.conftest import make_consultation, make_group, run
from tests.realtime.conftest import connect, session_token

SECRET = "Is the budget for interpreters 🙂 really cut?"


async def subscribe(client, room: str, since: int = 0) -> None:
    await client.send(type="subscribe", room=room, since=since)
    await client.expect(type="subscribed", room=room)


async def live_session(server, setup, *, minutes: int = 60):
    from consultations.authoring import do_add_session
    from consultations.schemas import SessionIn

    start = server.clock.now() + timedelta(minutes=10)
    session = await run(
        server,
        do_add_session(
            setup.facilitator,
            setup.consultation.id,
            SessionIn(title="Town hall", starts_at=start, duration_minutes=minutes),
            clock=server.clock,
        ),
    )
    return session


def words_in(frames: list[dict]) -> str:
    return json.dumps(frames, ensure_ascii=False)


async def test_live_questions_votes_and_moderation_arrive_live(clocked):
    setup = await make_consultation(clocked, await make_group(clocked, members=2), qa_moderated=True)
    c = setup.consultation
    room = f"consultation:{c.id}"
    session = await live_session(clocked, setup)
    asker, voter = setup.members
    base = f"/api/v1/consultations/{c.id}"

    async with await signed_in(clocked, asker) as a_http:
        page = await a_http.get(f"/consultations/{c.id}")
        assert "Town hall" in page.text and "Live now" not in page.text
        early = await a_http.api(
            "POST", f"{base}/sessions/{session.id}/questions", json={"body": "Too early?"}
        )
        assert early.status_code == 409

    clocked.clock.set(session.starts_at)
    fac = await connect(clocked, await session_token(clocked, setup.facilitator))
    a_ws = await connect(clocked, await session_token(clocked, asker))
    v_ws = await connect(clocked, await session_token(clocked, voter))
    outsider = await connect(clocked, await session_token(clocked, setup.outsider))
    for client in (fac, a_ws, v_ws):
        await subscribe(client, room)
    await outsider.send(type="subscribe", room=room, since=0, ref=1)
    assert (await outsider.expect(type="error", ref=1))["code"] == "not_found"

    async with (
        await signed_in(clocked, asker) as a_http,
        await signed_in(clocked, voter) as v_http,
        await signed_in(clocked, setup.facilitator) as f_http,
    ):
        page = await v_http.get(f"/consultations/{c.id}")
        assert "Live now: Town hall" in page.text and f'data-qa-room="{room}"' in page.text

        asked = await a_http.api("POST", f"{base}/sessions/{session.id}/questions", json={"body": SECRET})
        assert asked.status_code == 201
        question = asked.json()
        assert question["state"] == "pending" and SECRET in question["html"]
        qid = question["id"]

        pending_v = (await v_ws.events(room, 1))[0]
        pending_f = (await fac.events(room, 1))[0]
        assert pending_v["kind"] == "qa_pending" and pending_v["data"] == {
            "id": qid,
            "session_id": session.id,
            "state": "pending",
        }
        assert pending_f == pending_v  # the room's log is the same for all: no words in it
        assert "interpreters" not in words_in(v_ws.seen)
        # Facilitators and the author read the words over HTTP; other members do not.
        f_list = (await f_http.api("GET", f"{base}/sessions/{session.id}/questions")).json()
        assert [q["html"] for q in f_list if q["id"] == qid][0].count("interpreters") == 1
        assert [
            q["id"] for q in (await a_http.api("GET", f"{base}/sessions/{session.id}/questions")).json()
        ] == [qid]
        assert (await v_http.api("GET", f"{base}/sessions/{session.id}/questions")).json() == []
        assert "interpreters" not in (await v_http.get(f"/consultations/{c.id}")).text
        assert (await v_http.api("POST", f"{base}/qa/{qid}/upvote")).status_code == 404
        assert (await v_http.api("POST", f"{base}/qa/{qid}/approve")).status_code == 403

        assert (await f_http.api("POST", f"{base}/qa/{qid}/approve")).status_code == 204
        approved = (await v_ws.events(room, 1))[0]
        assert approved["kind"] == "qa_approved" and approved["data"]["state"] == "visible"
        assert "interpreters" in approved["data"]["html"] and approved["data"]["author"] == asker.name

        assert (await v_http.api("POST", f"{base}/qa/{qid}/upvote")).status_code == 204
        vote = (await a_ws.events(room, 3))[-1]  # pending, approved, vote
        assert vote["kind"] == "qa_vote" and vote["data"]["votes"] == 1
        again = await v_http.api("POST", f"{base}/qa/{qid}/upvote")
        assert again.status_code == 409 and "already upvoted" in again.json()["error"]["message"]
        own = await a_http.api("POST", f"{base}/qa/{qid}/upvote")
        assert own.status_code == 403

        hl = await f_http.api("POST", f"{base}/sessions/{session.id}/highlight", json={"question_id": qid})
        assert hl.status_code == 204
        highlight = (await v_ws.events(room, 2))[-1]
        assert highlight["kind"] == "qa_highlight" and highlight["data"] == {
            "session_id": session.id,
            "id": qid,
        }
        assert (await f_http.api("POST", f"{base}/qa/{qid}/answered")).status_code == 204
        answered = (await v_ws.events(room, 1))[0]
        assert answered["kind"] == "qa_answered" and answered["data"]["answered"] is True

        # The no-JavaScript path does the same through forms and publishes the same frames.
        second = await v_http.post_form(
            f"/consultations/{c.id}/live/{session.id}/ask", {"body": "A second one"}
        )
        assert second.status_code == 303 and second.headers["location"].endswith("?done=asked#live")
        pending2 = (await a_ws.events(room, 3))[-1]  # highlight, answered, pending
        assert pending2["kind"] == "qa_pending" and "second" not in words_in([pending2])

        extended = await f_http.api("POST", f"{base}/sessions/{session.id}/extend", json={"minutes": 30})
        assert extended.status_code == 200
        ext = (await v_ws.events(room, 2))[-1]
        assert ext["kind"] == "session_extended"
        assert datetime.fromisoformat(ext["data"]["ends_at"]) == session.starts_at + timedelta(minutes=90)

        # A latecomer replays the log with every question in its current state.
        late = await connect(clocked, await session_token(clocked, voter))
        await subscribe(late, room)
        replay = await late.events(room, 7)
        assert [f["kind"] for f in replay] == [
            "qa_pending",
            "qa_approved",
            "qa_vote",
            "qa_highlight",
            "qa_answered",
            "qa_pending",
            "session_extended",
        ]
        first = replay[0]
        assert (
            first["data"]["state"] == "visible"
            and first["data"]["answered"] is True
            and first["data"]["votes"] == 1
        )
        assert all("second" not in words_in([f]) for f in replay)
        await late.close()

        ended = await f_http.api("POST", f"{base}/sessions/{session.id}/end")
        assert ended.status_code == 200 and ended.json()["state"] == "ended"
        end_frame = (await a_ws.events(room, 2))[-1]
        assert end_frame["kind"] == "session_ended" and end_frame["data"]["session_id"] == session.id
        after = await a_http.api(
            "POST", f"{base}/sessions/{session.id}/questions", json={"body": "Still there?"}
        )
        assert after.status_code == 409

        closing = await f_http.api("POST", f"{base}/close", json={"reason": "Done"})
        assert closing.json()["state"] == "closed"
        closed = (await v_ws.events(room, 2))[-1]
        assert closed["kind"] == "consultation_closed" and closed["data"]["early"] is True

    for client in (fac, a_ws, v_ws, outsider):
        await client.close()


async def test_unmoderated_questions_appear_at_once_and_the_countdown_is_shared(clocked):
    setup = await make_consultation(clocked, await make_group(clocked, members=2), qa_moderated=False)
    c = setup.consultation
    room = f"consultation:{c.id}"
    session = await live_session(clocked, setup, minutes=45)
    clocked.clock.set(session.starts_at + timedelta(minutes=5))
    listener = await connect(clocked, await session_token(clocked, setup.members[1]))
    await subscribe(listener, room)
    async with await signed_in(clocked, setup.members[0]) as http:
        page = await http.get(f"/consultations/{c.id}")
        ends = (session.starts_at + timedelta(minutes=45)).astimezone(UTC).isoformat()
        assert f'data-countdown="{ends}"' in page.text and "ends in 40 minutes" in page.text
        r = await http.api(
            "POST",
            f"/api/v1/consultations/{c.id}/sessions/{session.id}/questions",
            json={"body": "Open question"},
        )
        assert r.status_code == 201 and r.json()["state"] == "visible"
    frame = (await listener.events(room, 1))[0]
    assert frame["kind"] == "qa_question" and "Open question" in frame["data"]["html"]

    # The session's natural end reaches the room through the scheduler, once.
    clocked.clock.set(session.starts_at + timedelta(minutes=45))
    await run(clocked, clocked.app.state.scheduler.run_once())
    await run(clocked, clocked.app.state.scheduler.run_once())
    ended = (await listener.events(room, 1))[0]
    assert ended["kind"] == "session_ended" and ended["data"]["session_id"] == session.id
    await listener.send(type="ping", ref="p")
    assert (await listener.expect(type="pong"))["ref"] == "p"
    assert not [f for f in listener.seen if f.get("type") == "event" and f["seq"] > ended["seq"]]
    await listener.close()
