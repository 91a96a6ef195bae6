"""`convene digest send-due` and `convene digest preview --member EMAIL` (added to convene/cli.py).

send-due does once what the running server's scheduler does every quarter hour: compose every
digest that is due and deliver it, for sites that drive it from cron or a systemd timer. It is safe
to run while `convene serve` runs, or twice at once: periods and outbox keys make each digest once.
Composing and sending overlap (the outbox starts on the first batch), progress goes to standard
error, the summary to standard output.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import subprocess
import sys
import time
from typing import Any, TextIO

from convene.clock import SystemClock
from convene.errors import NotFound
from convene.settings import Settings


class Progress:
    """A one-line progress bar on a terminal; on anything else (a log file, a pipe) a plain line at
    every tenth, so cron mail stays short."""

    def __init__(self, label: str, stream: TextIO) -> None:
        self.label = label
        self.stream = stream
        self.tty = stream.isatty()
        self._shown = -1
        self._started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        total = max(total, done, 1)
        if self.tty:
            filled = int(30 * done / total)
            bar = "#" * filled + "." * (30 - filled)
            self.stream.write(f"\r{self.label} [{bar}] {done}/{total}")
            self.stream.flush()
            return
        tenth = 10 * done // total
        if tenth != self._shown:
            self._shown = tenth
            self.stream.write(f"{self.label}: {done}/{total} ({tenth * 10}%)\n")
            self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write(f"  {time.monotonic() - self._started:.1f}s\n")
            self.stream.flush()


def _mailroom(settings: Settings) -> Any:
    from convene.mail import mailer_from_url
    from convene.templating import Templates
    from digest.context import Mailroom
    from digest.health import failure_hook
    from digest.outbox import Outbox

    clock = SystemClock()
    outbox = Outbox(
        mailer_from_url(settings.mail_url),
        clock,
        sender=settings.mail_from,
        base_url=settings.base_url,
        concurrency=settings.mail_concurrency,
    )
    outbox.on_permanent_failure.append(failure_hook(clock))
    return Mailroom(settings, clock, Templates(settings.site_name, settings.default_locale, clock), outbox)


async def send_due(mailroom: Any, err: TextIO, shard: tuple[int, int] = (0, 1)) -> tuple[Any, Any]:
    """Compose and deliver every due digest (of one shard of the members); delivery runs alongside
    composition."""
    from digest.outbox import DeliveryStats
    from digest.runner import send_due_digests

    label = "Composing digests" if shard[1] == 1 else f"Composing digests (part {shard[0] + 1} of {shard[1]})"
    composing = Progress(label, err)
    sending = Progress("Sending email", err)
    more = asyncio.Event()
    finished = asyncio.Event()
    sent = DeliveryStats()
    queued = 0

    def tick(n: int) -> None:
        tick.done += n  # type: ignore[attr-defined]
        if finished.is_set():
            sending(tick.done, max(queued, tick.done))  # type: ignore[attr-defined]

    tick.done = 0  # type: ignore[attr-defined]

    async def deliver() -> None:
        while True:
            more.clear()  # before the pass: a batch committed during it wakes the next one
            stats = await mailroom.outbox.deliver_due(progress=tick)
            sent.add(stats)
            if stats.sent == 0:  # nothing due, or the server refuses everything for now
                if finished.is_set():
                    return  # what is left waits for its retry time (the next run, or the server)
                await more.wait()

    delivery = asyncio.get_running_loop().create_task(deliver())
    try:
        run = await send_due_digests(mailroom, progress=composing, after_batch=more.set, shard=shard)
        queued = run.queued
    finally:
        composing.finish()
        finished.set()
        more.set()
        await delivery
    sending.finish()
    await mailroom.outbox.mailer.close()
    return run, sent


def _shard(value: str) -> tuple[int, int]:
    part, _, parts = value.partition("/")
    if not (part.isdigit() and parts.isdigit() and 0 <= int(part) < int(parts)):
        raise argparse.ArgumentTypeError("use K/N with 0 <= K < N, e.g. 0/2")
    return int(part), int(parts)


def _in_processes(n: int) -> tuple[Any, Any]:
    """Run n copies of this command, each on its own share of the members (--shard k/n), and add
    up what they report: a big network's run uses every core."""
    from digest.outbox import DeliveryStats
    from digest.runner import RunStats

    command = [sys.executable, "-m", "convene.cli", "digest", "send-due", "--json"]
    children = [
        subprocess.Popen([*command, "--shard", f"{k}/{n}"], stdout=subprocess.PIPE, text=True)  # noqa: S603
        for k in range(n)
    ]
    run, sent, failed = RunStats(), DeliveryStats(), 0
    for child in children:
        out, _ = child.communicate()
        if child.returncode != 0:
            failed += 1
            continue
        report = json.loads(out.strip().splitlines()[-1])
        for key, value in report["run"].items():
            setattr(run, key, getattr(run, key) + value)
        for key, value in report["sent"].items():
            if key != "errors":
                setattr(sent, key, getattr(sent, key) + value)
    if failed:
        from convene.cli import CommandError

        raise CommandError(f"{failed} of the {n} processes failed (see above); run the command again.")
    return run, sent


def cmd_send_due(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from convene.cli import CommandError, _run

    if args.processes < 1:
        raise CommandError("--processes must be 1 or more.")
    if args.processes > 1:
        run, sent = _in_processes(args.processes)  # their progress shares our standard error
    else:
        run, sent = _run(settings, lambda: send_due(_mailroom(settings), sys.stderr, args.shard))
    if args.json:  # for the parent of --processes
        sent.errors = sent.errors[:20]
        print(json.dumps({"run": dataclasses.asdict(run), "sent": dataclasses.asdict(sent)}), file=out)
        return 0
    print(run.summary(), file=out)
    waiting = (
        f" {sent.retried} will be retried later (the mail server refused them for now)."
        if sent.retried
        else ""
    )
    failed = f" {sent.failed} were refused for good." if sent.failed else ""
    print(f"Email: {sent.sent} sent.{waiting}{failed}", file=out)
    return 0


async def preview(mailroom: Any, email: str) -> str:
    """The text part of the digest a member would receive if it were composed now (nothing is
    recorded, nothing is sent), or a sentence saying why there is none."""
    from digest.compose import MEMBER_COLUMNS, Composer, Due, Member
    from digest.models import DigestRun
    from digest.preferences import get_prefs
    from digest.render import render_digest
    from digest.schedule import Period, period_length
    from members.models import User, UserStatus

    row = await User.filter(email=email.strip().lower()).first().values(*MEMBER_COLUMNS, "status")
    if row is None:
        raise NotFound(f"There is no member with the email address {email}.")
    if row["status"] != UserStatus.ACTIVE:
        return f"{row['name']} <{row['email']}> is not an active member: no digest is sent to them."
    prefs = await get_prefs(row["id"])
    now = mailroom.clock.now()
    last = await DigestRun.filter(user_id=row["id"]).order_by("-period_end").first().values("period_end")
    frequency = prefs.frequency if prefs.frequency != "off" else "weekly"
    start = last["period_end"] if last else now - period_length(frequency)
    composer = Composer(now)
    [digest] = await composer.compose([Due(Member.of(row), prefs, Period(start, now))])
    note = (
        ""
        if prefs.frequency != "off"
        else "(Digests are off for this member; this is what a weekly one would hold.)\n"
    )
    if digest.empty:
        return (
            f"{note}Nothing new for {row['name']} since {start:%Y-%m-%d %H:%M} UTC: no digest would be sent."
        )
    email_parts = render_digest(mailroom, digest)
    return f"{note}To: {row['email']}\nSubject: {email_parts.subject}\n\n{email_parts.text}"


def cmd_preview(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from convene.cli import _run

    print(_run(settings, lambda: preview(_mailroom(settings), args.member)), file=out)
    return 0


def add_digest_commands(commands: Any) -> None:
    """Register `convene digest ...` on the CLI's subcommand parser."""
    digest = commands.add_parser("digest", help="email digests: send the due ones, preview one")
    actions = digest.add_subparsers(dest="digest_command", required=True, metavar="ACTION")
    send = actions.add_parser(
        "send-due", help="compose and send every digest that is due now (for cron or a systemd timer)"
    )
    send.add_argument(
        "--processes",
        type=int,
        default=1,
        help="share the work between this many processes (default 1; up to the number of cores)",
    )
    send.add_argument("--shard", type=_shard, default=(0, 1), help=argparse.SUPPRESS)
    send.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    send.set_defaults(handler=cmd_send_due)
    show = actions.add_parser("preview", help="print the digest a member would get now (sends nothing)")
    show.add_argument("--member", required=True, metavar="EMAIL", help="the member's email address")
    show.set_defaults(handler=cmd_preview)
