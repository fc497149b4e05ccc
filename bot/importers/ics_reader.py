"""An iCalendar stream cut into components, one VEVENT or VTIMEZONE at a time, with their
properties: continuation lines unfolded, where each component starts remembered (for the error
message), and sizes bounded while reading (see `bot.importers.ics`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from icalendar.parser import Contentline

from bot.importers.errors import ImportProblem, excerpt
from bot.importers.source import Progress, read_lines

MAX_COMPONENT_LINES = 2000
MAX_UNFOLDED_CHARS = 64 * 1024  # one property after unfolding its continuation lines
MAX_COMPONENT_CHARS = 1024 * 1024  # one VEVENT or VTIMEZONE


class EventError(ValueError):
    """One VEVENT is wrong; the message is the reason shown next to its line."""


@dataclass(frozen=True)
class Component:
    kind: str  # VEVENT | VTIMEZONE
    line: int
    text: str


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
                if name in WANTED or name in ZONE_PROPERTIES:
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


def split_line(line: str) -> tuple[str, dict[str, str], str]:
    """(NAME, parameters, value as written) of one content line; raises EventError."""
    colon = line.find(":")
    head = line[:colon] if colon >= 0 else line
    name = head.split(";", 1)[0].strip().upper()
    if colon < 0:
        raise EventError(f"the {excerpt(name, 30)} line has no value (no “:”)")
    if '"' in head:
        try:
            _, found, value = Contentline(line).parts()
        except Exception as exc:
            raise EventError(f"the {excerpt(name, 30)} line can't be read") from exc
        # parts() has already unescaped; escape again so every value is handled alike.
        return name, {k.upper(): str(v) for k, v in found.items()}, _escape(value)
    params: dict[str, str] = {}
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
        name, params, value = split_line(line)
        if name not in WANTED:
            continue
        prop = Prop(params, value)
        out.setdefault(name, []).append(prop)
    return out


def unescape(text: str) -> str:
    """RFC 5545 TEXT: \\, \\; \\\\ and \\n, in one pass so "\\\\," stays a backslash and a comma."""
    return _ESCAPE.sub(lambda m: "\n" if m[1] in "nN" else m[1], text)


ZONE_PROPERTIES = frozenset({"DTSTART", "RRULE", "RDATE", "TZOFFSETFROM", "TZOFFSETTO"})


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")
