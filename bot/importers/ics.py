"""iCalendar feeds, read one VEVENT at a time.

`icalendar` parses whole calendars; a festival feed is small but a city's listings may hold
100,000 events, so we cut the stream into components ourselves (unfolding continuation lines
and remembering where each starts, for the error message) and hand each one to `icalendar`.
Time zones come from the TZID (IANA names, and the Windows names `icalendar` knows) or from a
VTIMEZONE in the file. Recurring events (RRULE with COUNT or UNTIL, EXDATE) become one
screening per occurrence; an occurrence moved with RECURRENCE-ID replaces the generated one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from itertools import islice
from pathlib import Path

import icalendar
from dateutil.rrule import rrulestr
from icalendar.parser import Contentline
from icalendar.prop import vDDDTypes

from bot.importers.errors import ImportProblem
from bot.importers.source import Progress, read_lines
from bot.timefmt import is_known_zone

MAX_OCCURRENCES = 1000  # a recurrence that generates more is refused, not truncated
MAX_COMPONENT_LINES = 2000
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
    seen_calendar = False
    logical: str | None = None
    logical_line = 0
    for number, raw in _with_sentinel(read_lines(path, progress)):
        if raw is not None and raw[:1] in (" ", "\t") and logical is not None:
            logical += raw[1:]  # a folded line continues the previous one
            continue
        if logical is not None:
            line = logical
            upper = line.upper()
            if not seen_calendar:
                if upper.strip() == "":
                    pass
                elif upper.strip() != "BEGIN:VCALENDAR":
                    raise ImportProblem(
                        f"{path}: line {logical_line} should be BEGIN:VCALENDAR; "
                        "this is not an iCalendar file."
                    )
                else:
                    seen_calendar = True
            elif current is None:
                if upper in ("BEGIN:VEVENT", "BEGIN:VTIMEZONE"):
                    current, kind, start, depth = [line], upper[6:], logical_line, 1
            else:
                current.append(line)
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
        if raw is None:
            break
        logical, logical_line = raw, number
    if not seen_calendar:
        raise ImportProblem(f"{path} has no BEGIN:VCALENDAR: this is not an iCalendar file.")
    if current is not None:
        raise ImportProblem(f"{path}: the {kind} starting at line {start} never ends.")


def _with_sentinel(
    lines: Iterator[tuple[int, str]],
) -> Iterator[tuple[int, str | None]]:
    last = 0
    for number, text in lines:
        last = number
        yield number, text
    yield last + 1, None


def zone_of(component: Component) -> tuple[str, tzinfo]:
    """A VTIMEZONE as (TZID, tzinfo)."""
    try:
        tz = icalendar.Timezone.from_ical(component.text)
        tzid = str(tz.get("TZID", "")).strip()
        if not tzid:
            raise EventError("a VTIMEZONE without a TZID")
        return tzid, tz.to_tz()
    except EventError:
        raise
    except Exception as exc:  # icalendar raises many kinds for a malformed component
        raise EventError(f"the VTIMEZONE can't be read ({_short(exc)})") from exc


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
        colon = line.find(":")
        head = line[:colon] if colon >= 0 else line
        name = head.split(";", 1)[0].strip().upper()
        if name not in WANTED:
            continue
        if colon < 0:
            raise EventError(f"the {name} line has no value (no “:”)")
        if '"' in head:
            try:
                _, params, value = Contentline(line).parts()
            except Exception as exc:
                raise EventError(f"the {name} line can't be read ({_short(exc)})") from exc
            # parts() has already unescaped; escape again so every value is handled alike.
            prop = Prop({k.upper(): str(v) for k, v in params.items()}, _escape(value))
        else:
            params = {}
            for part in head.split(";")[1:]:
                key, eq, val = part.partition("=")
                if not eq:
                    raise EventError(f"the {name} line has a malformed parameter “{part[:30]}”")
                params[key.strip().upper()] = val
            prop = Prop(params, line[colon + 1 :])
        out.setdefault(name, []).append(prop)
    return out


def screenings(component: Component, zones: dict[str, tzinfo]) -> list[CalendarScreening]:
    """The screenings of one VEVENT; raises EventError with the reason it can't be used."""
    try:
        return _screenings(properties(component), component.line, zones)
    except EventError:
        raise
    except Exception as exc:  # icalendar and dateutil fail in many ways on malformed values
        raise EventError(f"the event can't be read ({_short(exc)})") from exc


def _screenings(
    props: dict[str, list[Prop]], line: int, zones: dict[str, tzinfo]
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
    for occurrence in _occurrences(props, start):
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
    value = _datetime(prop.value, tzid, name)
    if value.tzinfo is None and tzid:
        zone = zones.get(tzid)
        if zone is None:
            raise EventError(f"unknown time zone “{tzid[:60]}”")
        value = value.replace(tzinfo=zone)
    key = getattr(value.tzinfo, "key", None)
    if key is None and tzid and is_known_zone(tzid):
        key = tzid
    if key == "UTC":
        key = None  # a UTC time says nothing about where the cinema is
    return value, key


def _datetime(text: str, tzid: str, name: str) -> datetime:
    try:
        value = vDDDTypes.from_ical(text.strip(), timezone=tzid or None)
    except Exception:
        raise EventError(f"unparsable date in {name} “{_short(text, 40)}”") from None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        raise EventError(f"{name} is a date without a time (an all-day event, not a screening)")
    raise EventError(f"unparsable date in {name} “{_short(text, 40)}”")


def _occurrences(props: dict[str, list[Prop]], start: datetime) -> list[datetime]:
    rules = props["RRULE"]
    if len(rules) > 1:
        raise EventError("more than one RRULE")
    text = rules[0].value.strip()
    upper = text.upper()
    if "COUNT=" not in upper and "UNTIL=" not in upper:
        raise EventError("a recurrence without COUNT or UNTIL never ends; give it an end")
    try:
        rule_set = rrulestr(text, dtstart=start)
        found = list(islice(iter(rule_set), MAX_OCCURRENCES + 1))
    except (ValueError, TypeError, OverflowError) as exc:
        raise EventError(f"the recurrence rule can't be used ({_short(exc)})") from exc
    if len(found) > MAX_OCCURRENCES:
        raise EventError(f"the recurrence makes more than {MAX_OCCURRENCES} screenings")
    return found


def _excluded(props: dict[str, list[Prop]], zones: dict[str, tzinfo]) -> set[str]:
    out: set[str] = set()
    for prop in props.get("EXDATE", []):
        tzid = prop.params.get("TZID", "").strip()
        for text in prop.value.split(","):
            moment = _datetime(text, tzid, "EXDATE")
            if moment.tzinfo is None and tzid in zones:
                moment = moment.replace(tzinfo=zones[tzid])
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


def _short(value: object, n: int = 80) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= n else text[: n - 1] + "…"
