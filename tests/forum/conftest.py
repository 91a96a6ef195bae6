"""Forum test helpers: seed members, groups and threads through the service layer (as the CLI
and demo seeding do), then look at the result over HTTP like a member would."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from forum import service
from forum.models import Group, Post, Thread, Visibility
from members.models import Role, User
from members.service import do_create_user
from tests.conftest import Browserish, LiveServer, signed_in, unique


def _deferred(work: Any) -> Any:
    # An ORM query picks its database connection when it is built, so queries are passed as
    # a function and built on the server's loop, inside its database context.
    if callable(work):

        async def run() -> Any:
            return await work()

        return run()
    return work


def seed(live: LiveServer, work: Any) -> Any:
    """Run a service coroutine (or a function returning an ORM query) on the server's loop."""
    return live.run(_deferred(work))


async def aseed(live: LiveServer, work: Any) -> Any:
    """The same from an async test, without blocking the test's own loop."""
    return await asyncio.to_thread(live.run, _deferred(work))


def new_user(live: LiveServer, role: str = "member", name: str | None = None) -> User:
    user = seed(
        live,
        do_create_user(
            email=f"{unique('f')}@example.org",
            name=name or f"Forum {unique('')}",
            password="correct horse battery staple",
            passwords=live.app.state.passwords,
            clock=live.clock,
            role=Role(role),
        ),
    )
    return user


def new_group(live: LiveServer, owner: User, visibility: str = "public", **kw: Any) -> Group:
    return seed(
        live,
        service.do_create_group(
            owner,
            name=kw.pop("name", f"Group {unique('')}"),
            description=kw.pop("description", "A group for **testing**."),
            visibility=Visibility(visibility),
            clock=live.clock,
            **kw,
        ),
    )


def new_thread(
    live: LiveServer, author: User, group: Group, title: str | None = None, body: str = "Hello"
) -> Thread:
    return seed(
        live,
        service.do_create_thread(
            author, group, title=title or f"Thread {unique('')}", body=body, clock=live.clock
        ),
    )


def new_reply(
    live: LiveServer, author: User, thread: Thread, body: str = "A reply", parent: Post | None = None
) -> Post:
    return seed(live, service.do_reply(author, thread, body=body, parent=parent, clock=live.clock))


@dataclass
class World:
    """One group with a moderator, a member, an outsider, and a thread with a reply."""

    visibility: str
    group: Group
    mod: User
    member: User
    outsider: User
    thread: Thread
    opening: Post

    @property
    def slug(self) -> str:
        return self.group.slug


def build_world(live: LiveServer, visibility: str) -> World:
    mod = new_user(live, role="facilitator")
    member = new_user(live)
    outsider = new_user(live)
    group = new_group(live, mod, visibility)
    seed(live, service.do_add_member(mod, group, member, clock=live.clock))
    thread = new_thread(live, member, group, title=f"Secret plans {unique('')}")
    opening = seed(live, lambda: Post.get(thread_id=thread.id, number=1))
    return World(visibility, group, mod, member, outsider, thread, opening)


@pytest.fixture
def world_factory(live: LiveServer) -> Any:
    return lambda visibility="public": build_world(live, visibility)


async def client_for(live: LiveServer, user: User | None) -> Browserish:
    return Browserish(live.url) if user is None else await signed_in(live, user)


async def reload(live: LiveServer, model: Any, pk: int) -> Any:
    return await aseed(live, lambda: model.get(id=pk))
