#!/usr/bin/env python3
"""Page views: Convene's thread page and group page beside a bare Starlette + Jinja2 + Tortoise page of
the same content, in ONE run (this host's speed drifts from minute to minute, and it is shared: only
figures from the same run are compared, in alternating rounds).

Servers (all on 127.0.0.1, each its own process, started once and kept for every round):
  bare          Starlette + Jinja2 + Tortoise on SQLite, like /work/shared/bench/limit_http.py: a thread
                page (2 queries: the thread with its author and group, then its first page of posts
                joined with their authors, as model objects) and a group page (the group, then its
                latest threads joined with their authors). Its rows are copied from Convene's small
                database, so both show the same titles, names, dates and pre-rendered post HTML.
  convene       `convene serve` (the real command: pending migrations applied to the working copy,
                so a kept seed catches up with new ones; create_app, uvicorn.Config with
  convene-large uvicorn's defaults, 1 worker, loop/http auto = uvloop/httptools, access log on at
                log level info, to a file), against a working copy of the small or the large seeded
                database. The bare server runs with the very same uvicorn.Config.

What is shown (matched to Convene's page sizes, read from forum/threads.py at run time):
  thread page   /g/bench-thread/t/1: a thread of 1 opening post + 100 replies. Convene shows
                POSTS_PER_PAGE (50) posts per page, so the page is page 1: posts 1-50. The bare page
                shows the same 50 posts (number, author, date, "in reply to #n", body HTML).
  group page    /g/bench-group: a group of 200 threads. Convene shows THREADS_PER_PAGE (30) per page
                (pinned first, then latest activity); the bare page shows the same 30 latest.

Viewers: `anon` sends no session cookie; `member` sends the session cookie of a member (session made
with members.sessions.do_start_session in the working copy, at each run). Both send the CSRF cookie a
browser keeps from its first page (without it, every view mints a token and sets the cookie again).
For the member Convene also resolves the session, checks for moderator warnings, counts unread
notifications, computes unread marks on the group page, shows the (empty) chat panel, and on the
thread page reads and keeps the member's read mark: the first view writes it (done by the content
check before timing); later views of the same page only read it. The session's last_seen is written
at most every 5 minutes. These are part of the real cost and are measured.

Seed (`--role seed`, cached under BENCH_DIR by SEED_VERSION and size; --reseed to redo): Convene's
migrations on an empty file (schema and indexes exactly Convene's), then plain sqlite3 executemany
inserts. Post bodies are 120 realistic Markdown texts rendered once with convene.markup.render_markdown
and reused. Sizes: small = 1,000 threads / 10,000 posts; large = 100,000 threads / 1,000,000 posts
(about 10,000 members, 200 groups, 200,000 read marks, 50,000 notifications). The full-text search
table is left empty: nothing fills it but forum/search.py index_post (no triggers), and page views
do not read it. Members' digest preference is "off", so the scheduler's first pass (it runs at start)
does not compose 10,000 digests during the timing; seeded notifications are older than the 2-day
instant-email window for the same reason.

  python bench/pages.py [--duration 10s] [--conns 16] [--threads 1] [--rounds 3] [--c1-duration 5s]
                        [--sizes small,large] [--wait-quiet 60] [--reseed] [--profile DIR]

Each round measures every figure once with wrk (after a 2 s warm-up per URL before the first round),
alternating the order from round to round; medians over the rounds are reported. Before timing,
every URL is fetched and checked (status 200, the expected number of posts or threads, the member's
name for the signed-in member, "Sign in" for the visitor), and a figure whose wrk run saw any non-2xx
response or socket error is marked FAILED. "others" is the CPU the rest of the host used meanwhile
(NOISY above 25% of a core).

The output ends with `RESULT <name> <value>` lines: bare_{thread,group}_rps, convene_{thread,group}_
{anon,member}_rps (small database) and the same with _large; ratios convene/bare (small database)
{thread,group}_{anon,member}_ratio; {thread,group}_{anon,member}_large_small_ratio (large-database rps
over small-database rps) and {thread,group}_large_small_ratio (mean of anon and member); p50 and p99
latency in ms at --conns connections for every figure, and *_c1_p50_ms at one connection (service time).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

from benchkit import (
    MAIN,
    VENV,
    calib,
    cpu_snap,
    die_with_parent,
    ensure_venv,
    free_port,
    insert,
    proc_cpu,
    ts,
)
from benchkit import wait_quiet as _wait_quiet

BASE = Path(os.environ.get("BENCH_DIR", "/tmp/bench-pages"))
PYSPY = Path("/tmp/bench-tools/venv/bin/py-spy")
SEED_VERSION = 1  # bump when seed() changes, so a kept seeded database is made again
SIZES = {"small": (1_000, 10_000), "large": (100_000, 1_000_000)}  # threads, posts
THREAD_GROUP, LIST_GROUP = "bench-thread", "bench-group"
BIG_THREAD = 1  # its id; 1 opening post + REPLIES replies
REPLIES = 100
LIST_THREADS = 200  # threads in LIST_GROUP
OTHER_IN_THREAD_GROUP = 9
FILL_GROUP_THREADS = 500
MEMBER_ID = 1
MEMBER_NAME = "Amira Haddad"
MEMBER_USERNAME = "amira-haddad"
BIG_TITLE = "Finding housing after the reception centre: what worked for your families?"
LIST_GROUP_NAME = "Language courses and schools"
SECRET = "bench-pages-secret-key-not-for-production"
CSRF_TOKEN = "bench-pages-csrf-3f9a1c7e5b2d4a6f8e0c1b3d"

FIRST = (
    "Amira Jonas Leila Tomasz Sofia Yusuf Hanna Marek Fatima Lukas Noor Elena Samir Ines Olga Karim".split()
)
LAST = (
    "Haddad Berger Nowak Rossi Okafor Lindqvist Demir Santos Petrov Khalil Moreau Fischer Ali Novak".split()
)
WORDS = (
    "housing interpreter appeal asylum school registration clinic volunteer training schedule "
    "municipality reception integration language course family reunification legal aid mentor "
    "employment permit caseworker workshop transport allowance health insurance community "
    "landlord deposit contract translation childcare appointment waiting list office form"
).split()


def log(*a: object) -> None:
    print("[pages-bench]", *a, file=sys.stderr, flush=True)


# --- seeding -------------------------------------------------------------------------------------


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def markdown_body(rng: random.Random, i: int) -> str:
    """A post as members write them: paragraphs, lists, quotes, links, emphasis; 150-1,000 chars."""
    para = lambda k: " ".join(sentence(rng, rng.randint(6, 16)) for _ in range(k))  # noqa: E731
    kind = i % 6
    if kind == 0:
        return "\n\n".join(para(rng.randint(1, 3)) for _ in range(rng.randint(1, 3)))
    if kind == 1:
        items = "\n".join(f"- {sentence(rng, rng.randint(3, 8))}" for _ in range(rng.randint(2, 5)))
        return f"{para(2)}\n\n{items}\n\n{para(1)}"
    if kind == 2:
        return f"> {para(1)}\n\n{para(rng.randint(1, 3))}"
    if kind == 3:
        return (
            f"{para(1)} See [the {rng.choice(WORDS)} guide](https://example.org/guides/{i}) and "
            f"**{sentence(rng, 3)}** {para(1)}\n\n*{sentence(rng, 5)}*"
        )
    if kind == 4:
        steps = "\n".join(f"{n}. {sentence(rng, rng.randint(4, 9))}" for n in range(1, rng.randint(3, 6)))
        return f"{para(1)}\n\n{steps}"
    return f"{sentence(rng, rng.randint(5, 12))} https://example.org/notes/{i}"


def _spread(rng: random.Random, n: int, total: int) -> list[int]:
    """n counts of at least 1 that add up to total, varying around the mean."""
    avg = total / n
    counts = [max(1, round(rng.uniform(1, 2 * avg - 1))) for _ in range(n)]
    diff = total - sum(counts)
    while diff:
        i = rng.randrange(n)
        if diff > 0:
            counts[i] += 1
            diff -= 1
        elif counts[i] > 1:
            counts[i] -= 1
            diff += 1
    return counts


def seed(db: Path, n_threads: int, n_posts: int, rng_seed: int = 4) -> dict:
    sys.path.insert(0, str(MAIN))
    from convene.db import migrate
    from convene.markup import render_markdown

    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    asyncio.run(migrate(f"sqlite://{db}"))
    rng = random.Random(rng_seed)
    # Everything happened before the anchor; notifications end up older than the instant-email window.
    anchor = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    floor = anchor - timedelta(days=30)  # the member marked everything read then (ReadMark)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    bodies = []
    for i in range(120):
        text = markdown_body(rng, i)
        bodies.append((text, render_markdown(text)))
    n_users = max(200, n_threads // 10)
    users = []
    for u in range(1, n_users + 1):
        first, last = FIRST[u % len(FIRST)], LAST[(u * 7) % len(LAST)]
        users.append(
            {
                "id": u,
                "email": f"member{u}@bench.example.org",
                "username": MEMBER_USERNAME if u == MEMBER_ID else f"{first.lower()}-{last.lower()}-{u}",
                "name": MEMBER_NAME if u == MEMBER_ID else f"{first} {last} {u}",
                "password_hash": "x",  # nobody signs in with a password here
                "role": "member",
                "status": "active",
                "timezone": "Europe/Berlin",
                "created_at": ts(anchor - timedelta(days=400)),
                "organisation_visibility": "members",
            }
        )
    insert(conn, "users", users)
    insert(
        conn,
        "digest_preferences",
        [
            {
                "user_id": u,
                "frequency": "off",
                "hour": 8,
                "all_groups": 1,
                "group_ids": "[]",
                "instant_mentions": 1,
                "instant_replies": 1,
                "batch_minutes": 10,
                "updated_at": ts(anchor - timedelta(days=300)),
            }
            for u in range(1, n_users + 1)
        ],
    )
    # Threads: 1 (the big one) and a few more in THREAD_GROUP, LIST_THREADS in LIST_GROUP, the rest
    # in groups of FILL_GROUP_THREADS.
    n_fill = n_threads - 1 - OTHER_IN_THREAD_GROUP - LIST_THREADS
    n_fill_groups = max(1, math.ceil(n_fill / FILL_GROUP_THREADS))
    thread_group = [1] * (1 + OTHER_IN_THREAD_GROUP) + [2] * LIST_THREADS
    thread_group += [3 + k // FILL_GROUP_THREADS for k in range(n_fill)]
    counts = [1 + REPLIES] + [rng.randint(1, 15) for _ in range(OTHER_IN_THREAD_GROUP)]
    counts += [rng.randint(1, 25) for _ in range(LIST_THREADS)]
    counts += _spread(rng, n_fill, n_posts - sum(counts))
    groups = [
        {"id": 1, "slug": THREAD_GROUP, "name": "Housing and legal aid", "visibility": "public"},
        {"id": 2, "slug": LIST_GROUP, "name": LIST_GROUP_NAME, "visibility": "public"},
    ] + [
        {
            "id": g,
            "slug": f"network-group-{g}",
            "name": f"{sentence(rng, 2)[:-1]} ({g})",
            "visibility": rng.choices(["public", "members", "private"], [70, 15, 15])[0],
        }
        for g in range(3, 3 + n_fill_groups)
    ]
    n_groups = len(groups)
    group_members: dict[int, set[int]] = {g["id"]: set() for g in groups}
    for g in (1, 2, 3, 4, 5):
        if g <= n_groups:
            group_members[g].add(MEMBER_ID)
    for u in range(2, n_users + 1):
        for g in rng.sample(range(1, n_groups + 1), k=min(n_groups, 3)):
            group_members[g].add(u)
    for g in (1, 2):  # the measured groups have a crowd of their own
        group_members[g].update(rng.sample(range(2, n_users + 1), k=min(n_users - 1, 120)))
    memberships = [
        {"group_id": g, "user_id": u, "role": "member", "status": "active", "created_at": ts(anchor)}
        for g, people in group_members.items()
        for u in sorted(people)
    ]
    insert(conn, "memberships", memberships)
    authors_of = {g: sorted(people) for g, people in group_members.items()}
    threads, first_post = [], []
    post_cols = "id, thread_id, number, author_id, parent_id, body, body_html, created_at"
    post_sql = f"INSERT INTO posts ({post_cols}) VALUES (?,?,?,?,?,?,?,?)"
    batch: list[tuple] = []
    pid = 0
    thread_count = dict.fromkeys(range(1, n_groups + 1), 0)
    last_activity: dict[int, datetime] = {}
    for tid in range(1, n_threads + 1):
        g, count = thread_group[tid - 1], counts[tid - 1]
        if tid == BIG_THREAD:
            start, last = anchor - timedelta(days=20), anchor - timedelta(hours=2)
        elif g == 2:
            last = anchor - timedelta(days=rng.uniform(0, 60))
            start = last - timedelta(days=rng.uniform(0, 30) if count > 1 else 0)
        else:
            last = anchor - timedelta(days=rng.uniform(0, 360))
            start = last - timedelta(days=rng.uniform(0, 20) if count > 1 else 0)
        people = authors_of[g]
        step = (last - start) / max(1, count - 1)
        first_post.append(pid + 1)
        author = rng.choice(people)
        for number in range(1, count + 1):
            pid += 1
            who = author if number == 1 else rng.choice(people)
            if tid == BIG_THREAD and number in (7, 38, 77):
                who = MEMBER_ID  # the member wrote some of the posts they read
            parent = None
            if number > 2 and rng.random() < 0.35:
                parent = first_post[-1] + rng.randrange(1, number - 1)
            body, html = bodies[(pid * 7919) % len(bodies)]
            batch.append((pid, tid, number, who, parent, body, html, ts(start + step * (number - 1))))
        if len(batch) >= 50_000:
            conn.executemany(post_sql, batch)
            batch.clear()
        title = BIG_TITLE if tid == BIG_THREAD else sentence(rng, rng.randint(4, 10))[:-1]
        threads.append(
            {
                "id": tid,
                "group_id": g,
                "title": title,
                "author_id": author,
                "created_at": ts(start),
                "last_post_at": ts(last),
                "post_count": count,
                "pinned_at": ts(start) if g == 2 and tid in (12, 40) else None,
            }
        )
        thread_count[g] += 1
        last_activity[g] = max(last_activity.get(g, last), last)
    conn.executemany(post_sql, batch)
    insert(conn, "threads", threads)
    for group in groups:
        group.update(
            created_by_id=2,
            created_at=ts(anchor - timedelta(days=500)),
            description=sentence(rng, 14),
            thread_count=thread_count[group["id"]],
            member_count=len(group_members[group["id"]]),
            last_activity_at=ts(last_activity[group["id"]]) if group["id"] in last_activity else None,
        )
        group["description_html"] = f"<p>{group['description']}</p>"
    insert(conn, "groups", groups)
    # Read marks: the member read about half of LIST_GROUP's threads (some to the end, some partly),
    # and some others; everyone else has read marks spread over the whole site.
    reads, seen = [], set()
    for tid in range(1, n_threads + 1):
        in_list = thread_group[tid - 1] == 2
        if tid != BIG_THREAD and rng.random() < (0.5 if in_list else 0.05):
            count = counts[tid - 1]
            number = count if rng.random() < 0.6 else rng.randint(1, count)
            reads.append((MEMBER_ID, tid, number))
            seen.add((MEMBER_ID, tid))
    while len(reads) < 2 * n_threads:
        u, tid = rng.randint(2, n_users), rng.randint(1, n_threads)
        if (u, tid) not in seen:
            seen.add((u, tid))
            reads.append((u, tid, rng.randint(1, counts[tid - 1])))
    conn.executemany(
        "INSERT INTO thread_reads (user_id, thread_id, last_read_number, updated_at) VALUES (?,?,?,?)",
        [(u, tid, n, ts(anchor - timedelta(days=1))) for u, tid, n in reads],
    )
    insert(conn, "read_marks", [{"user_id": MEMBER_ID, "all_read_at": ts(floor)}])
    notes, noted = [], set()
    while len(notes) < max(100, n_posts // 20):
        mine = len(notes) < 100
        u = MEMBER_ID if mine else rng.randint(2, n_users)
        tid = rng.randint(1, n_threads)
        post = first_post[tid - 1] + rng.randrange(counts[tid - 1])
        if (u, post) in noted:
            continue
        noted.add((u, post))
        unread = len(notes) < 40 or (not mine and rng.random() < 0.5)
        notes.append(
            {
                "user_id": u,
                "kind": rng.choice(["mention", "reply"]),
                "actor_id": rng.randint(2, n_users),
                "group_id": thread_group[tid - 1],
                "thread_id": tid,
                "post_id": post,
                "created_at": threads[tid - 1]["last_post_at"],
                "read_at": None if unread else ts(anchor),
            }
        )
    insert(conn, "notifications", notes)
    insert(
        conn,
        "sessions",
        [
            {
                "token_hash": f"{rng.getrandbits(256):064x}",
                "user_id": rng.randint(2, n_users),
                "created_at": ts(anchor - timedelta(days=2)),
                "expires_at": ts(anchor + timedelta(days=12)),
                "last_seen_at": ts(anchor),
                "user_agent": "seeded",
            }
            for _ in range(n_users // 4)
        ],
    )
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return {
        "threads": n_threads,
        "posts": pid,
        "users": n_users,
        "groups": n_groups,
        "memberships": len(memberships),
        "thread_reads": len(reads),
        "notifications": len(notes),
        "anchor": anchor.isoformat(),
        "mb": round(db.stat().st_size / 1e6),
    }


async def make_session(db: Path) -> str:
    """A fresh session for the member, through the service layer (what signing in stores)."""
    sys.path.insert(0, str(MAIN))
    from convene.clock import SystemClock
    from convene.db import open_db
    from members.models import User
    from members.sessions import do_start_session

    ctx = await open_db(f"sqlite://{db}", run_migrations=False)
    try:
        with ctx:
            user = await User.get(id=MEMBER_ID)
            return await do_start_session(user, SystemClock(), 14, user_agent="wrk (bench/pages.py)")
    finally:
        await ctx.close_connections()


# --- the bare baseline ---------------------------------------------------------------------------

BARE_TEMPLATES = {
    "base.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{% block title %}{% endblock %} - Forum</title><link rel="stylesheet" href="/static/site.css"></head>
<body><header><a href="/">Forum</a> <nav><a href="/groups">Groups</a> <a href="/search">Search</a>
<a href="/login">Sign in</a></nav></header>
<main>{% block main %}{% endblock %}</main>
<footer>Forum · <a href="/terms">Terms</a></footer></body></html>""",
    "thread.html": """{% extends "base.html" %}{% block title %}{{ thread.title }}{% endblock %}
{% block main %}<nav><a href="/groups">Groups</a> ›
<a href="/g/{{ thread.group.slug }}">{{ thread.group.name }}</a></nav>
<h1>{{ thread.title }}</h1>
<p class="meta">Started by {{ thread.author.name }} · {{ thread.post_count }} posts ·
<time datetime="{{ thread.last_post_at.isoformat() }}">
{{ thread.last_post_at.strftime("%Y-%m-%d %H:%M") }}</time></p>
{% for p in posts %}<article class="post" id="p{{ p.number }}">
<header><a href="#p{{ p.number }}">#{{ p.number }}</a>
<a class="author" href="/u/{{ p.author.username }}">{{ p.author.name }}</a>
<time datetime="{{ p.created_at.isoformat() }}">{{ p.created_at.strftime("%Y-%m-%d %H:%M") }}</time>
{% if p.parent_number %}<span class="in-reply">in reply to
<a href="#p{{ p.parent_number }}">#{{ p.parent_number }}</a></span>{% endif %}</header>
<div class="body">{{ p.body_html | safe }}</div>
<footer><a href="/g/{{ thread.group.slug }}/t/{{ thread.id }}/reply?to={{ p.id }}">Reply</a></footer>
</article>
{% endfor %}{% endblock %}""",
    "group.html": """{% extends "base.html" %}{% block title %}{{ group.name }}{% endblock %}
{% block main %}<h1>{{ group.name }}</h1><div class="description">{{ group.description_html | safe }}</div>
<p class="meta">{{ group.member_count }} members · {{ group.thread_count }} threads</p><ul class="threads">
{% for t in threads %}<li><a class="title" href="/g/{{ group.slug }}/t/{{ t.id }}">{{ t.title }}</a>
<p class="meta">started by {{ t.author.name }} · {{ t.post_count - 1 }} replies ·
<time datetime="{{ t.last_post_at.isoformat() }}">
{{ t.last_post_at.strftime("%Y-%m-%d %H:%M") }}</time></p></li>
{% endfor %}</ul>{% endblock %}""",
}


def _bare_models() -> tuple:
    from tortoise import fields
    from tortoise.models import Model

    class BareUser(Model):
        id = fields.IntField(primary_key=True)
        username = fields.CharField(max_length=40, unique=True)
        name = fields.CharField(max_length=120)

        class Meta:
            table = "users"

    class BareGroup(Model):
        id = fields.IntField(primary_key=True)
        slug = fields.CharField(max_length=80, unique=True)
        name = fields.CharField(max_length=120)
        description_html = fields.TextField(default="")
        thread_count = fields.IntField(default=0)
        member_count = fields.IntField(default=0)

        class Meta:
            table = "groups"

    class BareThread(Model):
        id = fields.IntField(primary_key=True)
        group = fields.ForeignKeyField("models.BareGroup", related_name="threads")
        title = fields.CharField(max_length=200)
        author = fields.ForeignKeyField("models.BareUser", related_name=False)
        created_at = fields.DatetimeField()
        last_post_at = fields.DatetimeField()
        post_count = fields.IntField(default=0)

        class Meta:
            table = "threads"
            indexes = (("group_id", "last_post_at"),)

    class BarePost(Model):
        id = fields.IntField(primary_key=True)
        thread = fields.ForeignKeyField("models.BareThread", related_name="posts")
        number = fields.IntField()
        author = fields.ForeignKeyField("models.BareUser", related_name=False)
        parent_number = fields.IntField(null=True)
        body_html = fields.TextField()
        created_at = fields.DatetimeField()

        class Meta:
            table = "posts"
            unique_together = (("thread", "number"),)

    return BareUser, BareGroup, BareThread, BarePost


if __name__ == "__main__" and "bare" in " ".join(sys.argv):
    with contextlib.suppress(ImportError):  # outside the venv: re-executed into it first
        BareUser, BareGroup, BareThread, BarePost = _bare_models()


async def bare_seed(source: Path, db: Path) -> dict:
    """The bare database: the same thread, posts, group, threads and authors as Convene's small seed."""
    from tortoise import Tortoise

    src = sqlite3.connect(source)
    src.row_factory = sqlite3.Row
    when = datetime.fromisoformat
    posts = src.execute(
        "SELECT p.id, p.number, p.author_id, p.body_html, p.created_at, q.number AS parent_number"
        " FROM posts p LEFT JOIN posts q ON q.id = p.parent_id WHERE p.thread_id = ? ORDER BY p.number",
        (BIG_THREAD,),
    ).fetchall()
    threads = src.execute("SELECT * FROM threads WHERE group_id IN (1, 2)").fetchall()
    groups = src.execute("SELECT * FROM groups WHERE id IN (1, 2)").fetchall()
    people = {r["author_id"] for r in threads} | {r["author_id"] for r in posts}
    marks = ",".join("?" * len(people))
    users = src.execute(
        f"SELECT id, username, name FROM users WHERE id IN ({marks})", sorted(people)
    ).fetchall()
    ctx = await Tortoise.init(db_url=f"sqlite://{db}", modules={"models": ["__main__"]})
    try:
        await Tortoise.generate_schemas()
        await BareUser.bulk_create([BareUser(**dict(u)) for u in users])
        await BareGroup.bulk_create(
            [
                BareGroup(
                    id=g["id"],
                    slug=g["slug"],
                    name=g["name"],
                    description_html=g["description_html"],
                    thread_count=g["thread_count"],
                    member_count=g["member_count"],
                )
                for g in groups
            ]
        )
        await BareThread.bulk_create(
            [
                BareThread(
                    id=t["id"],
                    group_id=t["group_id"],
                    title=t["title"],
                    author_id=t["author_id"],
                    created_at=when(t["created_at"]),
                    last_post_at=when(t["last_post_at"]),
                    post_count=t["post_count"],
                )
                for t in threads
            ]
        )
        await BarePost.bulk_create(
            [
                BarePost(
                    id=p["id"],
                    thread_id=BIG_THREAD,
                    number=p["number"],
                    author_id=p["author_id"],
                    parent_number=p["parent_number"],
                    body_html=p["body_html"],
                    created_at=when(p["created_at"]),
                )
                for p in posts
            ]
        )
    finally:
        await ctx.close_connections()
    return {"posts": len(posts), "threads": len(threads), "users": len(users)}


def bare_app(db: Path, posts_per_page: int, threads_per_page: int):  # noqa: ANN201
    from contextlib import asynccontextmanager

    import jinja2
    from starlette.applications import Starlette
    from starlette.routing import Route
    from starlette.templating import Jinja2Templates
    from tortoise.contrib.starlette import RegisterTortoise

    env = jinja2.Environment(loader=jinja2.DictLoader(BARE_TEMPLATES), autoescape=True)
    templates = Jinja2Templates(env=env)

    async def thread(request):  # noqa: ANN001, ANN202
        tid = request.path_params["tid"]
        t = await BareThread.get(id=tid).select_related("group", "author")
        posts = (
            await BarePost.filter(thread_id=tid)
            .order_by("number")
            .limit(posts_per_page)
            .select_related("author")
        )
        return templates.TemplateResponse(request, "thread.html", {"thread": t, "posts": posts})

    async def group(request):  # noqa: ANN001, ANN202
        g = await BareGroup.get(slug=request.path_params["slug"])
        threads = (
            await BareThread.filter(group_id=g.id)
            .order_by("-last_post_at")
            .limit(threads_per_page)
            .select_related("author")
        )
        return templates.TemplateResponse(request, "group.html", {"group": g, "threads": threads})

    @asynccontextmanager
    async def lifespan(app):  # noqa: ANN001, ANN202
        async with RegisterTortoise(app, db_url=f"sqlite://{db}", modules={"models": ["__main__"]}):
            yield

    return Starlette(
        routes=[Route("/g/{slug}/t/{tid:int}", thread), Route("/g/{slug}", group)], lifespan=lifespan
    )


def bare_serve(port: int, db: Path) -> None:
    import uvicorn

    sys.path.insert(0, str(MAIN))
    from forum.threads import POSTS_PER_PAGE, THREADS_PER_PAGE

    app = bare_app(db, POSTS_PER_PAGE, THREADS_PER_PAGE)
    # Exactly what `convene serve` builds for one worker (convene/cli.py cmd_serve).
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="info")
    uvicorn.Server(config).run()


# --- measuring -----------------------------------------------------------------------------------


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def wait_quiet(max_s: float) -> None:
    _wait_quiet(max_s, log)


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    log("installing wrk from Debian")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, stdout=subprocess.DEVNULL)


def to_ms(s: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)$", s)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[m.group(2)]


def parse_wrk(out: str) -> dict:
    r: dict = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else 0.0
    for p in ("50", "90", "99"):
        m = re.search(rf"^\s+{p}%\s+(\S+)", out, re.M)
        r["p" + p] = to_ms(m.group(1)) if m else float("nan")
    m = re.search(r"(\d+) requests in", out)
    r["n"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors:\s+(.*)", out)
    r["errors"] = m.group(1).strip() if m else ""
    return r


def fetch(url: str, headers: dict[str, str], timeout: float = 120) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


class Figure:
    """One measured page: a server, a URL and the headers the viewer sends."""

    def __init__(self, name: str, server: str, url: str, headers: dict[str, str]) -> None:
        self.name, self.server, self.url, self.headers = name, server, url, headers
        self.runs: list[dict] = []
        self.c1: dict | None = None
        self.size = 0

    def wrk(self, args: argparse.Namespace, pid: int, conns: int, duration: str) -> dict:
        hdrs = [x for k, v in self.headers.items() for x in ("-H", f"{k}: {v}")]
        cmd = ["timeout", "120", "wrk", f"-t{min(args.threads, conns)}", f"-c{conns}", f"-d{duration}"]
        cmd += ["--timeout", "10s", "--latency", *hdrs, self.url]
        host0, srv0, kids0, t0 = cpu_snap(), proc_cpu(pid), children_cpu(), time.monotonic()
        out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
        wall = time.monotonic() - t0
        host1, srv1, kids1 = cpu_snap(), proc_cpu(pid), children_cpu()
        r = parse_wrk(out)
        busy = (host1[0] - host0[0]) / os.sysconf("SC_CLK_TCK")
        r["server_cpu"] = (srv1 - srv0) / wall * 100
        r["wrk_cpu"] = (kids1 - kids0) / wall * 100
        r["others"] = max(0.0, busy / wall * 100 - r["server_cpu"] - r["wrk_cpu"])
        r["ok"] = r["n"] > 0 and not r["non2xx"] and not r["errors"]
        if not r["ok"]:
            log(f"{self.name}: wrk FAILED: {r['non2xx']} non-2xx, socket errors [{r['errors']}]\n{out}")
        fetch(self.url, self.headers)  # requests wrk left in flight finish before the next figure
        return r


def line(name: str, r: dict, label: str) -> str:
    noisy = " NOISY" if r["others"] > 25 else ""
    failed = "" if r["ok"] else " FAILED"
    return (
        f"{name:<30} {label:<4} {r['rps']:8.1f} req/s  p50 {r['p50']:7.1f} ms  p99 {r['p99']:7.1f} ms"
        f"  ({r['n']} reqs, server CPU {r['server_cpu']:3.0f}%, wrk {r['wrk_cpu']:2.0f}%,"
        f" others {r['others']:3.0f}%){noisy}{failed}"
    )


def check_page(fig: Figure, kind: str, viewer: str, per_page: int) -> None:
    """Fail before timing anything if the page is not the page we mean to measure."""
    status, html = fetch(fig.url, fig.headers)
    fig.size = len(html.encode())
    problems = []
    if status != 200:
        problems.append(f"status {status}")
    if kind == "thread":
        shown = len(re.findall(r'<article class="post[ "]', html))
        if shown != min(per_page, REPLIES + 1) or "#p1" not in html or BIG_TITLE not in html:
            problems.append(f"{shown} posts shown, expected {min(per_page, REPLIES + 1)} of thread 1")
    else:
        shown = len(re.findall(rf'class="title" href="/g/{LIST_GROUP}/t/\d+"', html))
        if shown != min(per_page, LIST_THREADS) or LIST_GROUP_NAME not in html:
            problems.append(f"{shown} threads listed, expected {min(per_page, LIST_THREADS)}")
    if viewer == "member" and (MEMBER_NAME not in html or 'action="/logout"' not in html):
        problems.append("the member is not signed in")
    if viewer == "anon" and (MEMBER_NAME in html.split("<main", 1)[0] or "Sign in" not in html):
        problems.append("the visitor looks signed in")
    if problems:
        raise SystemExit(f"{fig.name} {fig.url}: {'; '.join(problems)}\n{html[:2000]}")
    log(f"check {fig.name}: 200, {shown} {kind == 'thread' and 'posts' or 'threads'}, {fig.size} bytes")


def start_server(name: str, cmd: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with open(log_path, "w") as out:
        proc = subprocess.Popen(
            cmd, cwd=MAIN, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=die_with_parent
        )
    log(f"started {name} (pid {proc.pid}), log {log_path}")
    return proc


def wait_http(url: str, proc: subprocess.Popen, log_path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not start: {log_path}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- the driver ----------------------------------------------------------------------------------


def _child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        log(out.stderr[-4000:])
        raise SystemExit(f"phase {args[:2]} failed")
    return json.loads(next(ln for ln in out.stdout.splitlines() if ln.startswith("JSON "))[5:])


def _seeded(size: str, reseed: bool) -> tuple[Path, dict]:
    threads, posts = SIZES[size]
    path = BASE / f"seed-{size}-v{SEED_VERSION}.sqlite3"
    stamp = BASE / f"seed-{size}-v{SEED_VERSION}.json"
    if not reseed and path.exists() and stamp.exists():
        info = json.loads(stamp.read_text())
        if info.get("threads") == threads and info.get("code") == SEED_VERSION:
            return path, info
    log(f"seeding {size}: {threads:,} threads, {posts:,} posts ...")
    started = time.perf_counter()
    info = _child("--role", "seed", "--db", str(path), "--n-threads", str(threads), "--n-posts", str(posts))
    info["code"] = SEED_VERSION
    info["seconds"] = round(time.perf_counter() - started, 1)
    stamp.write_text(json.dumps(info))
    log(f"seeded {size} in {info['seconds']}s: {info}")
    return path, info


def _working_copy(seeded: Path, name: str) -> Path:
    work = BASE / name
    for suffix in ("", "-wal", "-shm"):
        Path(str(work) + suffix).unlink(missing_ok=True)
    shutil.copyfile(seeded, work)
    return work


def _convene_env(data_dir: Path, db: Path, port: int) -> dict[str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVENE_")}
    env.update(
        CONVENE_DATA_DIR=str(data_dir),
        CONVENE_DATABASE_URL=f"sqlite://{db}",
        CONVENE_SECRET_KEY=SECRET,
        CONVENE_MAIL_URL="memory://",
        CONVENE_BASE_URL=f"http://127.0.0.1:{port}",
    )
    return env


def profile(args: argparse.Namespace, figures: list[Figure], pids: dict[str, int]) -> None:
    """py-spy samples of each Convene figure, in an extra pass after the timed rounds."""
    if not PYSPY.exists():
        log(
            f"--profile: {PYSPY} is missing (python3 -m venv /tmp/bench-tools/venv && ... pip install py-spy)"
        )
        return
    out = Path(args.profile)
    out.mkdir(parents=True, exist_ok=True)
    for fig in figures:
        if not fig.server.startswith("convene"):
            continue
        spy = subprocess.Popen(
            [str(PYSPY), "record", "-p", str(pids[fig.server]), "-o", str(out / f"{fig.name}.txt")]
            + ["-r", "200", "--nonblocking", "--format", "raw"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)
        r = fig.wrk(args, pids[fig.server], args.conns, args.duration)
        spy.send_signal(signal.SIGINT)  # py-spy writes what it has on Ctrl-C
        spy.wait(60)
        log("profiled " + line(fig.name, r, f"c{args.conns}") + f" -> {out / (fig.name + '.txt')}")


def driver(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(MAIN))
    from importlib.metadata import version

    from forum.threads import POSTS_PER_PAGE, THREADS_PER_PAGE

    started = time.monotonic()
    BASE.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    sizes = [s for s in args.sizes.split(",") if s]
    if "small" not in sizes:
        raise SystemExit("--sizes must include small (the bare page copies its content)")
    seeds = {size: _seeded(size, args.reseed) for size in sizes}
    bare_db = BASE / "bare.sqlite3"
    bare_info = _child("--role", "bare-seed", "--db", str(bare_db), "--source", str(seeds["small"][0]))
    log(f"bare database: {bare_info}")
    cal0 = calib()
    servers: dict[str, subprocess.Popen] = {}
    ports: dict[str, int] = {}
    figures: list[Figure] = []
    accept = {"Accept": "text/html,application/xhtml+xml,application/xhtml+xml;q=0.9,*/*;q=0.8"}
    try:
        port = ports["bare"] = free_port()
        log_path = BASE / "server-bare.log"
        cmd = [sys.executable, os.path.abspath(__file__), "--role", "bare-server", "--port", str(port)]
        servers["bare"] = start_server("bare", [*cmd, "--db", str(bare_db)], dict(os.environ), log_path)
        wait_http(f"http://127.0.0.1:{port}/g/{LIST_GROUP}", servers["bare"], log_path)
        base = f"http://127.0.0.1:{port}"
        figures.append(Figure("bare_thread", "bare", f"{base}/g/{THREAD_GROUP}/t/{BIG_THREAD}", accept))
        figures.append(Figure("bare_group", "bare", f"{base}/g/{LIST_GROUP}", accept))
        for size in sizes:
            key = "convene" if size == "small" else f"convene-{size}"
            suffix = "" if size == "small" else f"_{size}"
            t0 = time.monotonic()
            work = _working_copy(seeds[size][0], f"run-{size}.sqlite3")
            token = _child("--role", "session", "--db", str(work))["token"]
            log(f"{key}: working copy and a fresh session in {time.monotonic() - t0:.1f}s")
            port = ports[key] = free_port()
            env = _convene_env(BASE / f"data-{size}", work, port)
            log_path = BASE / f"server-{key}.log"
            cmd = [str(VENV / "bin" / "convene"), "serve", "--host", "127.0.0.1", "--port", str(port)]
            servers[key] = start_server(key, cmd, env, log_path)
            wait_http(f"http://127.0.0.1:{port}/g/{LIST_GROUP}", servers[key], log_path)
            base = f"http://127.0.0.1:{port}"
            # A browser holds the CSRF cookie from its first page on; without it every view mints one.
            anon = {**accept, "Cookie": f"convene_csrf={CSRF_TOKEN}"}
            member = {**accept, "Cookie": f"convene_session={token}; convene_csrf={CSRF_TOKEN}"}
            for page, path in (
                ("thread", f"/g/{THREAD_GROUP}/t/{BIG_THREAD}"),
                ("group", f"/g/{LIST_GROUP}"),
            ):
                figures.append(Figure(f"convene_{page}_anon{suffix}", key, base + path, anon))
                figures.append(Figure(f"convene_{page}_member{suffix}", key, base + path, member))
        pids = {name: proc.pid for name, proc in servers.items()}
        for fig in figures:
            kind = "thread" if "_thread" in fig.name else "group"
            viewer = "member" if "_member" in fig.name else "anon"
            check_page(fig, kind, viewer, POSTS_PER_PAGE if kind == "thread" else THREADS_PER_PAGE)
        for fig in figures:  # warm-up: caches, the first read marks, uvicorn and SQLite pages
            hdrs = [x for k, v in fig.headers.items() for x in ("-H", f"{k}: {v}")]
            subprocess.run(
                ["timeout", "60", "wrk", "-t1", "-c4", "-d2s", *hdrs, fig.url], capture_output=True
            )
            fetch(fig.url, fig.headers)
        # Pages side by side: each Convene figure is measured next to the bare page it is compared with.
        order = [f for f in figures if "_thread" in f.name] + [f for f in figures if "_group" in f.name]
        for n in range(args.rounds):
            if args.wait_quiet:
                wait_quiet(args.wait_quiet)
            log(f"round {n + 1}/{args.rounds}")
            for fig in order if n % 2 == 0 else list(reversed(order)):
                r = fig.wrk(args, pids[fig.server], args.conns, args.duration)
                fig.runs.append(r)
                log(line(fig.name, r, f"c{args.conns}"))
        if args.c1_duration not in ("", "0"):
            for fig in order:
                fig.c1 = fig.wrk(args, pids[fig.server], 1, args.c1_duration)
                log(line(fig.name, fig.c1, "c1"))
        if args.profile:
            profile(args, order, pids)
    finally:
        for proc in servers.values():
            stop(proc)
    report(args, figures, seeds, bare_info, cal0, time.monotonic() - started, version)


def report(args, figures: list[Figure], seeds: dict, bare_info: dict, cal0: float, wall: float, version):  # noqa: ANN001, ANN201
    from forum.threads import POSTS_PER_PAGE, THREADS_PER_PAGE

    by = {f.name: f for f in figures}
    rounds = min(len(f.runs) for f in figures)

    def rps(name: str, n: int) -> float:
        return by[name].runs[n]["rps"]

    def med_ratio(a: str, b: str) -> float:
        return median(rps(a, n) / rps(b, n) if rps(b, n) else float("nan") for n in range(rounds))

    loop = "uvloop" if _has("uvloop") else "asyncio"
    http = "httptools" if _has("httptools") else "h11"
    dists = ("starlette", "uvicorn", "tortoise-orm", "jinja2")
    print()
    print(
        f"=== page views: Convene vs bare Starlette + Jinja2 + Tortoise, wrk -t{args.threads}"
        f" -c{args.conns} -d{args.duration}, {rounds} alternating rounds (medians), plus -c1"
        f" -d{args.c1_duration}; uvicorn 1 worker, loop {loop}, http {http}, access log on"
        f" (as `convene serve`)"
        f"; 127.0.0.1 ==="
    )
    print(
        f"versions: python {sys.version.split()[0]}, "
        + ", ".join(f"{d} {version(d)}" for d in dists)
        + f"; calib {cal0:.3f}s at start, {calib():.3f}s at end (lower = faster host)"
    )
    for size, (_, info) in seeds.items():
        print(
            f"database {size}: {info['threads']:,} threads, {info['posts']:,} posts,"
            f" {info['users']:,} members, {info['groups']} groups, {info['thread_reads']:,} read marks,"
            f" {info['notifications']:,} notifications, {info['mb']:,} MB"
            f" (seeded in {info.get('seconds', '?')}s, cached)"
        )
    print(
        f"thread page: 1 + {REPLIES} posts, page 1 shows {min(POSTS_PER_PAGE, REPLIES + 1)} (POSTS_PER_PAGE);"
        f" group page: {LIST_THREADS} threads, page 1 shows {THREADS_PER_PAGE} (THREADS_PER_PAGE);"
        f" the bare pages show the same rows ({bare_info})"
    )
    print(
        "member: session cookie; the first thread view wrote the read mark (before timing), later views"
        " read it; unread marks, notification count and warnings are read on every page"
    )
    print("page sizes: " + ", ".join(f"{f.name} {f.size:,} B" for f in figures))
    print(f"\n{'figure':<30} {'':<4} median of {rounds} rounds")
    for f in figures:
        mid = {
            k: median(r[k] for r in f.runs) for k in ("rps", "p50", "p99", "server_cpu", "wrk_cpu", "others")
        }
        mid.update(n=sum(r["n"] for r in f.runs), ok=all(r["ok"] for r in f.runs))
        print(line(f.name, mid, f"c{args.conns}"))
    for n in range(rounds):
        noisy = max(f.runs[n]["others"] for f in figures)
        print(
            f"round {n + 1}: "
            + ", ".join(f"{f.name.replace('convene_', '')} {f.runs[n]['rps']:.0f}" for f in figures)
            + f" (others up to {noisy:.0f}%)"
        )
    failed = [f.name for f in figures if not all(r["ok"] for r in f.runs)]
    if failed:
        print(f"FAILED (non-2xx responses or socket errors): {', '.join(failed)}")
    print(f"run time {wall / 60:.1f} min")
    results: list[tuple[str, float, str]] = []
    for f in figures:
        results.append((f"{f.name}_rps", median(r["rps"] for r in f.runs), ".1f"))
    for page in ("thread", "group"):
        for viewer in ("anon", "member"):
            results.append(
                (f"{page}_{viewer}_ratio", med_ratio(f"convene_{page}_{viewer}", f"bare_{page}"), ".2f")
            )
    if "large" in seeds:
        for page in ("thread", "group"):
            for viewer in ("anon", "member"):
                name = f"convene_{page}_{viewer}"
                results.append(
                    (f"{page}_{viewer}_large_ratio", med_ratio(f"{name}_large", f"bare_{page}"), ".2f")
                )
            pair = [med_ratio(f"convene_{page}_{v}_large", f"convene_{page}_{v}") for v in ("anon", "member")]
            results.append((f"{page}_anon_large_small_ratio", pair[0], ".2f"))
            results.append((f"{page}_member_large_small_ratio", pair[1], ".2f"))
            results.append((f"{page}_large_small_ratio", sum(pair) / 2, ".2f"))
    for f in figures:
        results.append((f"{f.name}_p50_ms", median(r["p50"] for r in f.runs), ".1f"))
        results.append((f"{f.name}_p99_ms", median(r["p99"] for r in f.runs), ".1f"))
    for f in figures:
        if f.c1 is not None:
            results.append((f"{f.name}_c1_p50_ms", f.c1["p50"], ".2f"))
    print()
    for name, value, spec in results:
        print(f"RESULT {name} {value:{spec}}")


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--role", default="driver", choices=["driver", "seed", "session", "bare-seed", "bare-server"]
    )
    ap.add_argument("--duration", default="10s", help="wrk duration per figure and round")
    ap.add_argument("--conns", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (medians reported)")
    ap.add_argument("--c1-duration", default="5s", help="one run per figure at 1 connection; 0 = skip")
    ap.add_argument("--sizes", default="small,large", help="databases to measure Convene on")
    ap.add_argument(
        "--wait-quiet",
        type=float,
        default=60,
        help="before each round, wait up to this many seconds for the shared host to go quiet (0 = don't)",
    )
    ap.add_argument("--reseed", action="store_true", help="seed again even if a seeded database exists")
    ap.add_argument("--profile", default="", help="folder for py-spy samples of each Convene figure")
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--n-threads", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--n-posts", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    ensure_venv()
    if args.role == "seed":
        print("JSON " + json.dumps(seed(args.db, args.n_threads, args.n_posts)), flush=True)
    elif args.role == "session":
        print("JSON " + json.dumps({"token": asyncio.run(make_session(args.db))}), flush=True)
    elif args.role == "bare-seed":
        for suffix in ("", "-wal", "-shm"):
            Path(str(args.db) + suffix).unlink(missing_ok=True)
        print("JSON " + json.dumps(asyncio.run(bare_seed(args.source, args.db))), flush=True)
    elif args.role == "bare-server":
        bare_serve(args.port, args.db)
    else:
        driver(args)


if __name__ == "__main__":
    main()
