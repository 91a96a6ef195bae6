"""Writing and answering through the HTML forms: times in the facilitator's own zone, forms that
re-render with messages (422), questions locked once open, answers of every type, the calendar file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from tests.conftest import signed_in
from tests.consultations.conftest import make_consultation, make_group, set_profile


async def test_a_facilitator_writes_and_publishes_a_consultation_with_forms(live):
    setup = await make_group(live)
    await set_profile(live, setup.facilitator, timezone="Europe/Brussels")
    async with await signed_in(live, setup.facilitator) as fac:
        form = await fac.get("/consultations/new")
        assert form.status_code == 200 and "your time zone: Europe/Brussels" in form.text
        bad = await fac.post_form(
            "/consultations/new",
            {
                "title": "",
                "group": setup.group.slug,
                "opens_at": "2031-05-10T09:00",
                "closes_at": "2031-05-01T09:00",
            },
        )
        assert bad.status_code == 422
        assert (
            "The closing time must be after the opening time." in bad.text
            and 'aria-invalid="true"' in bad.text
        )
        created = await fac.post_form(
            "/consultations/new",
            {
                "title": "Housing for newcomers",
                "summary": "Why **now**",
                "group": setup.group.slug,
                "attribution": "org_type",
                "opens_at": "2031-05-01T09:00",
                "closes_at": "2031-05-15T18:00",
                "qa_moderated": "on",
            },
        )
        assert created.status_code == 303
        manage_url = created.headers["location"].split("?")[0]
        cid = int(manage_url.split("/")[2])
        data = (await fac.api("GET", f"/api/v1/consultations/{cid}")).json()
        assert data["opens_at"] == "2031-05-01T07:00:00Z" or data["opens_at"].startswith(
            "2031-05-01T07:00:00"
        )
        assert (
            data["state"] == "draft"
            and data["attribution"] == "org_type"
            and data["summary_html"] == "<p>Why <strong>now</strong></p>"
        )

        nothing = await fac.post_form(f"/consultations/{cid}/publish")
        assert nothing.status_code == 422 and "Add at least one section or question" in nothing.text
        r = await fac.post_form(
            f"/consultations/{cid}/sections", {"title": "Context", "body": "# Heading\n\nBody"}
        )
        assert r.status_code == 303
        bad_q = await fac.post_form(
            f"/consultations/{cid}/questions", {"kind": "single", "text": "Pick", "options": "Only one"}
        )
        assert bad_q.status_code == 422 and "at least two options" in bad_q.text
        section_id = (await fac.api("GET", f"/api/v1/consultations/{cid}")).json()["sections"][0]["id"]
        for spec in (
            {
                "kind": "single",
                "text": "Which one?",
                "options": "Yes\nNo\n",
                "section_id": str(section_id),
                "required": "on",
            },
            {"kind": "ranking", "text": "Order these", "options": "A\nB\nC"},
        ):
            assert (await fac.post_form(f"/consultations/{cid}/questions", spec)).status_code == 303
        questions = (await fac.api("GET", f"/api/v1/consultations/{cid}")).json()["questions"]
        assert [q["text"] for q in questions] == ["Which one?", "Order these"]
        move = await fac.post_form(
            f"/consultations/{cid}/questions/{questions[1]['id']}/move", {"direction": "up"}
        )
        assert move.status_code == 303
        assert (
            await fac.post_form(
                f"/consultations/{cid}/sessions",
                {"title": "Launch call", "starts_at": "2031-05-02T14:00", "duration_minutes": "60"},
            )
        ).status_code == 303

        published = await fac.post_form(f"/consultations/{cid}/publish")
        assert published.status_code == 303
        data = (await fac.api("GET", f"/api/v1/consultations/{cid}")).json()
        assert data["state"] == "scheduled" and data["live_sessions"][0]["starts_at"].startswith(
            "2031-05-02T12:00:00"
        )

        ics = await fac.get(f"/consultations/{cid}/calendar.ics")
        assert ics.headers["content-type"].startswith("text/calendar")
        calendar = Calendar.from_ical(ics.content)
        events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
        host = live.url.split("//")[1].split(":")[0]
        assert set(events) == {
            f"consultation-{cid}-opens@{host}",
            f"consultation-{cid}-closes@{host}",
            f"consultation-{cid}-session-{data['live_sessions'][0]['id']}@{host}",
        }
        closes = events[f"consultation-{cid}-closes@{host}"]
        assert closes.decoded("DTSTART") == datetime(2031, 5, 15, 16, 0, tzinfo=UTC)
        assert str(closes["URL"]).endswith(f"/consultations/{cid}") and "DTSTAMP" in closes
        again = Calendar.from_ical((await fac.get(f"/consultations/{cid}/calendar.ics")).content)
        assert sorted(str(e["UID"]) for e in again.walk("VEVENT")) == sorted(events)


async def test_questions_are_locked_once_open_and_answers_of_every_type_go_through_the_form(live):
    setup = await make_consultation(live, await make_group(live))
    c = setup.consultation
    q = setup.questions
    async with await signed_in(live, setup.facilitator) as fac:
        locked = await fac.api(
            "PATCH",
            f"/api/v1/consultations/{c.id}/questions/{q['single'].id}",
            json={"kind": "single", "text": "Changed?", "options": ["X", "Y"]},
        )
        assert (
            locked.status_code == 409
            and "cannot change once the consultation has opened" in locked.json()["error"]["message"]
        )
        fixed = await fac.api(
            "PATCH",
            f"/api/v1/consultations/{c.id}/sections/{setup.sections['intro'].id}",
            json={"title": "Introduction", "body": "A typo fixed"},
        )
        assert fixed.status_code == 200 and fixed.json()["body_html"] == "<p>A typo fixed</p>"

    ranking = q["ranking"].options
    async with await signed_in(live, setup.members[0]) as member:
        page = await member.get(f"/consultations/{c.id}")
        assert page.status_code == 200 and "Save as draft" in page.text
        wrong = await member.post_form(
            f"/consultations/{c.id}/respond",
            {
                f"q{q['scale'].id}": "4",
                f"q{q['ranking'].id}_o{ranking[0].id}": "1",
                f"q{q['ranking'].id}_o{ranking[1].id}": "1",
                "submit": "1",
            },
        )
        assert wrong.status_code == 422
        assert "This question needs an answer." in wrong.text  # the required free-text question
        assert "Give every option a different rank, from 1 to 3." in wrong.text
        assert 'value="4" checked' in wrong.text  # what was chosen is shown again
        draft = await member.post_form(
            f"/consultations/{c.id}/respond", {f"q{q['scale'].id}": "4", "submit": "0"}
        )
        assert draft.status_code == 303 and "done=saved" in draft.headers["location"]
        form = {
            f"q{q['text'].id}": "Faster **family** reunification",
            f"q{q['single'].id}": str(q["single"].options[0].id),
            f"q{q['multiple'].id}[]": [str(q["multiple"].options[1].id), str(q["multiple"].options[2].id)],
            f"q{q['scale'].id}": "5",
            f"q{q['ranking'].id}_o{ranking[0].id}": "2",
            f"q{q['ranking'].id}_o{ranking[1].id}": "3",
            f"q{q['ranking'].id}_o{ranking[2].id}": "1",
            "attribution": "by_name",
            "submit": "1",
        }
        done = await member.post_form(f"/consultations/{c.id}/respond", form)
        assert done.status_code == 303 and "done=submitted" in done.headers["location"]
        mine = (await member.api("GET", f"/api/v1/consultations/{c.id}/response")).json()
        assert mine["status"] == "submitted"
        assert mine["answers"][str(q["multiple"].id)] == [
            q["multiple"].options[1].id,
            q["multiple"].options[2].id,
        ]
        assert mine["answers"][str(q["ranking"].id)] == [ranking[2].id, ranking[0].id, ranking[1].id]
        shown = await member.get(f"/consultations/{c.id}?done=submitted")
        assert "You submitted your answers" in shown.text and "Update my submitted answers" in shown.text
        # After submitting, every change is checked in full: emptying a required answer is refused.
        emptied = await member.api("PUT", f"/api/v1/consultations/{c.id}/response", json={"answers": {}})
        assert emptied.status_code == 422 and f"q{q['text'].id}" in emptied.json()["error"]["fields"]


async def test_extend_and_reopen_through_the_manage_page(live):
    setup = await make_consultation(live, await make_group(live), lasts=timedelta(days=2))
    c = setup.consultation
    async with await signed_in(live, setup.facilitator) as fac:
        page = await fac.get(f"/consultations/{c.id}/manage")
        assert "Extend the deadline" in page.text and "Close early" in page.text
        earlier = await fac.post_form(f"/consultations/{c.id}/extend", {"closes_at": "2000-01-01T10:00"})
        assert earlier.status_code == 422 and "later than the current one" in earlier.text
        later = (c.closes_at + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        assert (await fac.post_form(f"/consultations/{c.id}/extend", {"closes_at": later})).status_code == 303
        assert (await fac.post_form(f"/consultations/{c.id}/close", {"reason": "Quorum"})).status_code == 303
        page = await fac.get(f"/consultations/{c.id}/manage")
        assert "Publish the report" in page.text and "Reopen" in page.text
        assert "extended the deadline" in page.text and "closed the consultation early — Quorum" in page.text
