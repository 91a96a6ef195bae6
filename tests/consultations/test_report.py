"""The report: counts and percentages per question as accessible SVG charts with a table beside them,
free-text answers, comment counts per section; facilitators only until it is published."""

from __future__ import annotations

from tests.conftest import signed_in
from tests.consultations.conftest import answers_for, make_consultation, make_group


async def test_report_counts_charts_and_publication(live):
    setup = await make_consultation(live, await make_group(live, members=3))
    c = setup.consultation
    q = setup.questions
    texts = ["First view", "Second view", "Third view"]
    for n, member in enumerate(setup.members):
        answers = answers_for(setup, texts[n])
        if n == 2:
            answers[str(q["single"].id)] = q["single"].options[0].id
            answers.pop(str(q["scale"].id))
        async with await signed_in(live, member) as browser:
            r = await browser.api(
                "PUT", f"/api/v1/consultations/{c.id}/response", json={"answers": answers, "submit": True}
            )
            assert r.status_code == 200
            if n == 0:
                await browser.api(
                    "POST",
                    f"/api/v1/consultations/{c.id}/comments",
                    json={"section_id": setup.sections["proposal"].id, "body": "On the proposal"},
                )

    async with await signed_in(live, setup.facilitator) as fac:
        data = (await fac.api("GET", f"/api/v1/consultations/{c.id}/report")).json()
        assert data["respondents"] == 3
        by_id = {item["question_id"]: item for item in data["questions"]}
        single = by_id[q["single"].id]
        assert [(b["label"], b["count"], b["percent"]) for b in single["bars"]] == [
            ("Model A", 1, 33.33),
            ("Model B, with changes", 2, 66.67),
        ]
        scale = by_id[q["scale"].id]
        assert scale["answered"] == 2 and scale["skipped"] == 1 and scale["mean"] == 4.0
        multiple = by_id[q["multiple"].id]
        assert [b["percent"] for b in multiple["bars"]] == [
            100.0,
            0.0,
            100.0,
        ]  # of respondents: may pass 100 in all
        ranking = by_id[q["ranking"].id]
        assert ranking["ranks"][0] == {"label": "Cost", "mean_rank": 1.0, "firsts": 3}
        assert [t["author"] for t in by_id[q["text"].id]["texts"]] == [m.name for m in setup.members]
        assert {s["title"]: s["comments"] for s in data["sections"]} == {"Introduction": 0, "The proposal": 1}

        page = await fac.get(f"/consultations/{c.id}/report")
        html = page.text
        assert "Only facilitators see this report" in html
        qid = q["single"].id
        assert f'<svg class="chart" role="img" aria-labelledby="chart-{qid}-t chart-{qid}-d"' in html
        assert f'<title id="chart-{q["single"].id}-t">Which model?</title>' in html
        assert (
            f'<desc id="chart-{q["single"].id}-d">Model A: 1 (33%); Model B, with changes: 2 (67%).' in html
        )
        assert '<th scope="row">Model B, with changes</th><td>2</td><td>67%</td>' in html
        assert "<p>Second view</p>" in html

    async with await signed_in(live, setup.members[0]) as member:
        assert (await member.get(f"/consultations/{c.id}/report")).status_code == 403
    async with await signed_in(live, setup.facilitator) as fac:
        early = await fac.api("POST", f"/api/v1/consultations/{c.id}/report/publish")
        assert (
            early.status_code == 409
            and "once the consultation has closed" in early.json()["error"]["message"]
        )
        await fac.api("POST", f"/api/v1/consultations/{c.id}/close", json={})
        published = await fac.api("POST", f"/api/v1/consultations/{c.id}/report/publish")
        assert published.status_code == 200 and published.json()["state"] == "report_published"
    async with await signed_in(live, setup.members[1]) as member:
        report = await member.get(f"/consultations/{c.id}/report")
        assert report.status_code == 200 and "Only facilitators see this report" not in report.text
        page = await member.get(f"/consultations/{c.id}")
        assert "The facilitator has published the report." in page.text
        counts = (await member.api("GET", f"/api/v1/consultations/{c.id}/report")).json()["sections"]
        assert all("hidden_comments" in s for s in counts)
