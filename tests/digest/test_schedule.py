"""When digests are due: slots in the member's own time zone, across daylight-saving changes, and
the period each digest covers (no gap, no overlap, missed slots folded into one digest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digest.schedule import MAX_WINDOW, due_period, latest_slot, next_slot, upcoming_digest, zone_of

BERLIN = zone_of("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_daily_slot_follows_the_members_wall_clock_across_daylight_saving():
    # Berlin 08:00 is 07:00 UTC in winter and 06:00 UTC in summer (clocks went forward 29 March 2026).
    assert latest_slot("daily", 0, 8, BERLIN, utc(2026, 3, 28, 12)) == utc(2026, 3, 28, 7)
    assert latest_slot("daily", 0, 8, BERLIN, utc(2026, 3, 30, 12)) == utc(2026, 3, 30, 6)
    assert next_slot("daily", 0, 8, BERLIN, utc(2026, 3, 28, 7)) == utc(2026, 3, 29, 6)


def test_an_hour_that_does_not_exist_that_night_still_gets_its_digest():
    # 02:00 does not exist in Berlin on 29 March 2026: the digest goes at the first real moment after.
    slot = latest_slot("daily", 0, 2, BERLIN, utc(2026, 3, 29, 12))
    assert slot is not None and utc(2026, 3, 29, 0) < slot <= utc(2026, 3, 29, 1)


def test_weekly_slot_is_on_the_members_weekday_in_their_zone():
    tokyo = zone_of("Asia/Tokyo")
    # Monday 07:00 in Tokyo is Sunday 22:00 UTC.
    assert latest_slot("weekly", 0, 7, tokyo, utc(2026, 3, 1, 22)) == utc(2026, 3, 1, 22)
    assert latest_slot("weekly", 0, 7, tokyo, utc(2026, 3, 1, 21, 59)) == utc(2026, 2, 22, 22)
    assert next_slot("weekly", 4, 18, tokyo, utc(2026, 3, 1, 22)) == utc(2026, 3, 6, 9)
    assert latest_slot("off", 0, 7, tokyo, utc(2026, 3, 1, 22)) is None


def test_a_period_starts_where_the_last_one_ended():
    now = utc(2026, 3, 9, 8, 5)
    period = due_period(
        frequency="weekly",
        weekday=0,
        hour=8,
        zone=zone_of("UTC"),
        now=now,
        last_end=utc(2026, 3, 2, 8),
        joined_at=utc(2025, 1, 1),
    )
    assert period is not None and (period.start, period.end) == (utc(2026, 3, 2, 8), utc(2026, 3, 9, 8))
    # Once recorded, it is not due again.
    again = due_period(
        frequency="weekly",
        weekday=0,
        hour=8,
        zone=zone_of("UTC"),
        now=now,
        last_end=period.end,
        joined_at=utc(2025, 1, 1),
    )
    assert again is None


def test_missed_slots_make_one_digest_covering_the_gap():
    # The server was down from Monday to Thursday: one daily digest covers the three days.
    period = due_period(
        frequency="daily",
        weekday=0,
        hour=8,
        zone=zone_of("UTC"),
        now=utc(2026, 3, 5, 9),
        last_end=utc(2026, 3, 2, 8),
        joined_at=utc(2025, 1, 1),
    )
    assert period is not None and (period.start, period.end) == (utc(2026, 3, 2, 8), utc(2026, 3, 5, 8))
    # ... but never more than MAX_WINDOW.
    long_ago = due_period(
        frequency="daily",
        weekday=0,
        hour=8,
        zone=zone_of("UTC"),
        now=utc(2026, 3, 5, 9),
        last_end=utc(2025, 3, 2, 8),
        joined_at=utc(2025, 1, 1),
    )
    assert long_ago is not None and long_ago.end - long_ago.start == MAX_WINDOW


def test_a_new_member_and_a_schedule_change_wait_for_the_next_slot():
    kw = {"frequency": "daily", "weekday": 0, "hour": 8, "zone": zone_of("UTC"), "last_end": None}
    # Joined at 10:00: today's 08:00 has passed before they joined; tomorrow's is theirs.
    assert due_period(now=utc(2026, 3, 2, 10), joined_at=utc(2026, 3, 2, 9), **kw) is None
    first = due_period(now=utc(2026, 3, 3, 8), joined_at=utc(2026, 3, 2, 9), **kw)
    assert first is not None and first.start == utc(2026, 3, 2, 8)  # one full day
    # Changed the hour at noon: the new hour's slot earlier today is not sent at once.
    kw["last_end"] = utc(2026, 3, 1, 18)
    assert (
        due_period(
            now=utc(2026, 3, 2, 12), joined_at=utc(2025, 1, 1), schedule_changed_at=utc(2026, 3, 2, 12), **kw
        )
        is None
    )
    nxt = due_period(
        now=utc(2026, 3, 3, 8), joined_at=utc(2025, 1, 1), schedule_changed_at=utc(2026, 3, 2, 12), **kw
    )
    assert nxt is not None and nxt.start == utc(2026, 3, 1, 18)  # nothing skipped


def test_turning_digests_back_on_covers_one_period_not_months():
    period = due_period(
        frequency="weekly",
        weekday=0,
        hour=8,
        zone=zone_of("UTC"),
        now=utc(2026, 3, 9, 8),
        last_end=utc(2025, 12, 1, 8),
        joined_at=utc(2025, 1, 1),
        schedule_changed_at=utc(2026, 3, 4),
        resumed_at=utc(2026, 3, 4),
    )
    assert period is not None and period.start == utc(2026, 3, 2, 8)


def test_upcoming_digest_for_the_settings_page():
    now = utc(2026, 3, 2, 9)
    nxt = upcoming_digest(
        frequency="weekly",
        weekday=0,
        hour=8,
        zone=zone_of("UTC"),
        now=now,
        last_end=utc(2026, 3, 2, 8),
        joined_at=utc(2025, 1, 1),
    )
    assert nxt == utc(2026, 3, 9, 8)
    overdue = upcoming_digest(
        frequency="daily",
        weekday=0,
        hour=8,
        zone=zone_of("UTC"),
        now=now,
        last_end=utc(2026, 2, 27, 8),
        joined_at=utc(2025, 1, 1),
    )
    assert overdue == now
    assert now - timedelta(days=1) < overdue
