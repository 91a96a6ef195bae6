from tests.conftest import signed_in
from tests.consultations.conftest import make_group, make_consultation, answers_for


async def test_smoke(live):
    s = await make_consultation(live, await make_group(live))
    c = s.consultation
    async with await signed_in(live, s.members[0]) as b:
        r = await b.get(f"/consultations/{c.id}")
        assert r.status_code == 200, r.text[:3000]
        r = await b.get("/consultations")
        assert r.status_code == 200, r.text[:3000]
        r = await b.api("PUT", f"/api/v1/consultations/{c.id}/response", json={"answers": answers_for(s), "submit": True})
        assert r.status_code == 200, r.text
        print(r.json())
    async with await signed_in(live, s.facilitator) as f:
        for url in [f"/consultations/{c.id}/manage", f"/consultations/{c.id}/report", f"/consultations/{c.id}/export/responses.csv",
                    f"/consultations/{c.id}/calendar.ics", f"/api/v1/consultations/{c.id}", f"/api/v1/consultations/{c.id}/report",
                    "/consultations/new", f"/consultations/{c.id}/questions/{s.questions['single'].id}/edit",
                    f"/consultations/{c.id}/sections/{s.sections['intro'].id}/edit"]:
            r = await f.get(url)
            assert r.status_code == 200, (url, r.text[:3000])
        print(r.text[:300])
