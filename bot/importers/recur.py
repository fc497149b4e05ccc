"""Recurrence rules (RRULE) expanded by our own bounded loop, not by dateutil.

dateutil walks a rule period by period until it finds COUNT matches or reaches year 9999, with
no way to stop it: `FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5` costs seconds of CPU, and a
file holds thousands of such rules. Here every candidate date is counted against a budget for
the event and for the whole file, and the time spent expanding is checked inside the loop, so
a file can cost only so much however its rules are written.

Supported: FREQ=DAILY, WEEKLY, MONTHLY or YEARLY with INTERVAL, COUNT, UNTIL, BYMONTH,
BYMONTHDAY, BYDAY (with ordinals for MONTHLY and YEARLY), BYHOUR, BYMINUTE, BYSECOND, BYSETPOS
and WKST — what cinema programmes use. Anything else is refused with the reason.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as clock_time

MAX_OCCURRENCES = 1000  # screenings one rule may make; a rule that makes more is refused
MAX_EXAMINED_PER_EVENT = 50_000  # candidate dates one rule may look at
MAX_EXAMINED_PER_FILE = 1_000_000  # … and all the rules of one file together
MAX_OCCURRENCES_PER_FILE = 100_000  # screenings all the rules of one file may make
MAX_SECONDS_PER_FILE = 20.0  # time spent expanding the rules of one file
MAX_TIMES_PER_DAY = 24  # BYHOUR × BYMINUTE × BYSECOND
_CHECK_CLOCK_EVERY = 256  # candidates between two looks at the clock

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_KNOWN = frozenset(
    {
        "FREQ",
        "INTERVAL",
        "COUNT",
        "UNTIL",
        "BYMONTH",
        "BYMONTHDAY",
        "BYDAY",
        "BYHOUR",
        "BYMINUTE",
        "BYSECOND",
        "BYSETPOS",
        "WKST",
    }
)


class RuleError(ValueError):
    """The rule can't be used for this event; the message says why."""


class BudgetExceeded(Exception):
    """The file as a whole asks for too much work; the message names the event it ran out on."""


@dataclass
class Budget:
    """The work one file's recurrence rules may cost, shared by all its events."""

    clock: Callable[[], float] = time.monotonic
    examined: int = 0
    produced: int = 0
    seconds: float = 0.0
    max_examined: int = MAX_EXAMINED_PER_FILE
    max_produced: int = MAX_OCCURRENCES_PER_FILE
    max_seconds: float = MAX_SECONDS_PER_FILE


@dataclass(frozen=True)
class Rule:
    freq: str
    interval: int = 1
    count: int | None = None
    until: datetime | date | None = None
    months: tuple[int, ...] = ()
    monthdays: tuple[int, ...] = ()
    weekdays: tuple[tuple[int | None, int], ...] = ()  # (ordinal or None, weekday 0=MO)
    hours: tuple[int, ...] = ()
    minutes: tuple[int, ...] = ()
    seconds: tuple[int, ...] = ()
    setpos: tuple[int, ...] = ()
    wkst: int = 0


def parse_rule(text: str) -> Rule:
    """An RRULE value ("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=6"); raises RuleError."""
    parts: dict[str, str] = {}
    for part in text.strip().upper().split(";"):
        if not part:
            continue
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq or not value.strip():
            raise RuleError(f"“{part[:30]}” is not NAME=VALUE")
        if name in parts:
            raise RuleError(f"{name[:20]} is given twice")
        if name not in _KNOWN:
            if name in ("BYYEARDAY", "BYWEEKNO"):
                raise RuleError(f"{name} isn't supported; list the days with BYMONTH/BYMONTHDAY")
            raise RuleError(f"unknown part “{name[:20]}”")
        parts[name] = value.strip()
    freq = parts.get("FREQ", "")
    if freq in ("SECONDLY", "MINUTELY", "HOURLY"):
        raise RuleError(
            f"FREQ={freq} isn't supported: screenings repeat at most daily "
            "(use FREQ=DAILY with BYHOUR=14,19 for several a day)"
        )
    if freq not in _FREQS:
        raise RuleError("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise RuleError("a recurrence without COUNT or UNTIL never ends; give it an end")
    weekdays = tuple(_weekday(v, freq) for v in _values(parts, "BYDAY"))
    rule = Rule(
        freq=freq,
        interval=_number(parts.get("INTERVAL", "1"), "INTERVAL", 1, 1000),
        count=_number(parts["COUNT"], "COUNT", 1, 10**9) if "COUNT" in parts else None,
        until=_until(parts["UNTIL"]) if "UNTIL" in parts else None,
        months=_numbers(parts, "BYMONTH", 1, 12),
        monthdays=_numbers(parts, "BYMONTHDAY", -31, 31, zero=False),
        weekdays=tuple(dict.fromkeys(weekdays)),
        hours=_numbers(parts, "BYHOUR", 0, 23),
        minutes=_numbers(parts, "BYMINUTE", 0, 59),
        seconds=_numbers(parts, "BYSECOND", 0, 59),
        setpos=_numbers(parts, "BYSETPOS", -366, 366, zero=False),
        wkst=_weekday_name(parts.get("WKST", "MO")),
    )
    if max(1, len(rule.hours)) * max(1, len(rule.minutes)) * max(1, len(rule.seconds)) > (
        MAX_TIMES_PER_DAY
    ):
        raise RuleError(f"more than {MAX_TIMES_PER_DAY} times a day")
    if rule.freq == "WEEKLY" and rule.monthdays:
        raise RuleError("BYMONTHDAY can't be used with FREQ=WEEKLY")
    return rule


def _values(parts: dict[str, str], name: str) -> list[str]:
    if name not in parts:
        return []
    values = [v.strip() for v in parts[name].split(",")]
    if len(values) > 400 or not all(values):
        raise RuleError(f"{name} has an empty or too long list")
    return values


def _number(text: str, name: str, low: int, high: int, *, zero: bool = True) -> int:
    body = text[1:] if text[:1] in "+-" else text
    if not body.isascii() or not body.isdigit() or len(body) > 9:
        raise RuleError(f"{name} “{text[:12]}” is not a number")
    value = int(text)
    if not low <= value <= high or (value == 0 and not zero):
        raise RuleError(f"{name} {value} is out of range ({low} to {high})")
    return value


def _numbers(parts: dict[str, str], name: str, low: int, high: int, *, zero: bool = True) -> tuple:
    return tuple(
        dict.fromkeys(_number(v, name, low, high, zero=zero) for v in _values(parts, name))
    )


def _weekday_name(text: str) -> int:
    if text not in _WEEKDAYS:
        raise RuleError(f"“{text[:12]}” is not a weekday (MO … SU)")
    return _WEEKDAYS.index(text)


def _weekday(text: str, freq: str) -> tuple[int | None, int]:
    name = text[-2:]
    if len(text) == 2:
        return None, _weekday_name(name)
    if freq not in ("MONTHLY", "YEARLY"):
        raise RuleError(f"BYDAY “{text[:12]}”: a numbered weekday needs FREQ=MONTHLY or YEARLY")
    high = 5 if freq == "MONTHLY" else 53
    return _number(text[:-2], "BYDAY", -high, high, zero=False), _weekday_name(name)


def _until(text: str) -> datetime | date:
    try:
        if len(text) == 8:
            return datetime.strptime(text, "%Y%m%d").date()
        if len(text) == 16 and text.endswith("Z"):
            return datetime.strptime(text[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        if len(text) == 15:
            return datetime.strptime(text, "%Y%m%dT%H%M%S")
    except ValueError:
        pass
    raise RuleError(f"UNTIL “{text[:20]}” is not a date (20270131 or 20270131T235959Z)")


def occurrences(rule: Rule, start: datetime, budget: Budget, what: str) -> list[datetime]:
    """The starts the rule gives from `start` (the event's DTSTART), at most MAX_OCCURRENCES.

    Raises RuleError when this event asks too much and BudgetExceeded when the file does;
    `what` names the event in the second message.
    """
    rule = _with_start(rule, start)
    times = [clock_time(h, m, s) for h in rule.hours for m in rule.minutes for s in rule.seconds]
    out: list[datetime] = []
    began = budget.clock()
    examined = 0
    next_look = _CHECK_CLOCK_EVERY
    try:
        for cost, days in _periods(rule, start.date()):
            examined += cost + len(days) * len(times)
            if examined > MAX_EXAMINED_PER_EVENT:
                raise RuleError(
                    f"the recurrence looks at over {MAX_EXAMINED_PER_EVENT:,} dates without "
                    "finishing; write it so it matches sooner, or list the screenings"
                )
            if budget.examined + examined > budget.max_examined:
                raise BudgetExceeded(
                    f"the recurrence rules in this file look at over {budget.max_examined:,} "
                    f"dates in all; it ran out at {what}. Import the file in parts."
                )
            if examined >= next_look:
                next_look = examined + _CHECK_CLOCK_EVERY
                if budget.seconds + budget.clock() - began > budget.max_seconds:
                    raise BudgetExceeded(
                        f"expanding the recurrence rules took over {budget.max_seconds:g} s; "
                        f"it ran out at {what}. Import the file in parts."
                    )
            for moment in _select(rule, days, times, start.tzinfo):
                if moment < start:
                    continue
                if rule.until is not None and _after(moment, rule.until):
                    return out
                out.append(moment)
                if len(out) > MAX_OCCURRENCES:
                    raise RuleError(f"the recurrence makes more than {MAX_OCCURRENCES} screenings")
                if budget.produced + len(out) > budget.max_produced:
                    raise BudgetExceeded(
                        f"the recurrence rules in this file make over {budget.max_produced:,} "
                        f"screenings in all; it ran out at {what}. Import the file in parts."
                    )
                if rule.count is not None and len(out) >= rule.count:
                    return out
        return out
    finally:
        budget.examined += examined
        budget.produced += len(out)
        budget.seconds += budget.clock() - began


def _with_start(rule: Rule, start: datetime) -> Rule:
    """The rule with what DTSTART implies where the rule says nothing (RFC 5545 3.3.10)."""
    months, monthdays, weekdays = rule.months, rule.monthdays, rule.weekdays
    if rule.freq == "WEEKLY" and not weekdays:
        weekdays = ((None, start.weekday()),)
    if rule.freq in ("MONTHLY", "YEARLY") and not weekdays and not monthdays:
        monthdays = (start.day,)
        if rule.freq == "YEARLY" and not months:
            months = (start.month,)
    return replace(
        rule,
        months=months,
        monthdays=monthdays,
        weekdays=weekdays,
        hours=rule.hours or (start.hour,),
        minutes=rule.minutes or (start.minute,),
        seconds=rule.seconds or (start.second,),
    )


def _after(moment: datetime, until: datetime | date) -> bool:
    if isinstance(until, datetime):
        if (until.tzinfo is None) != (moment.tzinfo is None):
            # A UTC UNTIL on a floating start (or the reverse): compare the wall clocks.
            return moment.replace(tzinfo=None) > until.replace(tzinfo=None)
        return moment > until
    return moment.date() > until


def _select(
    rule: Rule, days: list[date], times: list[clock_time], tz: tzinfo | None
) -> list[datetime]:
    """The period's candidate starts, in order, after BYSETPOS."""
    candidates = [datetime.combine(d, t, tzinfo=tz) for d in days for t in times]
    if not rule.setpos:
        return candidates
    n = len(candidates)
    picked = {p - 1 if p > 0 else n + p for p in rule.setpos}
    return [candidates[i] for i in sorted(picked) if 0 <= i < n]


def _periods(rule: Rule, first: date) -> Iterator[tuple[int, list[date]]]:
    """(work, candidate days in order) for each period from DTSTART's, until year 9999."""
    try:
        if rule.freq == "DAILY":
            day = first
            while True:
                yield 1, [day] if _keeps(rule, day) else []
                day += timedelta(days=rule.interval)
        elif rule.freq == "WEEKLY":
            week = first - timedelta(days=(first.weekday() - rule.wkst) % 7)
            offsets = sorted({(wd - rule.wkst) % 7 for _, wd in rule.weekdays})
            while True:
                days = [week + timedelta(days=offset) for offset in offsets]
                yield len(offsets), [d for d in days if _keeps(rule, d)]
                week += timedelta(days=7 * rule.interval)
        elif rule.freq == "MONTHLY":
            year, month = first.year, first.month
            while year <= 9999:
                if rule.months and month not in rule.months:
                    yield 1, []
                else:
                    yield 31, _month_days(rule, year, month, in_year=False)
                month += rule.interval
                year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        else:
            year = first.year
            while year <= 9999:
                if rule.weekdays and not rule.months and not rule.monthdays:
                    yield 53 * len(rule.weekdays), _year_weekdays(rule, year)
                else:
                    months = rule.months or range(1, 13)
                    days = []
                    for month in sorted(months):
                        days += _month_days(rule, year, month, in_year=not rule.months)
                    yield 31 * len(months), days
                year += rule.interval
    except (OverflowError, ValueError):  # past year 9999: the calendar ends, so does the rule
        return


def _keeps(rule: Rule, day: date) -> bool:
    """BYMONTH, BYMONTHDAY and plain BYDAY as filters (DAILY and WEEKLY)."""
    if rule.months and day.month not in rule.months:
        return False
    if rule.monthdays:
        last = calendar.monthrange(day.year, day.month)[1]
        if not any(day.day == (d if d > 0 else last + 1 + d) for d in rule.monthdays):
            return False
    if rule.freq == "DAILY" and rule.weekdays:
        return any(day.weekday() == wd for _, wd in rule.weekdays)
    return True


def _month_days(rule: Rule, year: int, month: int, *, in_year: bool) -> list[date]:
    """The month's days that BYMONTHDAY and BYDAY allow (BYDAY ordinals count in the month,
    or in the year for a YEARLY rule without BYMONTH)."""
    last = calendar.monthrange(year, month)[1]
    numbers: range | list[int] = range(1, last + 1)
    if rule.monthdays:
        wanted = {d if d > 0 else last + 1 + d for d in rule.monthdays}
        numbers = [d for d in numbers if d in wanted]
    days = [date(year, month, d) for d in numbers]
    if not rule.weekdays:
        return days
    if in_year:
        allowed = set(_year_weekdays(rule, year))
        return [d for d in days if d in allowed]
    return [d for d in days if _weekday_matches(rule, d, last)]


def _weekday_matches(rule: Rule, day: date, last: int) -> bool:
    for ordinal, wd in rule.weekdays:
        if day.weekday() != wd:
            continue
        if ordinal is None:
            return True
        nth = (day.day - 1) // 7 + 1 if ordinal > 0 else -((last - day.day) // 7 + 1)
        if nth == ordinal:
            return True
    return False


def _year_weekdays(rule: Rule, year: int) -> list[date]:
    """BYDAY counted over a whole year: "20MO" is the year's 20th Monday."""
    first = date(year, 1, 1)
    out: set[date] = set()
    for ordinal, wd in rule.weekdays:
        first_match = first + timedelta(days=(wd - first.weekday()) % 7)
        matches = [first_match + timedelta(days=7 * k) for k in range(53)]
        matches = [d for d in matches if d.year == year]
        if ordinal is None:
            out.update(matches)
        elif abs(ordinal) <= len(matches):
            out.add(matches[ordinal - 1] if ordinal > 0 else matches[ordinal])
    return sorted(out)
