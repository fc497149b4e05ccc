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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path

from icalendar.parser import Contentline
from icalendar.prop import vDDDTypes

from bot.importers import recur
from bot.importers.errors import ImportProblem, excerpt
from bot.importers.recur import MAX_OCCURRENCES, Budget
from bot.importers.source import Progress, read_lines
from bot.importers.zones import ZoneError, named_zone, zone_for

__all__ = ["MAX_OCCURRENCES", "Budget"]

MAX_COMPONENT_LINES = 2000
MAX_UNFOLDED_CHARS = 64 * 1024  # one property after unfolding its continuation lines
MAX_COMPONENT_CHARS = 1024 * 1024  # one VEVENT or VTIMEZONE
UID_MAX = 200


class EventError(ValueError):
    """One VEVENT is wrong; the message is the reason shown next to its line."""


@dataclass(frozen=True)
class Component:
    kind: str  # VEVENT | VTIMEZONE
    line: int
    text: str


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


def components(path: Path, progress: Progress | None = None) -> Iterator[Component]:
    """The VTIMEZONE and VEVENT components of a calendar file, in order."""
    current: list[str] | None = None
    kind = ""
    start = 0
    depth = 0
    size = 0
    seen_calendar = False
    for logical_line, line in _unfolded(path, progress):
        upper = line.upper()
        if not seen_calendar:
            if upper.strip() == "":
                continue
            if upper.strip() != "BEGIN:VCALENDAR":
                raise ImportProblem(
                    f"{path}: line {logical_line} should be BEGIN:VCALENDAR; "
                    "this is not an iCalendar file."
                )
            seen_calendar = True
        elif current is None:
            if upper in ("BEGIN:VEVENT", "BEGIN:VTIMEZONE"):
                current, kind, start, depth, size = [line], upper[6:], logical_line, 1, len(line)
        else:
            current.append(line)
            size += len(line) + 2
            if upper.startswith("BEGIN:"):
                depth += 1
            elif upper.startswith("END:"):
                depth -= 1
            if depth == 0:
                yield Component(kind, start, "\r\n".join(current) + "\r\n")
                current = None
            elif len(current) > MAX_COMPONENT_LINES:
                raise ImportProblem(
                    f"{path}: the {kind} starting at line {start} runs over "
                    f"{MAX_COMPONENT_LINES} lines without its END."
                )
            elif size > MAX_COMPONENT_CHARS:
                raise ImportProblem(
                    f"{path}: the {kind} starting at line {start} is over "
                    f"{MAX_COMPONENT_CHARS // 1024} KiB; no event is that long."
                )
    if not seen_calendar:
        raise ImportProblem(f"{path} has no BEGIN:VCALENDAR: this is not an iCalendar file.")
    if current is not None:
        raise ImportProblem(f"{path}: the {kind} starting at line {start} never ends.")


def _unfolded(path: Path, progress: Progress | None) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each logical line, continuation lines joined.

    The pieces are kept in a list and counted as they come, so a line folded a million times
    costs no more than its length, and one over MAX_UNFOLDED_CHARS is never built: dropped if
    it is a property Marquee doesn't read (an inline attachment), refused if it is one it does.
    """
    parts: list[str] = []
    length = 0
    first = 0
    dropped = False
    for number, raw in _with_sentinel(read_lines(path, progress)):
        if raw is not None and raw[:1] in (" ", "\t") and (parts or dropped):
            if dropped:
                continue
            length += len(raw) - 1
            if length > MAX_UNFOLDED_CHARS:
                name = _name_of(parts[0])
                if name in WANTED or name in _ZONE_PROPERTIES:
                    raise ImportProblem(
                        f"{path}: the {excerpt(name, 30)} property at line {first} is longer "
                        f"than {MAX_UNFOLDED_CHARS // 1024} KiB once unfolded."
                    )
                parts, dropped = [], True
                continue
            parts.append(raw[1:])  # a folded line continues the previous one
            continue
        if parts:
            yield first, "".join(parts)
        if raw is None:
            break
        parts, length, first, dropped = [raw], len(raw), number, False


def _name_of(line: str) -> str:
    cut = min((i for i in (line.find(":"), line.find(";")) if i >= 0), default=len(line))
    return line[:cut].strip().upper()


def _with_sentinel(
    lines: Iterator[tuple[int, str]],
) -> Iterator[tuple[int, str | None]]:
    last = 0
    for number, text in lines:
        last = number
        yield number, text
    yield last + 1, None


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
        name, _params, value = _split(line)
        if name == "BEGIN":
            if value.strip().upper() not in ("STANDARD", "DAYLIGHT") or current is not None:
                raise EventError(f"the VTIMEZONE has an unexpected {excerpt(value, 20)} part")
            current = {}
            observances.append(current)
        elif name == "END":
            current = None
        elif current is not None and name in _ZONE_PROPERTIES:
            current.setdefault(name, []).append(value)
        elif current is None and name == "TZID":
            tzid = _unescape(value).strip()
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


_ZONE_PROPERTIES = frozenset({"DTSTART", "RRULE", "RDATE", "TZOFFSETFROM", "TZOFFSETTO"})


def _split(line: str) -> tuple[str, dict[str, str], str]:
    """(NAME, parameters, value as written) of one content line; raises EventError."""
    colon = line.find(":")
    head = line[:colon] if colon >= 0 else line
    name = head.split(";", 1)[0].strip().upper()
    if colon < 0:
        raise EventError(f"the {excerpt(name, 30)} line has no value (no “:”)")
    if '"' in head:
        try:
            _, params, value = Contentline(line).parts()
        except Exception as exc:
            raise EventError(f"the {excerpt(name, 30)} line can't be read") from exc
        # parts() has already unescaped; escape again so every value is handled alike.
        return name, {k.upper(): str(v) for k, v in params.items()}, _escape(value)
    params = {}
    for part in head.split(";")[1:]:
        key, eq, val = part.partition("=")
        if not eq:
            raise EventError(f"the {excerpt(name, 30)} line has a malformed parameter")
        params[key.strip().upper()] = val
    return name, params, line[colon + 1 :]


# Properties a screening is made of; everything else in a VEVENT is skipped unread.
WANTED = frozenset(
    {
        "UID",
        "SUMMARY",
        "LOCATION",
        "DTSTART",
        "RRULE",
        "EXDATE",
        "RECURRENCE-ID",
        "STATUS",
        "URL",
        "CATEGORIES",
        "X-MARQUEE-EVENT",
        "X-MARQUEE-FORMAT",
    }
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


@dataclass(frozen=True)
class Prop:
    params: dict[str, str]
    value: str  # as written (still escaped)


def properties(component: Component) -> dict[str, list[Prop]]:
    """The wanted properties of a VEVENT, by name (nested components such as VALARM skipped).

    Simple lines are split here; a line with quoted parameters goes through `icalendar`'s
    content-line parser. Splitting every line with it costs about 30 µs a line, which is most
    of an import of 100,000 events.
    """
    out: dict[str, list[Prop]] = {}
    depth = 0
    for line in component.text.split("\r\n")[1:]:
        upper = line[:6].upper()
        if upper == "BEGIN:":
            depth += 1
            continue
        if upper.startswith("END:"):
            depth -= 1
            continue
        if depth or not line:
            continue
        if _name_of(line) not in WANTED:
            continue
        name, params, value = _split(line)
        if name not in WANTED:
            continue
        prop = Prop(params, value)
        out.setdefault(name, []).append(prop)
    return out


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
    base = dict(
        line=line,
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
        return [CalendarScreening(key=key, starts_at=_aware(start), local=start, **base)]
    if "RRULE" not in props:
        return [CalendarScreening(key=uid, starts_at=_aware(start), local=start, **base)]
    out = []
    excluded = _excluded(props, zones)
    what = f"the event “{excerpt(title, 40)}” (UID {excerpt(uid, 40)}) at line {line}"
    for occurrence in _occurrences(props, start, budget, what):
        if _utc_stamp(occurrence) in excluded:
            continue
        key = f"{uid}/{_utc_stamp(occurrence)}"
        out.append(
            CalendarScreening(key=key, starts_at=_aware(occurrence), local=occurrence, **base)
        )
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
    return " ".join(_unescape(_first(props, name)).split())


def _unescape(text: str) -> str:
    """RFC 5545 TEXT: \\, \\; \\\\ and \\n, in one pass so "\\\\," stays a backslash and a comma."""
    return _ESCAPE.sub(lambda m: "\n" if m[1] in "nN" else m[1], text)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def _categories(props: dict[str, list[Prop]]) -> str:
    names: list[str] = []
    for prop in props.get("CATEGORIES", []):
        names += [" ".join(_unescape(n).split()) for n in re.split(r"(?<!\\),", prop.value)]
    return ", ".join(n for n in names if n)[:200]


def _aware(moment: datetime) -> datetime | None:
    return moment if moment.tzinfo is not None else None


def _utc_stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        return moment.strftime("%Y%m%dT%H%M%S")  # floating: the same wall clock everywhere
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
