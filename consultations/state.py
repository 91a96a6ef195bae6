"""A consultation's state follows from the clock and its stored schedule, never from a stored flag.

`state_at(consultation, now)` is the one rule. Opening at `opens_at` and closing at `closes_at`
therefore need no job and no traffic; the scheduler only sends the notices that go with them.
Boundaries: at exactly `opens_at` it is open; at exactly `closes_at` (or `closed_early_at`) it is
closed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class State(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    REPORT_PUBLISHED = "report_published"


def closed_at(consultation: Any) -> datetime:
    """When it closes (or closed): an early close wins over the planned deadline."""
    early = consultation.closed_early_at
    if early is not None and early < consultation.closes_at:
        return early
    return consultation.closes_at


def state_at(consultation: Any, now: datetime) -> State:
    if consultation.published_at is None:
        return State.DRAFT
    if consultation.report_published_at is not None:
        return State.REPORT_PUBLISHED
    if now >= closed_at(consultation):
        return State.CLOSED
    if now < consultation.opens_at:
        return State.SCHEDULED
    return State.OPEN


def is_open(consultation: Any, now: datetime) -> bool:
    return state_at(consultation, now) == State.OPEN


def round_opened_at(consultation: Any) -> datetime:
    """When the current round began: the opening, or the latest reopening."""
    reopened = consultation.reopened_at
    if reopened is not None and reopened > consultation.opens_at:
        return reopened
    return consultation.opens_at


def session_ends_at(session: Any) -> datetime:
    planned = session.starts_at + timedelta(minutes=session.duration_minutes + session.extended_minutes)
    if session.ended_at is not None and session.ended_at < planned:
        return session.ended_at
    return planned


def session_is_live(session: Any, consultation: Any, now: datetime) -> bool:
    """A live session runs in its own window, while the consultation is published and not closed."""
    if state_at(consultation, now) not in (State.SCHEDULED, State.OPEN):
        return False
    return session.starts_at <= now < session_ends_at(session)


def session_state(session: Any, consultation: Any, now: datetime) -> str:
    if session_is_live(session, consultation, now):
        return "live"
    if now < session.starts_at and state_at(consultation, now) in (State.SCHEDULED, State.OPEN, State.DRAFT):
        return "upcoming"
    return "ended"
