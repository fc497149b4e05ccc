"""Screenings as an iCalendar feed: what `marquee export showtimes` and `export` write.

Times carry the cinema's IANA zone (with VTIMEZONE definitions added) so calendar apps show
the local time; UIDs are the imported ones where there were any, so a feed exported here and
imported elsewhere keeps updating the same screenings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import icalendar

from bot.cards import film_label
from bot.timefmt import zone
from storage.models_screenings import Showtime

DEFAULT_RUNTIME = 120  # minutes, when the film's runtime is unknown
PRODID = "-//Marquee//film community bot//EN"


def showtime_uid(showtime: Showtime) -> str:
    return showtime.external_uid or f"marquee-showtime-{showtime.id}"


def calendar_for(
    showtimes: Iterable[Showtime], name: str | None = None, *, compact: bool = False
) -> str:
    """The feed; `compact` writes UTC times without VTIMEZONE definitions (for chat, where
    every character counts and calendar apps convert UTC to the reader's zone anyway)."""
    cal = icalendar.Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    if name:
        cal.add("X-WR-CALNAME", name)
    for s in showtimes:
        cal.add_component(_event(s, compact))
    if not compact:
        cal.add_missing_timezones()
    return cal.to_ical().decode("utf-8")


def _event(s: Showtime, compact: bool) -> icalendar.Event:
    event = icalendar.Event()
    event.add("UID", showtime_uid(s))
    if not compact:
        event.add("DTSTAMP", s.updated_at)
    event.add("SUMMARY", film_label(s.film))
    start = s.starts_at if compact else s.starts_at.astimezone(zone(s.cinema.timezone))
    event.add("DTSTART", start)
    event.add("DTEND", start + timedelta(minutes=s.film.runtime_minutes or DEFAULT_RUNTIME))
    event.add("LOCATION", f"{s.cinema.name}, {s.cinema.city}")
    if s.event is not None:
        event.add("X-MARQUEE-EVENT", s.event.name)
    if s.format:
        event.add("X-MARQUEE-FORMAT", s.format)
    if s.ticket_url:
        event.add("URL", s.ticket_url)
    if s.cancelled:
        event.add("STATUS", "CANCELLED")
    return event
