"""Which import a screening came from: the identity stored in `Showtime.source`.

`remove_missing` cancels only screenings of the same source, so the identity must stay the
same when a moderator re-imports an updated programme, and differ between two programmes:

- a name the moderator gives (`--source`, `source=`) wins: "name:<name>";
- else a calendar's own name (X-WR-CALNAME), which survives re-exports and renamed
  downloads: "calendar:<name>";
- else the file's name, without the " (1)" a browser adds to a second download:
  "file:<name>". A CSV has no name of its own, so its file name is its identity.

Keys are case- and space-insensitive ("Festival.ICS" and "festival.ics" are one source).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from bot.importers.source import read_lines

KEY_MAX = 255  # Showtime.source
HEADER_LINES_MAX = 500  # a calendar's own properties come before its first component
NAME_LINE_MAX = 4 * KEY_MAX  # an unfolded X-WR-CALNAME is cut here; the key is cut to KEY_MAX
_COPY_MARK = re.compile(r"\s*\(\d{1,3}\)$")


@dataclass(frozen=True)
class Origin:
    key: str  # stored in Showtime.source
    label: str  # how a person is told, e.g. calendar “Nordlys Winter Film Days 2027”


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _shown(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def origin_of(path: Path, file_name: str, explicit: str | None = None) -> Origin:
    """The source identity of importing `path`, which the person knows as `file_name`."""
    if explicit and _key(explicit):
        return Origin(f"name:{_key(explicit)}"[:KEY_MAX], f"source “{_shown(explicit)}”")
    if path.suffix.lower() in (".ics", ".ical", ".ifb", ".icalendar"):
        name = calendar_name(path)
        if name and _key(name):
            return Origin(f"calendar:{_key(name)}"[:KEY_MAX], f"calendar “{_shown(name)}”")
    base = Path(file_name).name
    stem = _COPY_MARK.sub("", Path(base).stem)
    if stem:
        base = stem + Path(base).suffix
    return Origin(f"file:{_key(base)}"[:KEY_MAX], f"file “{_shown(base)}”")


def calendar_name(path: Path) -> str | None:
    """The calendar's X-WR-CALNAME, read from the lines before its first component."""
    logical: str | None = None
    for number, raw in read_lines(path):
        if number > HEADER_LINES_MAX:
            # Continuation lines count too: a folded name can't grow past the header's lines.
            return None
        if raw[:1] in (" ", "\t") and logical is not None:
            if len(logical) <= NAME_LINE_MAX:
                logical += raw[1:]
            continue
        found = _calname(logical)
        if found is not None:
            return found
        upper = raw.upper()
        if upper.startswith("BEGIN:") and upper != "BEGIN:VCALENDAR":
            return None
        logical = raw
    return _calname(logical)


def _calname(line: str | None) -> str | None:
    if line is None or not line.upper().startswith("X-WR-CALNAME"):
        return None
    name, sep, value = line.partition(":")
    if not sep or name.upper().split(";")[0] != "X-WR-CALNAME":
        return None
    # RFC 5545 TEXT escapes: \\ \; \, \n
    value = re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)
    return value.strip() or None
