"""The state follows the clock: opening and closing at the exact boundary, no job needed, a restart
changes nothing, and an answer that arrives after the close is refused (409) and not saved."""

from __future__ import annotations

from datetime import timedelta

from convene.clock import FrozenClock
from tests.conftest import signed_in, start_server
from tests.consultations.conftest import START, answers_for, make_consultation, make_group, run

MICRO = timedelta(microseconds=1)


async def state_of(browser, cid: int) -> str:
    r = await browser.api("GET", f"/api/v1/consultations/{cid}")
    assert r.status_code == 200, r.text
    return r.json()["state"]


async def test_opens_and_closes_at_the_exact_boundary(clocked):
    setup = await make_consultation(
        clocked, await make_group(clocked), opens_in=timedelta(hours=1), lasts=timedelta(days=2)
    )
    c = setup.consultation
    member = setup.members[0]
    answers = answers_for(setup)
    async with await signed_in(clocked, member) as browser:
        clocked.clock.set(c.opens_at - MICRO)
        assert await state_of(browser, c.id) == "scheduled"
        early = await browser.api("PUT", f"/api/v1/consultations/{c.id}/response", json={"answers": answers})
        assert early.status_code == 409
        assert "opens at" in early.json()["error"]["message"]
        assert (
            "You can answer once the consultation opens."
            in (await browser.get(f"/consultations/{c.id}")).text
        )

        clocked.clock.set(c.opens_at)
        assert await state_of(browser, c.id) == "open"
        page = await browser.get(f"/consultations/{c.id}")
        assert f'action="/consultations/{c.id}/respond"' in page.text
        ok = await browser.api("PUT", f"/api/v1/consultations/{c.id}/response", json={"answers": answers})
        assert ok.status_code == 200 and ok.json()["status"] == "draft"

        clocked.clock.set(c.closes_at - MICRO)
        assert await state_of(browser, c.id) == "open"
        last = await browser.api(
            "PUT", f"/api/v1/consultations/{c.id}/response", json={"answers": answers, "submit": True}
        )
        assert last.status_code == 200 and last.json()["status"] == "submitted"

        clocked.clock.set(c.closes_at)
        assert await state_of(browser, c.id) == "closed"
        changed = dict(answers, **{str(setup.questions["text"].id): "Too late"})
        late = await browser.api(
            "PUT", f"/api/v1/consultations/{c.id}/response", json={"answers": changed, "submit": True}
        )
        assert late.status_code == 409
        message = late.json()["error"]["message"]
        assert message.startswith("This consultation closed at ") and message.endswith(
            "your answer was not saved."
        )
        mine = await browser.api("GET", f"/api/v1/consultations/{c.id}/response")
        assert mine.json()["answers"][str(setup.questions["text"].id)] == "More interpreters"


async def test_a_late_answer_is_refused_whatever_the_page_showed(clocked):
    setup = await make_consultation(clocked, await make_group(clocked), lasts=timedelta(hours=3))
    c = setup.consultation
    q = setup.questions
    async with await signed_in(clocked, setup.members[0]) as browser:
        page = await browser.get(f"/consultations/{c.id}")
        assert "Submit my answers" in page.text  # the member reads the open form...
        clocked.clock.set(c.closes_at + timedelta(seconds=1))  # ...and submits a second after the close
        form = {
            f"q{q['text'].id}": "My late thoughts",
            f"q{q['single'].id}": str(q["single"].options[0].id),
            "submit": "1",
        }
        r = await browser.post_form(f"/consultations/{c.id}/respond", form)
        assert r.status_code == 409
        assert "This consultation closed at" in r.text and "your answer was not saved." in r.text
        assert "My late thoughts" in r.text  # what they typed is shown again, so nothing is lost to them
        comment = await browser.post_form(
            f"/consultations/{c.id}/comments", {"section_id": str(setup.sections["intro"].id), "body": "Late"}
        )
        assert comment.status_code == 409 and "your comment was not saved." in comment.text
        api = await browser.api("PUT", f"/api/v1/consultations/{c.id}/response", json={"answers": {}})
        assert api.status_code == 409 and api.json()["error"]["code"] == "conflict"

    async def stored() -> int:
        from consultations.models import Answer, Comment

        return (
            await Answer.filter(respondent__consultation_id=c.id).count()
            + await Comment.filter(consultation_id=c.id).count()
        )

    assert await run(clocked, stored) == 0


async def test_state_and_answers_survive_a_restart(tmp_path, smtp):
    clock = FrozenClock(START)
    server = start_server(tmp_path, smtp_port=smtp.port, clock=clock)
    try:
        setup = await make_consultation(
            server, await make_group(server), opens_in=timedelta(hours=1), lasts=timedelta(days=2)
        )
        c = setup.consultation
        clock.set(c.opens_at + timedelta(hours=1))
        async with await signed_in(server, setup.members[0]) as browser:
            r = await browser.api(
                "PUT",
                f"/api/v1/consultations/{c.id}/response",
                json={"answers": answers_for(setup), "submit": True},
            )
            assert r.status_code == 200
        async with await signed_in(server, setup.members[1]) as browser:
            draft = {str(setup.questions["text"].id): "Half-finished"}
            assert (
                await browser.api("PUT", f"/api/v1/consultations/{c.id}/response", json={"answers": draft})
            ).status_code == 200
    finally:
        server.stop()

    # A new process on the same data, later that day: still open, everything kept.
    later = FrozenClock(c.opens_at + timedelta(hours=20))
    server = start_server(tmp_path, smtp_port=smtp.port, clock=later)
    try:
        async with await signed_in(server, setup.members[1]) as browser:
            assert await state_of(browser, c.id) == "open"
            mine = (await browser.api("GET", f"/api/v1/consultations/{c.id}/response")).json()
            assert mine["status"] == "draft"
            assert mine["answers"] == {str(setup.questions["text"].id): "Half-finished"}
            # Past the deadline it is closed, though nothing ran at the deadline: no traffic, no job.
            later.set(c.closes_at)
            assert await state_of(browser, c.id) == "closed"
        async with await signed_in(server, setup.facilitator) as browser:
            rows = (await browser.api("GET", f"/api/v1/consultations/{c.id}/export/responses")).json()["rows"]
            assert {row["respondent"] for row in rows} == {setup.members[0].name}  # the draft is not exported
            assert len(rows) == len(setup.questions)
    finally:
        server.stop()
