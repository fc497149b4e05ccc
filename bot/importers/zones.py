"""A calendar's VTIMEZONE mapped to an IANA zone, never run as the calendar defines it.

`icalendar` turns a VTIMEZONE into a dateutil zone that expands its rules on every
conversion: a 465-byte zone whose rule recurs every minute from 1601 grew the process without
end. Marquee only uses IANA zones. A TZID that names one (directly, as a Windows name, or at
the end of a "globally unique" /vendor/.../Europe/Oslo id) is that zone; otherwise the
VTIMEZONE's own offsets and transitions over three years around now are worked out here, from
the few rule shapes real zones use, and must match an IANA zone's exactly.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from bot.timefmt import is_known_zone

MAX_OBSERVANCES = 200  # STANDARD/DAYLIGHT blocks in one VTIMEZONE
MAX_RDATES = 2000  # RDATE values in one VTIMEZONE
_OFFSET = re.compile(r"([+-])(\d{2})(\d{2})(\d{2})?")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class ZoneError(ValueError):
    """The VTIMEZONE can't be used; the message says why."""


class MatchedZone(tzinfo):
    """An IANA zone standing in for a VTIMEZONE with the same clock changes. It has no `key`,
    so nothing takes the VTIMEZONE for a named zone (a new cinema still needs a real one)."""

    def __init__(self, zone: ZoneInfo, tzid: str) -> None:
        self.zone = zone
        self.tzid = tzid

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return self.zone.utcoffset(None if dt is None else dt.replace(tzinfo=None))

    def dst(self, dt: datetime | None) -> timedelta | None:
        return self.zone.dst(None if dt is None else dt.replace(tzinfo=None))

    def tzname(self, dt: datetime | None) -> str | None:
        return self.zone.tzname(None if dt is None else dt.replace(tzinfo=None))

    def fromutc(self, dt: datetime) -> datetime:
        return self.zone.fromutc(dt.replace(tzinfo=self.zone)).replace(tzinfo=self)

    def __repr__(self) -> str:
        return f"MatchedZone({self.zone.key!r} for {self.tzid!r})"


def named_zone(tzid: str) -> ZoneInfo | None:
    """The IANA zone a TZID names, or None."""
    name = tzid.strip()
    if not name or len(name) > 200:
        return None
    candidates = [name.strip("/")]
    if name in WINDOWS_TO_OLSON:
        candidates.append(WINDOWS_TO_OLSON[name])
    if name.startswith("/"):
        parts = name.strip("/").split("/")
        candidates += ["/".join(parts[i:]) for i in range(1, len(parts))]
    for candidate in candidates:
        if is_known_zone(candidate):
            return ZoneInfo(candidate)
    return None


def zone_for(tzid: str, observances: list[dict[str, list[str]]], today: date) -> tzinfo:
    """The zone for a VTIMEZONE: the IANA zone it names, or one that keeps the same time
    as it over the three years around `today`. Raises ZoneError."""
    named = named_zone(tzid)
    if named is not None:
        return named
    if not observances:
        raise ZoneError("it has no STANDARD or DAYLIGHT part")
    if len(observances) > MAX_OBSERVANCES:
        raise ZoneError(f"it has over {MAX_OBSERVANCES} STANDARD/DAYLIGHT parts")
    window = (
        datetime(today.year - 1, 1, 1, tzinfo=UTC),
        datetime(today.year + 2, 1, 1, tzinfo=UTC),
    )
    signature = _signature(observances, window)
    found = _matching_zone(signature, _words(tzid))
    if found is None:
        raise ZoneError("its clock changes match no IANA time zone")
    return MatchedZone(ZoneInfo(found), tzid)


# A VTIMEZONE as seen over the window: the offset at its start, then (instant, new offset).
Signature = tuple[tuple[datetime, datetime], timedelta, tuple[tuple[datetime, timedelta], ...]]


def _signature(
    observances: list[dict[str, list[str]]], window: tuple[datetime, datetime]
) -> Signature:
    changes: list[tuple[datetime, timedelta, timedelta]] = []  # (instant, from, to)
    rdates = 0
    for props in observances:
        offset_from = _offset(_one(props, "TZOFFSETFROM"))
        offset_to = _offset(_one(props, "TZOFFSETTO"))
        start = _local(_one(props, "DTSTART"), "DTSTART")
        locals_: list[datetime] = []
        rules = props.get("RRULE", [])
        if len(rules) > 1:
            raise ZoneError("a part has more than one RRULE")
        if rules:
            locals_ += _yearly(rules[0], start, window)
        else:
            locals_.append(start)
        for value in props.get("RDATE", []):
            for text in value.split(","):
                rdates += 1
                if rdates > MAX_RDATES:
                    raise ZoneError(f"it has over {MAX_RDATES} RDATE values")
                locals_.append(_local(text.split("/")[0], "RDATE"))
        changes += [
            (moment.replace(tzinfo=UTC) - offset_from, offset_from, offset_to) for moment in locals_
        ]
    changes.sort(key=lambda c: c[0])
    before = [c for c in changes if c[0] <= window[0]]
    inside = tuple((c[0], c[2]) for c in changes if window[0] < c[0] < window[1])
    if before:
        at_start = before[-1][2]
    elif changes:
        at_start = changes[0][1]
    else:
        raise ZoneError("it has no clock times")
    return window, at_start, inside


def _one(props: dict[str, list[str]], name: str) -> str:
    values = props.get(name, [])
    if len(values) != 1:
        raise ZoneError(f"a STANDARD/DAYLIGHT part needs exactly one {name}")
    return values[0].strip()


def _offset(text: str) -> timedelta:
    m = _OFFSET.fullmatch(text)
    if not m or int(m[2]) > 18 or int(m[3]) > 59 or int(m[4] or 0) > 59:
        raise ZoneError(f"“{text[:12]}” is not a UTC offset (+0100)")
    value = timedelta(hours=int(m[2]), minutes=int(m[3]), seconds=int(m[4] or 0))
    return -value if m[1] == "-" else value


def _local(text: str, name: str) -> datetime:
    try:
        return datetime.strptime(text.strip(), "%Y%m%dT%H%M%S")
    except ValueError:
        raise ZoneError(f"{name} “{text[:20]}” is not a local date-time") from None


def _yearly(text: str, start: datetime, window: tuple[datetime, datetime]) -> list[datetime]:
    """The local times a zone's yearly rule changes the clocks near the window — without
    iterating it: one date per year, computed from BYMONTH and BYDAY/BYMONTHDAY."""
    parts = dict(p.partition("=")[::2] for p in text.strip().upper().split(";") if p)
    allowed = {"FREQ", "BYMONTH", "BYDAY", "BYMONTHDAY", "UNTIL", "COUNT", "INTERVAL", "WKST"}
    if parts.get("FREQ") != "YEARLY" or not set(parts) <= allowed:
        raise ZoneError("its rule is not a yearly clock change (FREQ=YEARLY;BYMONTH=…;BYDAY=…)")
    if parts.get("INTERVAL", "1") != "1":
        raise ZoneError("its yearly rule skips years")
    month_text = parts.get("BYMONTH", str(start.month))
    if not month_text.isdigit() or not 1 <= int(month_text) <= 12:
        raise ZoneError("its yearly rule needs one BYMONTH")
    month = int(month_text)
    last_year = 9999
    if "UNTIL" in parts:
        until = parts["UNTIL"].rstrip("Z")
        last_year = _local(until if "T" in until else until + "T235959", "UNTIL").year
    if "COUNT" in parts:
        if not parts["COUNT"].isdigit() or len(parts["COUNT"]) > 4:
            raise ZoneError("its yearly rule has a bad COUNT")
        last_year = min(last_year, start.year + int(parts["COUNT"]) - 1)
    # The years that decide the offset in the window: those in it, and the last one before.
    first = max(start.year, min(window[0].year, last_year) - 1)
    last = min(last_year, window[1].year)
    out = []
    for year in range(first, last + 1):
        day = _day_in(year, month, parts.get("BYDAY"), parts.get("BYMONTHDAY"), start.day)
        moment = datetime.combine(day, start.time())
        if moment >= start:
            out.append(moment)
    return out


def _day_in(year: int, month: int, byday: str | None, bymonthday: str | None, default: int) -> date:
    last = calendar.monthrange(year, month)[1]
    days = list(range(1, last + 1))
    if bymonthday:
        wanted = set()
        for text in bymonthday.split(","):
            if not text.lstrip("-").isdigit() or len(text) > 3:
                raise ZoneError("its yearly rule has a bad BYMONTHDAY")
            n = int(text)
            wanted.add(n if n > 0 else last + 1 + n)
        days = [d for d in days if d in wanted]
    if byday:
        if "," in byday or byday[-2:] not in _WEEKDAYS:
            raise ZoneError("its yearly rule needs one BYDAY weekday")
        weekday = _WEEKDAYS.index(byday[-2:])
        ordinal_text = byday[:-2]
        matches = [d for d in days if date(year, month, d).weekday() == weekday]
        if ordinal_text:
            if not ordinal_text.lstrip("+-").isdigit() or len(ordinal_text) > 3:
                raise ZoneError("its yearly rule has a bad BYDAY")
            n = int(ordinal_text)
            if n == 0 or abs(n) > len(matches):
                raise ZoneError("its yearly rule names a weekday the month doesn't have")
            matches = [matches[n - 1] if n > 0 else matches[n]]
        days = matches
    elif not bymonthday:
        days = [d for d in days if d == default]
    if len(days) != 1:
        raise ZoneError("its yearly rule doesn't give one day a year")
    return date(year, month, days[0])


def _words(tzid: str) -> frozenset[str]:
    return frozenset(w for w in re.split(r"[^a-z]+", tzid.lower()) if len(w) > 2)


@lru_cache(maxsize=256)
def _matching_zone(signature: Signature, words: frozenset[str]) -> str | None:
    """The IANA zone (one whose city the TZID names, if several) that keeps the same time."""
    (start, end), at_start, changes = signature
    samples = [(start, at_start)]
    offset = at_start
    for moment, new in changes:
        samples += [(moment - timedelta(seconds=1), offset), (moment, new)]
        offset = new
    # Weekly samples between the changes catch a zone with extra ones.
    probe, index, offset = start, 0, at_start
    while probe < end:
        while index < len(changes) and changes[index][0] <= probe:
            offset = changes[index][1]
            index += 1
        samples.append((probe, offset))
        probe += timedelta(days=7)
    found = [
        name
        for name in _candidates(samples[len(samples) // 2])
        if all(moment.astimezone(_zone(name)).utcoffset() == off for moment, off in samples)
    ]
    if not found:
        return None
    named = [n for n in found if _words(n.rsplit("/", 1)[-1]) & words]
    return (named or found)[0]


def _candidates(probe: tuple[datetime, timedelta]) -> list[str]:
    """Zones with the right offset at one instant: a cheap first cut of about 600 zones."""
    moment, offset = probe
    return [n for n in _all_zones() if moment.astimezone(_zone(n)).utcoffset() == offset]


@lru_cache(maxsize=1)
def _all_zones() -> tuple[str, ...]:
    # Region/City names first (what a person would recognise), then the rest.
    names = sorted(n for n in available_timezones() if n != "localtime" and "posix" not in n)
    return tuple(sorted(names, key=lambda n: ("/" not in n or n.startswith("Etc/"), n)))


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
