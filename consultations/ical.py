"""The consultation's calendar (.ics): its opening, its closing and each live session.

UIDs are stable (derived from the consultation's id and the site's host), so a calendar that
imports the file again updates the events instead of doubling them; the closing event's SEQUENCE
is the deadline_version, so an extension or a reopening replaces the old deadline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from consultations.access import get_visible
from consultations.live import list_sessions
from consultations.state import State, closed_at, session_ends_at, state_at


def _event(
    uid: str,
    summary: str,
    start: datetime,
    url: str,
    now: datetime,
    *,
    end: datetime | None = None,
    description: str = "",
    sequence: int = 0,
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", start)
    if end is not None:
        event.add("dtend", end)
    event.add("summary", summary)
    event.add("url", url)
    event.add("description", f"{description}\n\n{url}".strip())
    event.add("sequence", sequence)
    return event


async def calendar_for(
    viewer: Any, consultation_id: int, *, base_url: str, site_name: str, now: datetime
) -> bytes:
    access = await get_visible(viewer, consultation_id)
    consultation = access.consultation
    host = urlsplit(base_url).hostname or "localhost"
    url = f"{base_url}/consultations/{consultation.id}"
    cal = Calendar()
    cal.add("prodid", f"-//{site_name}//Convene consultations//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", consultation.title)
    cal.add_component(
        _event(
            f"consultation-{consultation.id}-opens@{host}",
            f"Opens: {consultation.title}",
            consultation.opens_at,
            url,
            now,
            description="The consultation opens for answers and comments.",
        )
    )
    ends = closed_at(consultation)
    closed = state_at(consultation, now) in (State.CLOSED, State.REPORT_PUBLISHED)
    cal.add_component(
        _event(
            f"consultation-{consultation.id}-closes@{host}",
            f"{'Closed' if closed else 'Closes'}: {consultation.title}",
            ends,
            url,
            now,
            description="The last moment to submit answers.",
            sequence=consultation.deadline_version,
        )
    )
    for session in await list_sessions(consultation.id):
        cal.add_component(
            _event(
                f"consultation-{consultation.id}-session-{session.id}@{host}",
                f"Live session: {session.title}",
                session.starts_at,
                f"{url}#live",
                now,
                end=session_ends_at(session),
                sequence=session.extended_minutes,
                description=f"A live question-and-answer session of “{consultation.title}”.",
            )
        )
    return cal.to_ical()
