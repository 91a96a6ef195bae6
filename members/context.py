"""What a members service needs from the running site, gathered once per request (or per CLI call)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection

from convene.clock import Clock
from convene.mail import Mailer
from convene.security import Passwords
from convene.settings import Settings


@dataclass(frozen=True)
class Site:
    settings: Settings
    clock: Clock
    passwords: Passwords
    mailer: Mailer
    templates: Any  # convene.templating.Templates; only render_string is used, for email
    outbox: Any = None  # digest.outbox.Outbox: durable sending (None in a bare CLI context)

    @classmethod
    def of_app(cls, app: Any) -> Site:
        state = app.state
        return cls(
            state.settings, state.clock, state.passwords, state.mailer, state.templates,
            getattr(state, "outbox", None),
        )  # fmt: skip


def site_of(conn: HTTPConnection) -> Site:
    return Site.of_app(conn.app)
