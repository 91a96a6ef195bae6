#!/usr/bin/env python3
"""Digest throughput and memory: Convene composing and sending every member's weekly digest, beside
plain aiosmtplib sending the same messages, in ONE run (this host's speed drifts from minute to
minute, and it is shared: only figures from the same run are compared, in alternating rounds).

Phases, each in its own process (so each peak memory figure is that process's alone):
  seed    a fresh SQLite database per size (--small, --members), migrated, then bulk-inserted
          (sqlite3 executemany; the service layer would take an hour for 10,000 members): members in
          several time zones and languages, groups (public, members-only, private), memberships,
          a week of threads and posts (replies to members' posts, @mentions with the forum's
          notification rows), read marks, consultations, library resources. Everyone's default
          digest (weekly, Monday 08:00 in their zone) is due at the run's clock: Monday 12:00 UTC.
          Kept in BENCH_DIR and reused while SEED_VERSION and the size match (--reseed to redo).
  sink    an aiosmtpd Controller on 127.0.0.1 in its own process, counting and discarding.
  digest  the `convene digest send-due` path (digest/commands.py send_due: compose in batches of 500
          members, record each period with its outbox row, deliver through the outbox and the pooled
          SMTP mailer over --conns connections), on uvloop, against a fresh copy of the seeded
          database. Emails/s = emails sent / wall time of compose + send; CPU/email; ru_maxrss.
  plain   the same messages, read from that digest run's outbox and built to the very bytes the
          outbox sent (digest/mime.py) BEFORE timing, then sent with aiosmtplib over --conns reused
          connections (as /work/shared/bench/limit_smtp.py does).
  digest in N processes (--processes, default 2): `send-due --processes N`, each process composing
          and sending the members whose id is k modulo N; wall time from first start to last end.

  python bench/digest.py [--members 10000] [--small 1000] [--conns 4] [--rounds 3]
                         [--processes 2] [--wait-quiet 120] [--port 8131] [--reseed]

Output ends with `RESULT <name> <value>` lines (medians over the rounds): digest_emails_per_s,
plain_emails_per_s, digest_ratio (one process / plain), digest_ratio_2proc, *_cpu_ms_per_email,
digest_peak_mb_1k and digest_peak_mb_10k (ru_maxrss at --small and --members members), and
digest_rss_mb_after_1k_of_10k (the 10k run's peak once its first 1,000 members were composed: the
same figure as at the end means memory does not grow with members). Rounds where other processes
used more than 25% of a core are flagged NOISY.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchkit import MAIN, cpu_snap, ensure_venv, insert, proc_cpu, ts
from benchkit import wait_quiet as _wait_quiet

BASE = Path(os.environ.get("BENCH_DIR", "/tmp/bench-digest"))
NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # a Monday: everyone's 08:00 has passed
WEEK_START = NOW - timedelta(days=7, hours=4)
ZONES = [
    "UTC",
    "Europe/Berlin",
    "Europe/Athens",
    "Africa/Nairobi",
    "Asia/Amman",
    "Europe/London",
    "America/Sao_Paulo",
]
LOCALES = [""] * 17 + ["fr", "fr", "ar"]
SEED_VERSION = 1  # bump when seed() changes, so a kept seeded database is made again
WORDS = (
    "housing interpreter appeal asylum school registration clinic volunteer training schedule "
    "municipality reception integration language course family reunification legal aid mentor "
    "employment permit caseworker workshop transport allowance health insurance community"
).split()


def log(*a: object) -> None:
    print("[digest-bench]", *a, file=sys.stderr, flush=True)


# --- seeding -------------------------------------------------------------------------------------


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()


def seed(db: Path, members: int, rng_seed: int = 7) -> dict:
    sys.path.insert(0, str(MAIN))
    from convene.db import migrate

    if db.exists():
        db.unlink()
    asyncio.run(migrate(f"sqlite://{db}"))
    rng = random.Random(rng_seed)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    old = NOW - timedelta(days=60)
    users = [
        {
            "id": i,
            "email": f"member{i}@bench.example.org",
            "username": f"member{i}",
            "name": f"{sentence(rng, 1)} Member{i}",
            "password_hash": "x",
            "role": "admin" if i == 1 else "member",
            "status": "active",
            "timezone": rng.choice(ZONES),
            "locale": rng.choice(LOCALES),
            "created_at": ts(old),
            "organisation_visibility": "members",
            "organisation": "NGO " + str(i % 97),
        }
        for i in range(1, members + 1)
    ]
    insert(conn, "users", users)
    n_groups = max(8, members // 150)
    groups = []
    for g in range(1, n_groups + 1):
        vis = rng.choices(["public", "members", "private"], [70, 15, 15])[0]
        groups.append(
            {
                "id": g,
                "slug": f"group-{g}",
                "name": f"{sentence(rng, 2)} ({g})",
                "visibility": vis,
                "created_by_id": 1,
                "created_at": ts(old),
                "description": "",
                "description_html": "",
            }
        )
    insert(conn, "groups", groups)
    members_of: dict[int, list[int]] = {g: [] for g in range(1, n_groups + 1)}
    memberships = []
    for u in range(1, members + 1):
        for g in rng.sample(range(1, n_groups + 1), k=min(n_groups, rng.randint(2, 5))):
            members_of[g].append(u)
            memberships.append(
                {"group_id": g, "user_id": u, "role": "member", "status": "active", "created_at": ts(old)}
            )
    insert(conn, "memberships", memberships, with_id=False)
    threads, posts, notes, reads = [], [], [], []
    tid = pid = 0
    for g in range(1, n_groups + 1):
        people = members_of[g] or [1]
        plans = [("new", rng.randint(8, 20)), ("old", 8)]
        for kind, count in plans:
            for _ in range(count):
                tid += 1
                start = (
                    (WEEK_START + timedelta(hours=rng.uniform(6, 160)))
                    if kind == "new"
                    else old + timedelta(days=rng.uniform(5, 50))
                )
                author = rng.choice(people)
                thread_posts = []
                when = start
                n_posts = 1 + rng.randint(0, 10) if kind == "new" else 4 + rng.randint(2, 14)
                for number in range(1, n_posts + 1):
                    pid += 1
                    if number > 1:
                        step = rng.uniform(0.2, 12) if kind == "new" or number > 4 else rng.uniform(1, 48)
                        when = when + timedelta(hours=step)
                        if kind == "old" and number == 5:
                            when = WEEK_START + timedelta(hours=rng.uniform(8, 100))
                    if when >= NOW - timedelta(hours=5):
                        break
                    who = author if number == 1 else rng.choice(people)
                    parent = (
                        rng.choice(thread_posts)
                        if number > 1 and thread_posts and rng.random() < 0.4
                        else None
                    )
                    body = sentence(rng, rng.randint(20, 60)) + "."
                    mention = rng.choice(people) if rng.random() < 0.05 else None
                    html = f"<p>{body}</p>" + (
                        f'<p><a class="mention" href="/u/member{mention}">@member{mention}</a></p>'
                        if mention
                        else ""
                    )
                    posts.append(
                        {
                            "id": pid,
                            "thread_id": tid,
                            "number": number,
                            "author_id": who,
                            "parent_id": parent[0] if parent else None,
                            "body": body,
                            "body_html": html,
                            "created_at": ts(when),
                            "edit_count": 0,
                            "hide_reason": "",
                            "delete_reason": "",
                        }
                    )
                    if parent and parent[1] != who:
                        notes.append(
                            {
                                "user_id": parent[1],
                                "kind": "reply",
                                "actor_id": who,
                                "group_id": g,
                                "thread_id": tid,
                                "post_id": pid,
                                "created_at": ts(when),
                            }
                        )
                    if mention and mention != who and (not parent or parent[1] != mention):
                        notes.append(
                            {
                                "user_id": mention,
                                "kind": "mention",
                                "actor_id": who,
                                "group_id": g,
                                "thread_id": tid,
                                "post_id": pid,
                                "created_at": ts(when),
                            }
                        )
                    thread_posts.append((pid, who))
                last = when
                threads.append(
                    {
                        "id": tid,
                        "group_id": g,
                        "title": sentence(rng, rng.randint(4, 9)),
                        "author_id": author,
                        "created_at": ts(start),
                        "last_post_at": ts(last),
                        "post_count": len(thread_posts),
                    }
                )
                for reader in rng.sample(people, k=max(1, len(people) // 12)):
                    if last > WEEK_START:
                        reads.append(
                            {
                                "user_id": reader,
                                "thread_id": tid,
                                "last_read_number": rng.randint(1, len(thread_posts)),
                                "updated_at": ts(last + timedelta(minutes=5)),
                            }
                        )
    insert(conn, "threads", threads)
    insert(conn, "posts", posts)
    insert(conn, "notifications", notes, with_id=False)
    insert(conn, "thread_reads", reads, with_id=False)
    consultations = []
    for c in range(1, 4 + n_groups // 10):
        group_id = None if c <= 3 else rng.randint(1, n_groups)
        opens = WEEK_START + timedelta(days=rng.uniform(0, 5)) if c != 2 else NOW - timedelta(days=30)
        closes = NOW + timedelta(days=1.5) if c % 2 == 0 else NOW + timedelta(days=20)
        consultations.append(
            {
                "id": c,
                "group_id": group_id,
                "title": f"Consultation: {sentence(rng, 5)}",
                "facilitator_id": 1,
                "created_by_id": 1,
                "attribution": "by_name",
                "qa_moderated": 1,
                "opens_at": ts(opens),
                "closes_at": ts(closes),
                "published_at": ts(opens - timedelta(days=1)),
                "created_at": ts(old),
                "updated_at": ts(old),
            }
        )
    insert(conn, "consultations", consultations)
    resources = [
        {
            "id": r,
            "title": f"Guide: {sentence(rng, 4)}",
            "kind": "link",
            "url": f"https://example.org/r{r}",
            "group_id": rng.choice([None, None, rng.randint(1, n_groups)]),
            "audience": "members",
            "created_by_id": 1,
            "created_at": ts(WEEK_START + timedelta(hours=rng.uniform(1, 160))),
            "updated_at": ts(NOW),
            "languages": "[]",
            "stages": "[]",
            "tags": "[]",
        }
        for r in range(1, 21)
    ]
    insert(conn, "library_resources", resources)
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return {
        "members": members,
        "groups": n_groups,
        "threads": len(threads),
        "posts": len(posts),
        "notifications": len(notes),
        "thread_reads": len(reads),
        "memberships": len(memberships),
    }


# --- the sink --------------------------------------------------------------------------------------


def serve_sink(port: int) -> None:
    from aiosmtpd.controller import Controller

    class Counter:
        count = 0
        nbytes = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001, ANN201
            Counter.count += 1
            Counter.nbytes += len(envelope.content)
            return "250 OK"

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    print("READY", flush=True)
    stop.wait(3600)
    controller.stop()
    print(f"COUNT {Counter.count} {Counter.nbytes}", flush=True)


# --- Convene's digest run -------------------------------------------------------------------------


def run_digest(db: Path, port: int, conns: int, shard: tuple[int, int] = (0, 1)) -> None:
    sys.path.insert(0, str(MAIN))
    import uvloop

    from convene.clock import FrozenClock
    from convene.db import open_db
    from convene.mail import mailer_from_url
    from convene.settings import Settings
    from convene.templating import Templates
    from digest.commands import send_due
    from digest.context import Mailroom
    from digest.outbox import Outbox

    class Watch:
        """Stands in for standard error: notes the peak memory once 1,000 members are composed."""

        rss_after_1k = 0.0

        def isatty(self) -> bool:
            return False

        def flush(self) -> None:
            return None

        def write(self, line: str) -> None:
            found = re.search(r": (\d+)/\d+", line)
            if line.startswith("Composing digests") and found and not Watch.rss_after_1k:
                if int(found.group(1)) * shard[1] >= 1000:
                    Watch.rss_after_1k = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    watch = Watch()

    async def go() -> dict:
        settings = Settings(
            data_dir=db.parent,
            database_url=f"sqlite://{db}",
            secret_key="bench-secret",
            base_url="https://convene.bench.example.org",
            mail_url=f"smtp://127.0.0.1:{port}?pool={conns}",
            mail_concurrency=conns,
        )
        ctx = await open_db(settings.database_url, run_migrations=False)
        try:
            with ctx:
                clock = FrozenClock(NOW)
                outbox = Outbox(
                    mailer_from_url(settings.mail_url),
                    clock,
                    sender=settings.mail_from,
                    base_url=settings.base_url,
                    concurrency=conns,
                )
                mailroom = Mailroom(settings, clock, Templates(settings.site_name, "en", clock), outbox)
                began, started, cpu = time.time(), time.perf_counter(), time.process_time()
                run, sent = await send_due(mailroom, watch, shard)
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        finally:
            await ctx.close_connections()
        return {
            "queued": run.queued,
            "empty": run.empty,
            "due": run.due,
            "sent": sent.sent,
            "retried": sent.retried,
            "failed": sent.failed,
            "seconds": elapsed,
            "cpu_seconds": cpu,
            "began": began,
            "ended": began + elapsed,
        }

    result = uvloop.run(go())
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["rss_mb_after_1k"] = watch.rss_after_1k or result["maxrss_mb"]
    size = (
        sqlite3.connect(db)
        .execute(
            "SELECT avg(length(b.text) + length(b.html)), count(*) FROM outbox o"
            " JOIN outbox_bodies b ON b.message_id = o.key WHERE o.kind = 'digest'"
        )
        .fetchone()
    )
    result["avg_text_html_bytes"] = size[0]
    print("JSON " + json.dumps(result), flush=True)


def run_digest_parallel(db: Path, port: int, conns: int, processes: int) -> None:
    """The same run shared between processes (`convene digest send-due --processes N`): each takes
    the members whose id is k modulo N. Wall time from the first start to the last end."""
    me = os.path.abspath(__file__)
    args = [
        "--role",
        "digest",
        "--db",
        str(db),
        "--port",
        str(port),
        "--conns",
        str(conns),
        "--processes",
        "1",
    ]
    children = [
        subprocess.Popen(
            [sys.executable, me, *args, "--shard", f"{k}/{processes}"], stdout=subprocess.PIPE, text=True
        )
        for k in range(processes)
    ]
    parts = []
    for child in children:
        out, _ = child.communicate()
        if child.returncode != 0:
            raise SystemExit("a digest process failed")
        parts.append(json.loads(next(ln for ln in out.splitlines() if ln.startswith("JSON "))[5:]))
    result = {
        key: sum(p[key] for p in parts) for key in ("queued", "empty", "due", "sent", "retried", "failed")
    }
    result["seconds"] = max(p["ended"] for p in parts) - min(p["began"] for p in parts)
    result["cpu_seconds"] = sum(p["cpu_seconds"] for p in parts)
    result["maxrss_mb"] = max(p["maxrss_mb"] for p in parts)
    result["rss_mb_after_1k"] = max(p["rss_mb_after_1k"] for p in parts)
    result["avg_text_html_bytes"] = parts[0]["avg_text_html_bytes"]
    result["processes"] = processes
    print("JSON " + json.dumps(result), flush=True)


# --- plain sending of the same messages -----------------------------------------------------------


def run_plain(db: Path, port: int, conns: int, limit: int) -> None:
    sys.path.insert(0, str(MAIN))
    import aiosmtplib
    import uvloop

    from digest.mime import wire_message

    rows = (
        sqlite3.connect(db)
        .execute(
            "SELECT o.to_email, o.subject, b.text, b.html, b.headers, o.message_id FROM outbox o"
            " JOIN outbox_bodies b ON b.message_id = o.key WHERE o.kind = 'digest' ORDER BY o.id LIMIT ?",
            (limit,),
        )
        .fetchall()
    )
    # The very bytes the outbox sent (same builder, same content), made before the clock starts.
    built = [
        (
            to,
            wire_message(
                sender="Convene <convene@localhost>",
                to=to,
                subject=subject,
                text=text,
                html=html,
                headers=json.loads(headers),
                message_id=message_id,
                date=NOW,
            ),
        )
        for to, subject, text, html, headers, message_id in rows
    ]
    avg = sum(len(b) for _, b in built) / max(1, len(built))

    async def send() -> float:
        queue = list(reversed(built))

        async def worker() -> None:
            client = aiosmtplib.SMTP(
                hostname="127.0.0.1", port=port, start_tls=False, use_tls=False, timeout=30
            )
            await client.connect()
            try:
                while queue:
                    to, data = queue.pop()
                    await client.sendmail("convene@localhost", [to], data)
            finally:
                await client.quit()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conns)))
        return time.perf_counter() - started

    cpu = time.process_time()
    elapsed = uvloop.run(send())
    cpu = time.process_time() - cpu
    print(
        "JSON " + json.dumps({"sent": len(built), "seconds": elapsed, "cpu_seconds": cpu, "avg_bytes": avg}),
        flush=True,
    )


# --- the driver ----------------------------------------------------------------------------------


def _child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        log(out.stderr[-4000:])
        raise SystemExit(f"phase {args[:2]} failed")
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("JSON "))
    return json.loads(line[5:])


def wait_quiet(max_s: float) -> None:
    _wait_quiet(max_s, log)


def phase(sink_pid: int, *args: str) -> dict:
    """Run one measured phase; add how much CPU other processes on the host used meanwhile."""
    before, sink_before, started = cpu_snap(), proc_cpu(sink_pid), time.monotonic()
    result = _child(*args)
    after, sink_after, wall = cpu_snap(), proc_cpu(sink_pid), time.monotonic() - started
    busy = (after[0] - before[0]) / os.sysconf("SC_CLK_TCK")
    result["sink_cpu_seconds"] = sink_after - sink_before
    # Everything busy on the host, minus the phase's own process and the sink: the noise.
    result["others_pct"] = max(0.0, (busy - result["cpu_seconds"] - result["sink_cpu_seconds"]) / wall * 100)
    return result


def _seeded(size: int, reseed: bool) -> Path:
    path, stamp = BASE / f"seed-{size}.sqlite3", BASE / f"seed-{size}.json"
    marker = json.dumps({"members": size, "now": NOW.isoformat(), "code": SEED_VERSION})
    if not reseed and path.exists() and stamp.exists() and stamp.read_text() == marker:
        return path
    started = time.perf_counter()
    info = _child("--role", "seed", "--db", str(path), "--members", str(size))
    stamp.write_text(marker)
    log(f"seeded {size} members in {time.perf_counter() - started:.1f}s: {info}")
    return path


def _fresh(template: Path, name: str) -> Path:
    work = BASE / name
    for suffix in ("", "-wal", "-shm"):
        Path(str(work) + suffix).unlink(missing_ok=True)
    shutil.copyfile(template, work)
    return work


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def driver(args: argparse.Namespace) -> None:
    BASE.mkdir(parents=True, exist_ok=True)
    small_db, big_db = _seeded(args.small, args.reseed), _seeded(args.members, args.reseed)
    sink = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--role", "sink", "--port", str(args.port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    conns = str(args.conns)
    rounds: list[tuple[dict, dict]] = []
    spreads: list[dict] = []
    try:
        if "READY" not in (sink.stdout.readline() if sink.stdout else ""):
            raise SystemExit("the SMTP sink did not start")
        if args.wait_quiet:
            wait_quiet(args.wait_quiet)
        small = phase(
            sink.pid,
            "--role",
            "digest",
            "--db",
            str(_fresh(small_db, "run-small.sqlite3")),
            "--port",
            str(args.port),
            "--conns",
            conns,
            "--processes",
            "1",
        )
        log(f"digest {args.small}: {small}")
        for n in range(args.rounds):
            # Alternate: the host's speed drifts, so each ratio compares runs minutes apart at most.
            if args.wait_quiet:
                wait_quiet(args.wait_quiet)
            work = _fresh(big_db, "run-big.sqlite3")
            digest_args = ["--role", "digest", "--port", str(args.port), "--conns", conns]
            big = phase(sink.pid, *digest_args, "--db", str(work), "--processes", "1")
            log(f"round {n + 1} digest {args.members}: {big}")
            if args.wait_quiet:
                wait_quiet(args.wait_quiet)
            plain = phase(
                sink.pid,
                "--role",
                "plain",
                "--db",
                str(work),
                "--port",
                str(args.port),
                "--conns",
                conns,
                "--limit",
                str(big["sent"]),
            )
            log(f"round {n + 1} plain: {plain}")
            rounds.append((big, plain))
            if args.processes > 1:
                if args.wait_quiet:
                    wait_quiet(args.wait_quiet)
                spread = phase(
                    sink.pid,
                    *digest_args,
                    "--db",
                    str(_fresh(big_db, "run-spread.sqlite3")),
                    "--processes",
                    str(args.processes),
                )
                log(f"round {n + 1} digest {args.members} in {args.processes} processes: {spread}")
                spreads.append(spread)
    finally:
        sink.send_signal(signal.SIGTERM)
        out, _ = sink.communicate(timeout=30)
    counted = [ln for ln in out.splitlines() if ln.startswith("COUNT")]
    expected = small["sent"] + sum(b["sent"] + p["sent"] for b, p in rounds) + sum(x["sent"] for x in spreads)
    digest_rates = [b["sent"] / b["seconds"] for b, _ in rounds]
    plain_rates = [p["sent"] / p["seconds"] for _, p in rounds]
    ratios = [d / p for d, p in zip(digest_rates, plain_rates, strict=True)]
    big = rounds[-1][0]
    print()
    print(
        f"=== digest bench: {args.members} members (and {args.small}), {args.conns} SMTP connections"
        f" each, aiosmtpd sink in its own process on 127.0.0.1, uvloop, {args.rounds} alternating rounds ==="
    )
    size = big["avg_text_html_bytes"] / 1024
    print(
        f"each digest run: {big['due']} due, {big['queued']} composed, {big['empty']} empty,"
        f" {big['sent']} sent; avg text+html {size:.1f} KiB; plain sends the very same bytes"
    )
    for n, ((b, p), ratio) in enumerate(zip(rounds, ratios, strict=True), 1):
        noisy = " NOISY" if max(b["others_pct"], p["others_pct"]) > 25 else ""
        ours = (
            f"digest {b['sent'] / b['seconds']:.0f}/s ({b['cpu_seconds'] / b['sent'] * 1000:.2f} ms CPU/email"
        )
        theirs = (
            f"plain {p['sent'] / p['seconds']:.0f}/s ({p['cpu_seconds'] / p['sent'] * 1000:.2f} ms CPU/email"
        )
        print(
            f"round {n}: {ours}, others {b['others_pct']:.0f}%), {theirs}, others {p['others_pct']:.0f}%),"
            f" ratio {ratio:.2f}{noisy}"
        )
        if spreads:
            x = spreads[n - 1]
            print(
                f"         digest in {args.processes} processes {x['sent'] / x['seconds']:.0f}/s"
                f" ({x['cpu_seconds'] / x['sent'] * 1000:.2f} ms CPU/email, others {x['others_pct']:.0f}%),"
                f" ratio {x['sent'] / x['seconds'] / (p['sent'] / p['seconds']):.2f}"
            )
    print(f"digest run ({args.small} members): {small['sent']} sent in {small['seconds']:.1f}s")
    print(
        f"memory: peak RSS {small['maxrss_mb']:.0f} MB at {args.small} members;"
        f" {big['maxrss_mb']:.0f} MB at {args.members} (of which {big['rss_mb_after_1k']:.0f} MB"
        " were reached after the first 1,000 members)"
    )
    print(f"sink: {counted[0] if counted else '?'} (expected {expected})")
    print(f"RESULT digest_emails_per_s {median(digest_rates):.0f}")
    print(f"RESULT plain_emails_per_s {median(plain_rates):.0f}")
    print(f"RESULT digest_ratio {median(ratios):.2f}")
    digest_cpu = median([b["cpu_seconds"] / b["sent"] * 1000 for b, _ in rounds])
    plain_cpu = median([p["cpu_seconds"] / p["sent"] * 1000 for _, p in rounds])
    print(f"RESULT digest_cpu_ms_per_email {digest_cpu:.2f}")
    print(f"RESULT plain_cpu_ms_per_email {plain_cpu:.2f}")
    if spreads:
        spread_rates = [x["sent"] / x["seconds"] for x in spreads]
        spread_ratios = [r / p for r, p in zip(spread_rates, plain_rates, strict=True)]
        print(f"RESULT digest_emails_per_s_{args.processes}proc {median(spread_rates):.0f}")
        print(f"RESULT digest_ratio_{args.processes}proc {median(spread_ratios):.2f}")
    print(f"RESULT digest_emails_per_s_{args.small} {small['sent'] / small['seconds']:.0f}")
    print(f"RESULT digest_peak_mb_1k {small['maxrss_mb']:.0f}")
    print(f"RESULT digest_peak_mb_10k {big['maxrss_mb']:.0f}")
    print(f"RESULT digest_rss_mb_after_1k_of_10k {big['rss_mb_after_1k']:.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--role", default="driver", choices=["driver", "seed", "sink", "digest", "plain"])
    ap.add_argument("--members", type=int, default=10_000)
    ap.add_argument("--small", type=int, default=1_000)
    ap.add_argument("--conns", type=int, default=4)
    ap.add_argument("--port", type=int, default=8131)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--shard", default="0/1", help=argparse.SUPPRESS)
    ap.add_argument(
        "--processes",
        type=int,
        default=2,
        help="processes for the second digest run (--processes N), 0: none",
    )
    ap.add_argument(
        "--rounds", type=int, default=3, help="alternating digest/plain rounds (medians reported)"
    )
    ap.add_argument(
        "--wait-quiet",
        type=float,
        default=120,
        help="before each phase, wait up to this many seconds for the shared host to go quiet",
    )
    ap.add_argument("--reseed", action="store_true", help="seed again even if a seeded database exists")
    args = ap.parse_args()
    ensure_venv()
    if args.role == "seed":
        print("JSON " + json.dumps(seed(args.db, args.members)), flush=True)
    elif args.role == "sink":
        serve_sink(args.port)
    elif args.role == "digest" and args.processes > 1:
        run_digest_parallel(args.db, args.port, args.conns, args.processes)
    elif args.role == "digest":
        part, _, parts = args.shard.partition("/")
        run_digest(args.db, args.port, args.conns, (int(part), int(parts)))
    elif args.role == "plain":
        run_plain(args.db, args.port, args.conns, args.limit)
    else:
        driver(args)


if __name__ == "__main__":
    main()
