"""Dates people type: "today", "tomorrow", "this week", "fri", "2025-07-25", "25 Jul", ranges
"a..b", and local start times "2025-07-25 18:30". All relative to a cinema's or the reader's
local date, which the caller passes in.

`LocalDays` turns such words into one UTC window per cinema time zone: a day is always the
local day where the screening happens, so "fri" in New York and "fri" in Perth are different
instants, and "today" is a different date on each side of the date line."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.excerpt import excerpt
from bot.timefmt import zone

_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


class WhenError(ValueError):
    pass


@dataclass(frozen=True)
class DateRange:
    first: date
    last: date  # inclusive


@dataclass(frozen=True)
class LocalDays:
    """Days asked for, read in each cinema's own zone when the screenings are looked up.

    `words` ("fri", "this week", "2025-07-24..2025-07-27") are resolved against each zone's
    own today; `first`/`last` are fixed dates (the CLI's --from/--to); with neither, the days
    run from now with no end (`last` None). The day that is today in a zone starts now there,
    not at its midnight: what has started is no longer upcoming.
    """

    now: datetime
    words: str | None = None
    first: date | None = None
    last: date | None = None
    coming_days: int | None = None  # today and the days after it, this many in all

    @classmethod
    def parse(cls, words: str, now: datetime) -> LocalDays:
        """Check the words once (in UTC) so a typo is refused before anything is looked up."""
        parse_range(words, now.astimezone(UTC).date())
        return cls(now=now, words=words)

    @classmethod
    def coming(cls, days: int, now: datetime) -> LocalDays:
        """Today and the `days - 1` days after it, in each cinema's zone."""
        return cls(now=now, coming_days=days)

    def days_in(self, tz_name: str) -> tuple[date, date | None]:
        today = self.now.astimezone(zone(tz_name)).date()
        if self.coming_days is not None:
            return today, today + timedelta(days=self.coming_days - 1)
        if self.words is None:
            return (self.first or today), self.last
        days = parse_range(self.words, today)
        return days.first, days.last

    def window(self, tz_name: str) -> tuple[datetime, datetime | None]:
        """The UTC [start, end) of these days in `tz_name` (end None: no end)."""
        tz = zone(tz_name)
        first, last = self.days_in(tz_name)
        start = _midnight(first, tz)
        if first == self.now.astimezone(tz).date():
            start = max(start, self.now.astimezone(UTC))
        return start, (_midnight(last + timedelta(days=1), tz) if last else None)

    def windows(self, zones: Iterable[str]) -> dict[str, tuple[datetime, datetime | None]]:
        return {tz: self.window(tz) for tz in zones}

    def label(self, zones: Iterable[str]) -> str:
        """The days as dates when they are the same dates in every zone, else as typed."""
        ranges = {self.days_in(tz) for tz in zones} or {self.days_in("UTC")}
        if len(ranges) > 1:
            return f"{self.words or 'from today'} (each cinema's local day)"
        first, last = ranges.pop()
        if last is None:
            return f"from {first:%a %d %b %Y}"
        if first == last:
            return f"{first:%a %d %b %Y}"
        return f"{first:%d %b} to {last:%d %b %Y}"


def _midnight(day: date, tz: tzinfo) -> datetime:
    """The first instant of a local day, in UTC. Where a daylight-saving change skips
    midnight itself, zoneinfo reads the missing 00:00 with the old offset: the change's
    instant, which is when that day begins."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


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
        f"I can't read “{excerpt(text)}” as a date. Try today, tomorrow, fri, 2025-07-25 or 25 Jul."
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
                raise WhenError(f"The range “{excerpt(text)}” ends before it starts.")
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
            f"I can't read “{excerpt(text)}” as a start time. Write the local date and time, "
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
        raise WhenError(f"“{excerpt(text)}” is not a real date ({exc}).") from exc


def _with_year(d: int, mo: int, year: str | None, today: date, text: str) -> date:
    if year:
        return _make(int(year), mo, d, text)
    candidate = _make(today.year, mo, d, text)
    # "25 Jul" means the next 25 July, unless that was within the last month.
    return (
        candidate if candidate >= today - timedelta(days=31) else _make(today.year + 1, mo, d, text)
    )
