"""Notices (opened, 24 hours left, extended, reopened, closed) go out exactly once per consultation per
occurrence: however often the scheduler runs, even with two runners at once; as email through the
outbox to a real SMTP server, and in the site."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.conftest import signed_in
from tests.consultations.conftest import make_consultation, make_group, run


def subjects(smtp, user) -> list[str]:
    return sorted(str(m["Subject"]) for m in smtp.to(user.email))


async def drive(server, times: int = 2) -> None:
    """Run the scheduler `times` in a row, then two notice runners at once, then deliver the mail."""
    from consultations.notices import run_consultation_notices

    for _ in range(times):
        await run(server, server.app.state.scheduler.run_once())

    async def two_at_once() -> None:
        await asyncio.gather(run_consultation_notices(server.app), run_consultation_notices(server.app))

    await run(server, two_at_once)
    await run(server, server.app.state.outbox.deliver_due())


async def notices(server, cid: int) -> list[tuple[str, str]]:
    from consultations.models import Notice

    async def rows() -> list[tuple[str, str]]:
        return sorted(await Notice.filter(consultation_id=cid).values_list("kind", "occurrence"))

    return await run(server, rows)


async def test_opened_closing_soon_and_closed_are_sent_once_each(clocked, smtp):
    setup = await make_consultation(
        clocked, await make_group(clocked), opens_in=timedelta(hours=2), lasts=timedelta(days=3)
    )
    c = setup.consultation
    title = c.title
    a, b = setup.members

    await drive(clocked)  # published, not open yet: nothing to say
    assert subjects(smtp, a) == []

    clocked.clock.set(c.opens_at)
    await drive(clocked, times=3)
    smtp.wait_for(a.email, 1)
    smtp.wait_for(b.email, 1)
    assert subjects(smtp, a) == [f"Consultation open: {title}"]
    assert subjects(smtp, setup.outsider) == []
    opened = smtp.to(a.email)[0]
    body = opened.get_body(("plain",)).get_content()
    assert f"/consultations/{c.id}" in body
    assert opened["Auto-Submitted"] == "auto-generated"

    clocked.clock.set(c.closes_at - timedelta(hours=23))
    await drive(clocked)
    smtp.wait_for(a.email, 2)
    assert subjects(smtp, a) == [f"24 hours left: {title}", f"Consultation open: {title}"]

    clocked.clock.set(c.closes_at)
    await drive(clocked)
    smtp.wait_for(b.email, 3)
    await drive(clocked)  # and once more, for good measure
    assert subjects(smtp, b) == [
        f"24 hours left: {title}",
        f"Consultation closed: {title}",
        f"Consultation open: {title}",
    ]
    assert await notices(clocked, c.id) == [("closed", "0"), ("closing_soon", "0"), ("opened", "0")]

    async with await signed_in(clocked, a) as browser:
        page = await browser.get("/consultations")
        assert "Your notices" in page.text and f"{title}</a> closed" in page.text
    async with await signed_in(clocked, setup.facilitator) as browser:
        activity = (await browser.api("GET", f"/api/v1/consultations/{c.id}/activity")).json()
        sent = [e["data"]["kind"] for e in activity if e["action"] == "notice.sent"]
        assert sorted(sent) == ["closed", "closing_soon", "opened"]


async def test_each_extension_and_reopening_is_announced_once(clocked, smtp):
    setup = await make_consultation(
        clocked, await make_group(clocked, members=1), opens_in=timedelta(hours=-1), lasts=timedelta(days=5)
    )
    c = setup.consultation
    member = setup.members[0]
    await drive(clocked)
    smtp.wait_for(member.email, 1)

    async with await signed_in(clocked, setup.facilitator) as fac:
        first = (c.closes_at + timedelta(days=2)).isoformat()
        r = await fac.api(
            "POST", f"/api/v1/consultations/{c.id}/extend", json={"closes_at": first, "reason": "More time"}
        )
        assert r.status_code == 200 and r.json()["closes_at"].startswith(first[:16])
        earlier = await fac.api(
            "POST", f"/api/v1/consultations/{c.id}/extend", json={"closes_at": c.closes_at.isoformat()}
        )
        assert (
            earlier.status_code == 422
            and "later than the current one" in earlier.json()["error"]["fields"]["closes_at"]
        )
        second = (c.closes_at + timedelta(days=3)).isoformat()
        assert (
            await fac.api("POST", f"/api/v1/consultations/{c.id}/extend", json={"closes_at": second})
        ).status_code == 200
        await drive(clocked)
        smtp.wait_for(member.email, 3)
        extended = [m for m in smtp.to(member.email) if str(m["Subject"]).startswith("Deadline extended")]
        assert len(extended) == 2  # one per extension

        closed = await fac.api(
            "POST", f"/api/v1/consultations/{c.id}/close", json={"reason": "Enough answers"}
        )
        assert closed.json()["state"] == "closed"
        await drive(clocked)
        smtp.wait_for(member.email, 4)

        new_deadline = clocked.clock.now() + timedelta(days=2)
        reopened = await fac.api(
            "POST", f"/api/v1/consultations/{c.id}/reopen", json={"closes_at": new_deadline.isoformat()}
        )
        assert reopened.status_code == 200 and reopened.json()["state"] == "open"
        await drive(clocked)
        smtp.wait_for(member.email, 5)
        clocked.clock.set(new_deadline)
        await drive(clocked)
        smtp.wait_for(member.email, 6)
        await drive(clocked)

        kinds = [e["action"] for e in (await fac.api("GET", f"/api/v1/consultations/{c.id}/activity")).json()]
        assert {"extended", "closed_early", "reopened"} <= set(kinds)

    assert sorted(str(m["Subject"]).split(":")[0] for m in smtp.to(member.email)) == [
        "Consultation closed",
        "Consultation closed",
        "Consultation open",
        "Consultation reopened",
        "Deadline extended",
        "Deadline extended",
    ]
    assert await notices(clocked, c.id) == [
        ("closed", "0"),
        ("closed", "1"),
        ("extended", "1"),
        ("extended", "2"),
        ("opened", "0"),
        ("reopened", "3"),
    ]
    reopen_mail = next(
        m for m in smtp.to(member.email) if str(m["Subject"]).startswith("Consultation reopened")
    )
    assert "answers you gave before are kept" in reopen_mail.get_body(("plain",)).get_content()
