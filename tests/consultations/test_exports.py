"""Exports and attribution: the long format parsed back from CSV (utf-8-sig) and JSON, with Unicode,
commas, quotes and line breaks intact; every respondent named only as their effective level allows,
in pages, exports and the report alike."""

from __future__ import annotations

import csv
import io
import json

from tests.conftest import signed_in
from tests.consultations.conftest import answers_for, make_consultation, make_group

FORMULA = '=HYPERLINK("http://example.org", "click")'
TRICKY = 'ምልከታ: "ቋንቋ, ሥራ" 🙂\nسطر ثانٍ, "مع علامات"\n=SUM(1,2)'


def parse_csv(response) -> list[dict[str, str]]:
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for UTF-8
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def answer(live, setup, user, *, text: str, attribution: str | None = None, submit: bool = True):
    async with await signed_in(live, user) as browser:
        body = {"answers": answers_for(setup, text), "submit": submit}
        if attribution:
            body["attribution"] = attribution
        r = await browser.api("PUT", f"/api/v1/consultations/{setup.consultation.id}/response", json=body)
        assert r.status_code == 200, r.text
        return r.json()


async def test_exports_round_trip_in_the_long_format_with_attribution(live):
    profiles = [
        {"name": "Amina Haddad", "organisation_type": "ngo", "country": "BE"},
        {"name": "Yohannes Tesfay", "organisation_type": "refugee_led", "country": "ER"},
        {"name": "Draft Dana", "organisation_type": "academic", "country": "FR"},
    ]
    setup = await make_consultation(live, await make_group(live, members=3, profiles=profiles))
    c = setup.consultation
    amina, yohannes, dana = setup.members
    await answer(live, setup, amina, text=TRICKY)
    mine = await answer(live, setup, yohannes, text="Anonymous view, with a comma", attribution="anonymous")
    assert mine["shown_as"].startswith("Respondent ")
    await answer(live, setup, dana, text="Only a draft", submit=False)
    # Yohannes skips the scale question on a later change (still before the close).
    async with await signed_in(live, yohannes) as browser:
        partial = answers_for(setup, "Anonymous view, with a comma")
        partial.pop(str(setup.questions["scale"].id))
        r = await browser.api(
            "PUT", f"/api/v1/consultations/{c.id}/response", json={"answers": partial, "submit": True}
        )
        assert r.status_code == 200
        comment = await browser.api(
            "POST",
            f"/api/v1/consultations/{c.id}/comments",
            json={"section_id": setup.sections["intro"].id, "body": TRICKY},
        )
        assert comment.status_code == 201 and comment.json()["author"] == mine["shown_as"]
    async with await signed_in(live, amina) as browser:
        reply = await browser.api(
            "POST",
            f"/api/v1/consultations/{c.id}/comments",
            json={
                "section_id": setup.sections["intro"].id,
                "body": FORMULA,
                "parent_id": comment.json()["id"],
            },
        )
        assert reply.status_code == 201

    async with await signed_in(live, setup.facilitator) as fac:
        rows = parse_csv(await fac.get(f"/consultations/{c.id}/export/responses.csv"))
        document = json.loads((await fac.get(f"/consultations/{c.id}/export/responses.json")).content)
        api_rows = (await fac.api("GET", f"/api/v1/consultations/{c.id}/export/responses")).json()["rows"]
        comments = parse_csv(await fac.get(f"/consultations/{c.id}/export/comments.csv"))
        comments_json = json.loads((await fac.get(f"/consultations/{c.id}/export/comments.json")).content)

    assert (
        list(rows[0].keys())
        == document["columns"]
        == [
            "consultation_id",
            "respondent",
            "attribution",
            "organisation_type",
            "country",
            "question_id",
            "question_position",
            "section",
            "question_type",
            "question_text",
            "answer",
            "skipped",
            "submitted_at",
        ]
    )
    assert len(rows) == len(document["rows"]) == 2 * len(setup.questions)  # Dana's draft is not exported
    assert document["rows"] == api_rows

    q = setup.questions
    by = {(r["respondent"], int(r["question_id"])): r for r in rows}
    a_text = by[("Amina Haddad (NGO or civil society)", q["text"].id)]
    assert a_text["answer"] == TRICKY
    assert (
        a_text["organisation_type"] == "ngo"
        and a_text["country"] == "BE"
        and a_text["attribution"] == "by_name"
    )
    assert a_text["section"] == "Introduction" and a_text["question_position"] == "1"
    assert a_text["submitted_at"].endswith("Z") and a_text["skipped"] == "false"
    json_text = next(r for r in document["rows"] if r["question_id"] == q["text"].id and r["country"] == "BE")
    assert json_text["answer"] == TRICKY and json_text["skipped"] is False

    label = mine["shown_as"]
    anon = {int(r["question_id"]): r for r in rows if r["respondent"] == label}
    assert all(
        r["organisation_type"] == "" and r["country"] == "" and r["attribution"] == "anonymous"
        for r in anon.values()
    )
    assert anon[q["scale"].id]["skipped"] == "true" and anon[q["scale"].id]["answer"] == ""
    assert anon[q["single"].id]["answer"] == "Model B, with changes"
    assert anon[q["multiple"].id]["answer"] == "Housing; Work"
    assert anon[q["ranking"].id]["answer"] == "1. Cost; 2. Safety; 3. Speed"
    exported = json.dumps(document) + json.dumps(comments_json) + str(rows) + str(comments)
    assert "Yohannes" not in exported and "Dana" not in exported
    assert f'"{yohannes.id}"' not in json.dumps([r["respondent"] for r in document["rows"]])

    assert comments[0]["body"] == TRICKY
    assert comments_json["rows"][0]["body"] == TRICKY and comments_json["rows"][0]["author"] == label
    assert comments[0]["hidden"] == "false" and comments[0]["parent_id"] == ""
    # A cell a spreadsheet would run as a formula is defused in CSV, and kept exactly in JSON.
    assert comments[1]["body"] == "'" + FORMULA and comments_json["rows"][1]["body"] == FORMULA
    assert comments[1]["parent_id"] == comments[0]["comment_id"]

    async with await signed_in(live, amina) as browser:
        page = (await browser.get(f"/consultations/{c.id}")).text
        assert label in page and "Yohannes" not in page
    async with await signed_in(live, setup.facilitator) as fac:
        report = (await fac.get(f"/consultations/{c.id}/report")).text
        assert "Amina Haddad (NGO or civil society)" in report and label in report
        assert "Yohannes" not in report and "Only a draft" not in report


async def test_organisation_type_level_and_a_more_private_choice(live):
    profiles = [
        {"name": "Lina Official", "organisation_type": "national_government", "country": "SE"},
        {"name": "Omar Private", "organisation_type": "ngo", "country": "DE"},
    ]
    setup = await make_consultation(live, await make_group(live, profiles=profiles), attribution="org_type")
    c = setup.consultation
    lina, omar = setup.members
    async with await signed_in(live, lina) as browser:
        less_private = await browser.api(
            "PUT",
            f"/api/v1/consultations/{c.id}/response",
            json={"answers": answers_for(setup), "attribution": "by_name"},
        )
        assert less_private.status_code == 422
        assert "never a less private one" in less_private.json()["error"]["fields"]["attribution"]
        page = await browser.get(f"/consultations/{c.id}")
        assert 'value="by_name"' not in page.text and 'value="anonymous"' in page.text
    await answer(live, setup, lina, text="Official view")
    await answer(live, setup, omar, text="Private view", attribution="anonymous")
    async with await signed_in(live, omar) as browser:
        await browser.api(
            "POST",
            f"/api/v1/consultations/{c.id}/comments",
            json={"section_id": setup.sections["proposal"].id, "body": "Omar's comment"},
        )
    async with await signed_in(live, setup.facilitator) as fac:
        rows = parse_csv(await fac.get(f"/consultations/{c.id}/export/responses.csv"))
        labels = {r["respondent"] for r in rows}
        assert "A national government respondent" in labels
        assert any(label.startswith("Respondent ") for label in labels)
        gov = next(r for r in rows if r["respondent"] == "A national government respondent")
        assert gov["organisation_type"] == "national_government" and gov["attribution"] == "org_type"
        report = (await fac.get(f"/consultations/{c.id}/report")).text
        assert "Lina" not in report and "Omar" not in report and "A national government respondent" in report
        page = (await fac.get(f"/consultations/{c.id}")).text
        assert "Omar Private" not in page and "Respondent " in page
