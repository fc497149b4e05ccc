"""Dates people type: "today", "tomorrow", "this week", "fri", "2025-07-25", "25 Jul", ranges
"a..b", and local start times "2025-07-25 18:30". All relative to a cinema's or the reader's
local date, which the caller passes in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


class WhenError(ValueError):
    pass


@dataclass(frozen=True)
class DateRange:
    first: date
    last: date  # inclusive


def parse_date(text: str, today: date) -> date:
    t = " ".join(text.strip().lower().replace(",", " ").split())
    if t in ("today", "tonight"):
        return today
    if t == "tomorrow":
        return today + timedelta(days=1)
    for i, name in enumerate(_WEEKDAYS):
        if t.startswith(name) and t.isalpha():
            return today + timedelta(days=(i - today.weekday()) % 7)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", t)
    if m:
        return _make(int(m[1]), int(m[2]), int(m[3]), text)
    m = re.fullmatch(r"(?:[a-z]+ )?(\d{1,2})(?:st|nd|rd|th)? ([a-z]{3})[a-z]*\.?(?: (\d{4}))?", t)
    if m and m[2] in _MONTHS:
        return _with_year(int(m[1]), _MONTHS.index(m[2]) + 1, m[3], today, text)
    m = re.fullmatch(r"(?:[a-z]+ )?([a-z]{3})[a-z]*\.? (\d{1,2})(?:st|nd|rd|th)?(?: (\d{4}))?", t)
    if m and m[1] in _MONTHS:
        return _with_year(int(m[2]), _MONTHS.index(m[1]) + 1, m[3], today, text)
    raise WhenError(
        f"I can't read {text!r} as a date. Try today, tomorrow, fri, 2025-07-25 or 25 Jul."
    )


def parse_range(text: str, today: date) -> DateRange:
    t = " ".join(text.strip().lower().split())
    if t in ("week", "this week", "next 7 days"):
        return DateRange(today, today + timedelta(days=6))
    if t in ("weekend", "this weekend"):
        if today.weekday() == 6:  # on Sunday, "this weekend" is what is left of it
            return DateRange(today, today)
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        return DateRange(saturday, saturday + timedelta(days=1))
    if t in ("month", "this month", "next 30 days"):
        return DateRange(today, today + timedelta(days=29))
    for sep in ("..", " to ", " - "):
        if sep in t:
            a, b = t.split(sep, 1)
            first, last = parse_date(a, today), parse_date(b, today)
            if last < first:
                raise WhenError(f"The range {text!r} ends before it starts.")
            if (last - first).days > 366:
                raise WhenError("A range can span at most a year.")
            return DateRange(first, last)
    day = parse_date(t, today)
    return DateRange(day, day)


def parse_local_datetime(text: str, today: date) -> datetime:
    """A naive local date-time: "2025-07-25 18:30", "fri 19:00", "25 Jul 7pm"."""
    t = " ".join(text.strip().lower().split())
    t = re.sub(r"^(\d{4}-\d{1,2}-\d{1,2})t", r"\1 ", t)  # ISO "2025-07-25T18:30"
    m = re.fullmatch(r"(.+?) (\d{1,2})(?::(\d{2}))?\s*(am|pm)?", t)
    if not m:
        raise WhenError(
            f"I can't read {text!r} as a start time. Write the local date and time, "
            "e.g. 2025-07-25 18:30."
        )
    day = parse_date(m[1], today)
    hour, minute = int(m[2]), int(m[3] or 0)
    if m[4]:
        if not 1 <= hour <= 12:
            raise WhenError(f"{hour}{m[4]} is not a time.")
        hour = hour % 12 + (12 if m[4] == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise WhenError(f"{m[2]}:{m[3] or '00'} is not a time of day.")
    return datetime.combine(day, time(hour, minute))


def _make(y: int, mo: int, d: int, text: str) -> date:
    try:
        return date(y, mo, d)
    except ValueError as exc:
        raise WhenError(f"{text!r} is not a real date ({exc}).") from exc


def _with_year(d: int, mo: int, year: str | None, today: date, text: str) -> date:
    if year:
        return _make(int(year), mo, d, text)
    candidate = _make(today.year, mo, d, text)
    # "25 Jul" means the next 25 July, unless that was within the last month.
    return (
        candidate if candidate >= today - timedelta(days=31) else _make(today.year + 1, mo, d, text)
    )
