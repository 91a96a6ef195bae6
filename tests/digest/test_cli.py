"""`convene digest preview --member EMAIL` and `convene digest send-due`, run as an operator would
(the real clock, settings from the environment), against a database seeded by a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from convene.cli import main
from convene.clock import FrozenClock
from tests.conftest import start_server
from tests.digest.conftest import add, digests_to, fresh_db, group, set_prefs, text_of, thread, user


def test_preview_then_send_due(tmp_path, mail, migrated_db, monkeypatch, capsys):
    now = datetime.now(UTC)
    hour = (now - timedelta(hours=1)).hour  # the member's daily hour passed within the last hour or two
    database_url = fresh_db(migrated_db, tmp_path / "db")
    seeding = start_server(
        tmp_path, smtp_port=mail.port, clock=FrozenClock(now - timedelta(hours=30)), database_url=database_url
    )
    try:
        host = user(seeding, "facilitator")
        reader = user(seeding, name="Cleo Cron")
        grp = group(seeding, host)
        add(seeding, host, grp, reader)
        set_prefs(seeding, reader, digest="daily", hour=hour)
        set_prefs(seeding, host, digest="off")
        seeding.clock.set(now - timedelta(hours=3))
        thread(seeding, host, grp, "Timetable for the autumn workshops")
    finally:
        seeding.stop()

    monkeypatch.setenv("CONVENE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONVENE_DATABASE_URL", database_url)
    monkeypatch.setenv("CONVENE_MAIL_URL", f"smtp://127.0.0.1:{mail.port}")
    monkeypatch.setenv("CONVENE_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("CONVENE_BASE_URL", "https://convene.example.org")

    assert main(["digest", "preview", "--member", reader.email.upper()]) == 0
    shown = capsys.readouterr().out
    assert f"To: {reader.email}" in shown and "Subject: Convene daily digest: 1 new thread" in shown
    assert "Timetable for the autumn workshops" in shown
    assert "https://convene.example.org/g/" in shown
    assert mail.sink.to(reader.email) == []  # a preview sends nothing

    assert main(["digest", "send-due"]) == 0
    captured = capsys.readouterr()
    assert "Composing digests" in captured.err and "100%" in captured.err
    assert "1 queued" in captured.out and "Email: 1 sent." in captured.out
    [message] = digests_to(mail, reader)
    assert "Timetable for the autumn workshops" in text_of(message)
    assert message["List-Unsubscribe"].startswith("<https://convene.example.org/email/unsubscribe/")

    # A second run (cron every quarter hour) finds nothing due.
    assert main(["digest", "send-due"]) == 0
    assert "0 digests due" in capsys.readouterr().out
    assert len(digests_to(mail, reader)) == 1

    assert main(["digest", "preview", "--member", reader.email]) == 0
    assert "no digest would be sent" in capsys.readouterr().out
    assert main(["digest", "preview", "--member", "nobody@example.org"]) == 1
    assert "There is no member with the email address nobody@example.org." in capsys.readouterr().err


def test_send_due_shared_between_processes(tmp_path, mail, migrated_db, monkeypatch, capfd):
    now = datetime.now(UTC)
    hour = (now - timedelta(hours=1)).hour
    database_url = fresh_db(migrated_db, tmp_path / "db")
    seeding = start_server(
        tmp_path, smtp_port=mail.port, clock=FrozenClock(now - timedelta(hours=30)), database_url=database_url
    )
    try:
        host = user(seeding, "facilitator")
        readers = [user(seeding) for _ in range(5)]
        grp = group(seeding, host)
        add(seeding, host, grp, *readers)
        for member in [host, *readers]:
            set_prefs(seeding, member, digest="daily", hour=hour)
        seeding.clock.set(now - timedelta(hours=3))
        thread(seeding, host, grp, "Shared between processes")
    finally:
        seeding.stop()
    monkeypatch.setenv("CONVENE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONVENE_DATABASE_URL", database_url)
    monkeypatch.setenv("CONVENE_MAIL_URL", f"smtp://127.0.0.1:{mail.port}")
    monkeypatch.setenv("CONVENE_SECRET_KEY", "cli-test-secret")

    assert main(["digest", "send-due", "--processes", "2"]) == 0
    captured = capfd.readouterr()
    assert "(part 1 of 2)" in captured.err and "(part 2 of 2)" in captured.err
    assert "6 members checked, 6 digests due: 5 queued, 1 with nothing new" in captured.out
    assert "Email: 5 sent." in captured.out
    assert [len(digests_to(mail, r)) for r in readers] == [1] * 5
    assert main(["digest", "send-due", "--processes", "2"]) == 0
    assert "0 digests due" in capfd.readouterr().out
