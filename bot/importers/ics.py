"""iCalendar feeds, read one VEVENT at a time.

`icalendar` parses whole calendars; a festival feed is small but a city's listings may hold
100,000 events, so we cut the stream into components ourselves (unfolding continuation lines
and remembering where each starts, for the error message) and hand each one to `icalendar`.
Time zones come from the TZID (IANA names, and the Windows names `icalendar` knows) or from a
VTIMEZONE in the file that Marquee can map to an IANA zone (bot/importers/zones.py): a
VTIMEZONE is never run as the file defines it. Recurring events (RRULE with COUNT or UNTIL,
EXDATE) become one screening per occurrence, expanded under a work budget per event and per
file (bot/importers/recur.py); an occurrence moved with RECURRENCE-ID replaces the generated one.

Sizes are bounded while reading: a physical line by `source.MAX_LINE_BYTES`, an unfolded line
by MAX_UNFOLDED_CHARS (a long line Marquee doesn't read is dropped, one it reads is refused),
a component by MAX_COMPONENT_LINES and MAX_COMPONENT_CHARS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, tzinfo

from icalendar.prop import vDDDTypes

from bot.importers import recur
from bot.importers.errors import ImportProblem, excerpt
from bot.importers.ics_reader import (
    ZONE_PROPERTIES,
    Component,
    EventError,
    Prop,
    components,
    properties,
    split_line,
    unescape,
)
from bot.importers.recur import MAX_OCCURRENCES, Budget
from bot.importers.zones import ZoneError, named_zone, zone_for

# Readers of a feed use this module alone; the stream reading lives in ics_reader.
__all__ = [
    "MAX_OCCURRENCES",
    "Budget",
    "Component",
    "EventError",
    "Prop",
    "components",
    "properties",
]
UID_MAX = 200


@dataclass(frozen=True)
class CalendarScreening:
    """One screening a VEVENT describes (one of several for a recurring event)."""

    line: int
    key: str  # the UID, or UID/<UTC start> for an occurrence of a recurring event
    title: str  # SUMMARY: the film, optionally with its year, "Solaris (1972)"
    location: str  # LOCATION: "Cinema, City" or "Cinema"
    starts_at: datetime | None  # aware; None for a floating time (the cinema's zone decides)
    local: datetime  # the wall-clock start as written
    zone_name: str | None  # the IANA zone of DTSTART, if it had one
    event: str | None  # X-MARQUEE-EVENT (what Marquee's export writes)
    url: str | None
    format: str | None  # X-MARQUEE-FORMAT, else the event's CATEGORIES
    cancelled: bool


def zone_of(component: Component, today: date | None = None) -> tuple[str, tzinfo]:
    """A VTIMEZONE as (TZID, an IANA zone it names or keeps the same time as).

    Read here line by line, not by `icalendar`, which would build (and cache process-wide,
    under its TZID) a zone that runs the file's own rules.
    """
    tzid = ""
    observances: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    for line in component.text.split("\r\n")[1:]:
        if not line:
            continue
        name, _params, value = split_line(line)
        if name == "BEGIN":
            if value.strip().upper() not in ("STANDARD", "DAYLIGHT") or current is not None:
                raise EventError(f"the VTIMEZONE has an unexpected {excerpt(value, 20)} part")
            current = {}
            observances.append(current)
        elif name == "END":
            current = None
        elif current is not None and name in ZONE_PROPERTIES:
            current.setdefault(name, []).append(value)
        elif current is None and name == "TZID":
            tzid = unescape(value).strip()
    if not tzid:
        raise EventError("a VTIMEZONE without a TZID")
    try:
        zone = zone_for(tzid, observances, today or datetime.now(UTC).date())
    except ZoneError as exc:
        raise EventError(
            f"the time zone “{excerpt(tzid)}” can't be used: {exc}. Name it by its IANA zone "
            "(TZID:Europe/Copenhagen)"
        ) from None
    return tzid, zone


def screenings(
    component: Component, zones: dict[str, tzinfo], budget: Budget | None = None
) -> list[CalendarScreening]:
    """The screenings of one VEVENT; raises EventError with the reason it can't be used, and
    ImportProblem when the file's recurrences together ask for too much (`budget`, shared by
    the file's events; without one, this event gets a budget of its own)."""
    try:
        return _screenings(properties(component), component.line, zones, budget or Budget())
    except (EventError, ImportProblem):
        raise
    except Exception as exc:  # icalendar fails in many ways on malformed values
        raise EventError(f"the event can't be read ({type(exc).__name__})") from exc


def _screenings(
    props: dict[str, list[Prop]], line: int, zones: dict[str, tzinfo], budget: Budget
) -> list[CalendarScreening]:
    uid = _text(props, "UID")
    if not uid:
        raise EventError("the event has no UID")
    if len(uid) > UID_MAX:
        raise EventError(f"UID longer than {UID_MAX} characters")
    title = _text(props, "SUMMARY")
    if not title:
        raise EventError("missing title (SUMMARY)")
    start, zone_name = _moment(props, "DTSTART", zones)
    # The event as its first screening; each other screening differs in key and start only.
    base = CalendarScreening(
        line=line,
        key=uid,
        starts_at=_aware(start),
        local=start,
        title=title,
        location=_text(props, "LOCATION"),
        event=_text(props, "X-MARQUEE-EVENT") or None,
        url=_first(props, "URL").strip() or None,
        format=_text(props, "X-MARQUEE-FORMAT") or _categories(props) or None,
        cancelled=_text(props, "STATUS").upper() == "CANCELLED",
        zone_name=zone_name,
    )
    if "RECURRENCE-ID" in props:
        original, _ = _moment(props, "RECURRENCE-ID", zones)
        key = f"{uid}/{_utc_stamp(original)}"
        return [replace(base, key=key)]
    if "RRULE" not in props:
        return [base]
    out = []
    excluded = _excluded(props, zones)
    what = f"the event “{excerpt(title, 40)}” (UID {excerpt(uid, 40)}) at line {line}"
    for occurrence in _occurrences(props, start, budget, what):
        if _utc_stamp(occurrence) in excluded:
            continue
        key = f"{uid}/{_utc_stamp(occurrence)}"
        out.append(replace(base, key=key, starts_at=_aware(occurrence), local=occurrence))
    return out


def override_key(component: Component, zones: dict[str, tzinfo]) -> str | None:
    """The key of the occurrence a RECURRENCE-ID event replaces, or None."""
    if "RECURRENCE-ID" not in component.text.upper():
        return None
    try:
        props = properties(component)
        uid = _text(props, "UID")
        if not uid or "RECURRENCE-ID" not in props:
            return None
        original, _ = _moment(props, "RECURRENCE-ID", zones)
    except Exception:  # the main pass reports it with its reason
        return None
    return f"{uid}/{_utc_stamp(original)}"


def _moment(
    props: dict[str, list[Prop]], name: str, zones: dict[str, tzinfo]
) -> tuple[datetime, str | None]:
    """A date-time property (aware unless floating) and its IANA zone name, if any."""
    found = props.get(name)
    if not found:
        raise EventError(f"missing start time ({name})")
    prop = found[0]
    tzid = prop.params.get("TZID", "").strip()
    value = _datetime(prop.value, name)
    if value.tzinfo is None and tzid:
        value = value.replace(tzinfo=_zone(tzid, zones))
    key = getattr(value.tzinfo, "key", None)
    if key == "UTC":
        key = None  # a UTC time says nothing about where the cinema is
    return value, key


def _zone(tzid: str, zones: dict[str, tzinfo]) -> tzinfo:
    """The zone a TZID parameter names: the file's VTIMEZONE of that name (already mapped to
    an IANA zone), else an IANA or Windows name."""
    zone = zones.get(tzid) or named_zone(tzid)
    if zone is None:
        raise EventError(f"unknown time zone “{excerpt(tzid)}”")
    return zone


def _datetime(text: str, name: str) -> datetime:
    # Never with icalendar's `timezone=`: its lookup would find a zone another file defined.
    try:
        value = vDDDTypes.from_ical(text.strip())
    except Exception:
        raise EventError(f"unparsable date in {name} “{excerpt(text.strip(), 40)}”") from None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        raise EventError(f"{name} is a date without a time (an all-day event, not a screening)")
    raise EventError(f"unparsable date in {name} “{excerpt(text.strip(), 40)}”")


def _occurrences(
    props: dict[str, list[Prop]], start: datetime, budget: Budget, what: str
) -> list[datetime]:
    rules = props["RRULE"]
    if len(rules) > 1:
        raise EventError("more than one RRULE")
    try:
        return recur.occurrences(recur.parse_rule(rules[0].value), start, budget, what)
    except recur.RuleError as exc:
        if "never ends" in str(exc):
            raise EventError(str(exc)) from None
        raise EventError(f"the recurrence rule can't be used: {exc}") from None
    except recur.BudgetExceeded as exc:
        raise ImportProblem(f"{exc} Nothing was written.") from None


def _excluded(props: dict[str, list[Prop]], zones: dict[str, tzinfo]) -> set[str]:
    out: set[str] = set()
    for prop in props.get("EXDATE", []):
        tzid = prop.params.get("TZID", "").strip()
        for text in prop.value.split(","):
            moment = _datetime(text, "EXDATE")
            if moment.tzinfo is None and tzid:
                moment = moment.replace(tzinfo=_zone(tzid, zones))
            out.add(_utc_stamp(moment))
    return out


def _first(props: dict[str, list[Prop]], name: str) -> str:
    found = props.get(name)
    return found[0].value if found else ""


def _text(props: dict[str, list[Prop]], name: str) -> str:
    return " ".join(unescape(_first(props, name)).split())


def _categories(props: dict[str, list[Prop]]) -> str:
    names: list[str] = []
    for prop in props.get("CATEGORIES", []):
        names += [" ".join(unescape(n).split()) for n in re.split(r"(?<!\\),", prop.value)]
    return ", ".join(n for n in names if n)[:200]


def _aware(moment: datetime) -> datetime | None:
    return moment if moment.tzinfo is not None else None


def _utc_stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        return moment.strftime("%Y%m%dT%H%M%S")  # floating: the same wall clock everywhere
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
