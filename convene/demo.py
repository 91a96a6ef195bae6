"""The demo network: a believable community of practice, seeded through the service layer.

`convene demo` and `convene serve --demo` call seed_demo(). Every account, group, membership,
thread and reply is made by the same service functions the web pages use, with a FrozenClock
set to the moment it "happened", so the six weeks of history carry consistent timestamps.
The content is fixed (demo_people, demo_threads_*) and its timing comes from random.Random(seed),
so two seeds with the same number look the same. The password is the exception: it is made
fresh for every seeded database, printed, and kept in <data dir>/demo-logins.txt (mode 0600).
"""

from __future__ import annotations

import os
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from convene.clock import Clock, FrozenClock, SystemClock
from convene.demo_people import ADMIN_EMAIL, GROUPS, JOIN_REQUESTS, MEMBER_EMAIL, PEOPLE, GroupSpec, Person
from convene.demo_threads_members import MEMBER_TOPICS
from convene.demo_threads_public import PUBLIC_TOPICS, Topic
from convene.markup import plain_text
from convene.security import Passwords
from convene.settings import Settings

TOPICS: tuple[Topic, ...] = PUBLIC_TOPICS + MEMBER_TOPICS
HISTORY_DAYS = 42  # the discussions span the last six weeks
LOGINS_FILE = "demo-logins.txt"


class DemoAlreadySeeded(Exception):
    """The database already has accounts; the demo network only goes into an empty one."""


@dataclass(frozen=True)
class DemoLogins:
    password: str
    path: Path

    def summary(self) -> str:
        return (
            "Demo network ready. Sign in with:\n"
            f"  administrator: {ADMIN_EMAIL}\n"
            f"  member:        {MEMBER_EMAIL}\n"
            f"  password:      {self.password}\n"
            f"(every demo account uses this password; it is also saved in {self.path})"
        )


def demo_logins_path(settings: Settings) -> Path:
    return settings.data_dir / LOGINS_FILE


def read_demo_logins(settings: Settings) -> str | None:
    path = demo_logins_path(settings)
    return path.read_text() if path.exists() else None


def _write_logins(path: Path, password: str, when: datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created readable by the owner only; an older file is replaced, never widened.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(
            f"Convene demo network, seeded {when:%Y-%m-%d %H:%M} UTC\n"
            f"administrator: {ADMIN_EMAIL}\n"
            f"member:        {MEMBER_EMAIL}\n"
            f"password:      {password}\n"
        )
    os.chmod(path, 0o600)


def _excerpt(body: str) -> str:
    """The first sentence of a post's own words (not what it quoted), for a quote-reply."""
    own = [line for line in body.splitlines() if line.strip() and not line.lstrip().startswith(">")]
    text = plain_text(own[0] if own else body)
    end = min((i for i in (text.find(". "), text.find("? "), text.find("! ")) if i > 0), default=-1)
    return text[: end + 1] if 0 < end < 240 else plain_text(text, limit=240)


class _Seeder:
    def __init__(self, settings: Settings, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.clock = FrozenClock(now)
        self.passwords = Passwords(settings.argon2_time_cost, settings.argon2_memory_kib)
        self.password = secrets.token_urlsafe(12)
        self.users: dict[str, Any] = {}
        self.groups: dict[str, Any] = {}
        self.times = self._topic_times()

    def at(self, when: datetime) -> FrozenClock:
        self.clock.set(when)
        return self.clock

    def days_ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    async def people(self) -> None:
        from members.models import Role, UserStatus
        from members.profiles import do_update_profile
        from members.schemas import ProfileIn
        from members.service import do_create_user

        for index, person in enumerate(PEOPLE):
            when = self.days_ago(49 - index * 0.2 if not person.pending else 1.5)
            user = await do_create_user(
                email=person.address,
                name=person.name,
                password=self.password,
                passwords=self.passwords,
                clock=self.at(when),
                role=Role(person.role),
                status=UserStatus.PENDING if person.pending else UserStatus.ACTIVE,
                terms_accepted=True,
            )
            if not person.pending:
                user = await do_update_profile(user, _profile(person, ProfileIn))
            self.users[person.key] = user

    async def groups_and_members(self) -> None:
        from forum.models import GroupRole, Visibility
        from forum.service import do_add_member, do_create_group, do_join_group

        first_post = _first_posts(self.times)
        for index, spec in enumerate(GROUPS):
            created = self.days_ago(45 - index * 0.3)
            group = await do_create_group(
                self.users[spec.creator],
                name=spec.name,
                description=spec.description,
                visibility=Visibility(spec.visibility),
                clock=self.at(created),
            )
            self.groups[spec.key] = group
            creator = self.users[spec.creator]
            for key in spec.moderators:
                joined = created + timedelta(hours=self.rng.uniform(1, 6))
                await do_add_member(
                    creator, group, self.users[key], clock=self.at(joined), role=GroupRole.MODERATOR
                )
            for key in _members_of(spec):
                latest = first_post.get((spec.key, key), self.days_ago(3))
                joined = created + (latest - created) * self.rng.uniform(0.1, 0.9)
                if spec.visibility == "private":
                    await do_add_member(creator, group, self.users[key], clock=self.at(joined))
                else:
                    await do_join_group(self.users[key], group, clock=self.at(joined))
        for group_key, person_key in JOIN_REQUESTS:
            asked = self.days_ago(self.rng.uniform(1, 4))
            await do_join_group(self.users[person_key], self.groups[group_key], clock=self.at(asked))

    def _topic_times(self) -> list[list[datetime]]:
        """When each post of each topic was written: the opening post, then replies that come
        quickly at first and slow down, all before now."""
        latest = self.now - timedelta(minutes=20)
        result = []
        for topic in TOPICS:
            start = self.days_ago(topic.days_ago) + timedelta(hours=self.rng.uniform(-3, 3))
            gaps = [self.rng.uniform(0.3, 4) * (1.6**i) for i in range(len(topic.replies))]
            room = (latest - start).total_seconds() / 3600
            scale = min(1.0, room / sum(gaps)) if gaps else 1.0
            times, t = [start], start
            for gap in gaps:
                t += timedelta(hours=gap * scale)
                times.append(t)
            result.append(times)
        return result

    async def discussions(self) -> None:
        from forum.models import Post
        from forum.service import do_create_thread, do_reply

        events = sorted((when, t, n) for t, posts in enumerate(self.times) for n, when in enumerate(posts))
        threads: dict[int, Any] = {}
        posts: dict[int, list[Any]] = {}
        for when, t, n in events:
            topic = TOPICS[t]
            clock = self.at(when)
            if n == 0:
                thread = await do_create_thread(
                    self.users[topic.author], self.groups[topic.group], title=topic.title, body=topic.body,
                    clock=clock,
                )  # fmt: skip
                threads[t] = thread
                posts[t] = [await Post.get(thread_id=thread.id, number=1)]
                continue
            reply = topic.replies[n - 1]
            parent = posts[t][reply.quote - 1] if reply.quote else None
            body = reply.body
            if reply.quote:
                # Quote the start of the post answered, the way the reply form's "Quote" does.
                quoted = topic.body if reply.quote == 1 else topic.replies[reply.quote - 2].body
                who = self.users[topic.author if reply.quote == 1 else topic.replies[reply.quote - 2].author]
                body = f"@{who.username} wrote:\n> {_excerpt(quoted)}\n\n{reply.body}"
            post = await do_reply(self.users[reply.author], threads[t], body=body, clock=clock, parent=parent)
            posts[t].append(post)

    async def run(self) -> None:
        await self.people()
        await self.groups_and_members()
        await self.discussions()


def _profile(person: Person, schema: type) -> Any:
    return schema(
        organisation=person.organisation,
        organisation_type=person.organisation_type,
        country=person.country,
        bio=person.bio,
        timezone=person.timezone,
    )


def _members_of(spec: GroupSpec) -> list[str]:
    """Everyone who belongs to a group: those listed, and everyone who writes in it."""
    keys = [k for k in spec.members if k != spec.creator and k not in spec.moderators]
    for topic in TOPICS:
        if topic.group != spec.key:
            continue
        for key in (topic.author, *(r.author for r in topic.replies)):
            if key != spec.creator and key not in spec.moderators and key not in keys:
                keys.append(key)
    return keys


def _first_posts(times: list[list[datetime]]) -> dict[tuple[str, str], datetime]:
    """(group, person) -> when that person first wrote in that group: they joined before."""
    first: dict[tuple[str, str], datetime] = {}
    for topic, posts in zip(TOPICS, times, strict=True):
        authors = (topic.author, *(r.author for r in topic.replies))
        for key, when in zip(authors, posts, strict=True):
            slot = (topic.group, key)
            if slot not in first or when < first[slot]:
                first[slot] = when
    return {slot: when - timedelta(hours=1) for slot, when in first.items()}


async def seed_demo(settings: Settings, *, seed: int = 2024, clock: Clock | None = None) -> DemoLogins:
    """Seed the demo network into the current database context, which must have no accounts."""
    from members.models import User

    if await User.exists():
        raise DemoAlreadySeeded(
            "This database already has accounts, so the demo network was not added. "
            "Use an empty database (for example another CONVENE_DATA_DIR) for the demo."
        )
    now = (clock or SystemClock()).now()
    seeder = _Seeder(settings, seed, now)
    await seeder.run()
    path = demo_logins_path(settings)
    _write_logins(path, seeder.password, now)
    return DemoLogins(seeder.password, path)


async def seed_demo_if_empty(settings: Settings, *, seed: int = 2024) -> DemoLogins | None:
    """For `convene serve --demo`: seed a fresh database, leave one with accounts alone."""
    try:
        return await seed_demo(settings, seed=seed)
    except DemoAlreadySeeded:
        return None
