"""When a member's digest is due: scheduled moments in the member's own time zone, and the period
each digest covers. Pure functions of the clock and a few stored facts, so any runner, at any time,
after any restart, computes the same answer.

A member's digest belongs to a *slot*: their hour (and weekday) in their time zone, as a UTC moment.
A digest is due when the latest slot that has passed is later than everything that came before it
(the previous digest period's end, the last schedule change, the account's creation). Missed slots
(the server was down for two days) are not sent one by one: one digest covers the whole gap, up to
MAX_WINDOW, so nothing is skipped and nobody gets three digests in a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.models import DigestFrequency

WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_WINDOW = timedelta(days=14)


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def period_length(frequency: str) -> timedelta:
    return timedelta(days=7) if frequency == DigestFrequency.WEEKLY else timedelta(days=1)


def _at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    # A wall-clock hour that does not exist (a spring-forward gap) maps to the next real moment.
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def latest_slot(frequency: str, weekday: int, hour: int, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The most recent scheduled moment at or before `now` (UTC), or None when digests are off."""
    if frequency == DigestFrequency.OFF:
        return None
    today = now.astimezone(zone).date()
    if frequency == DigestFrequency.DAILY:
        slot = _at(today, hour, zone)
        return slot if slot <= now else _at(today - timedelta(days=1), hour, zone)
    day = today - timedelta(days=(today.weekday() - weekday) % 7)
    slot = _at(day, hour, zone)
    return slot if slot <= now else _at(day - timedelta(days=7), hour, zone)


def next_slot(frequency: str, weekday: int, hour: int, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The first scheduled moment strictly after `after` (UTC), or None when digests are off."""
    if frequency == DigestFrequency.OFF:
        return None
    start = after.astimezone(zone).date()
    step = 1 if frequency == DigestFrequency.DAILY else 7
    day = start if step == 1 else start + timedelta(days=(weekday - start.weekday()) % 7)
    for _ in range(3):  # at most: today is too late, the next one is not (DST never moves a day)
        slot = _at(day, hour, zone)
        if slot > after:
            return slot
        day += timedelta(days=step)
    return _at(day, hour, zone)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # the slot: the scheduled moment this digest belongs to


def due_period(
    *,
    frequency: str,
    weekday: int,
    hour: int,
    zone: ZoneInfo,
    now: datetime,
    last_end: datetime | None,
    joined_at: datetime | None,
    schedule_changed_at: datetime | None = None,
    resumed_at: datetime | None = None,
) -> Period | None:
    """The period a digest should be composed for now, or None when none is due."""
    slot = latest_slot(frequency, weekday, hour, zone, now)
    if slot is None:
        return None
    floor = max((t for t in (last_end, joined_at, schedule_changed_at) if t is not None), default=None)
    if floor is not None and slot <= floor:
        return None
    if last_end is not None and not (resumed_at is not None and last_end < resumed_at):
        start = last_end
    else:
        start = slot - period_length(frequency)
    return Period(max(start, slot - MAX_WINDOW), slot)


def upcoming_digest(
    *,
    frequency: str,
    weekday: int,
    hour: int,
    zone: ZoneInfo,
    now: datetime,
    last_end: datetime | None,
    joined_at: datetime | None,
    schedule_changed_at: datetime | None = None,
) -> datetime | None:
    """When the next digest will be composed (shown on the settings page)."""
    floor = max((t for t in (last_end, joined_at, schedule_changed_at) if t is not None), default=now)
    slot = next_slot(frequency, weekday, hour, zone, floor)
    # A slot that has passed (overdue: the scheduler sends it on its next pass) shows as now.
    return None if slot is None else max(slot, now)
