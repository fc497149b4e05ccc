"""Showtime rows from an iCalendar feed or a CSV listing, each checked on its own: a
ShowtimeInput, or a RowProblem saying what is wrong with it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from bot.importers import ics
from bot.importers.errors import ImportProblem, RowProblem, excerpt
from bot.importers.job import (
    ImportJob,
)
from bot.importers.source import read_records
from bot.normalize import normalize
from bot.timefmt import is_known_zone, zone

CSV_COLUMNS = {
    "film": "film",
    "title": "film",
    "year": "year",
    "cinema": "cinema",
    "city": "city",
    "time zone": "zone",
    "timezone": "zone",
    "time_zone": "zone",
    "tz": "zone",
    "start": "start",
    "starts": "start",
    "event": "event",
    "format": "format",
    "ticket link": "ticket",
    "ticket": "ticket",
    "ticket_url": "ticket",
    "uid": "uid",
}
REQUIRED = ("film", "cinema", "start")


class RowError(ValueError):
    """One row is wrong; the message is the reason shown next to its line number."""


@dataclass(frozen=True)
class ShowtimeInput:
    """One screening as the file describes it, before it is matched to the catalogue."""

    line: int
    key: str
    film: str  # title, optionally "Title (1972)"
    cinema: str
    city: str
    zone_name: str | None  # the zone the file gives for the start time
    local: datetime  # wall-clock start (naive), or aware if the file gave an offset
    event: str | None
    format: str | None
    ticket: str | None
    cancelled: bool = False
    floating: bool = True  # `local` is a wall-clock time in the cinema's (or given) zone


def calendar_rows(path: Path, job: ImportJob) -> Iterator[ShowtimeInput | RowProblem]:
    # First pass: which occurrences of recurring events are moved elsewhere (RECURRENCE-ID),
    # so the generated ones are left out wherever in the file the override comes.
    zones: dict[str, tzinfo] = {}
    overridden: set[str] = set()
    for component in ics.components(path):
        if component.kind == "VTIMEZONE":
            try:
                tzid, tz = ics.zone_of(component)
                zones[tzid] = tz
            except ics.EventError:
                pass
        else:
            key = ics.override_key(component, zones)
            if key:
                overridden.add(key)
    zones = {}
    budget = ics.Budget()  # the work all the file's recurrence rules may cost together
    for component in ics.components(path, job.progress):
        if component.kind == "VTIMEZONE":
            try:
                tzid, tz = ics.zone_of(component)
            except ics.EventError as exc:
                yield RowProblem(component.line, str(exc))
                continue
            zones[tzid] = tz
            continue
        try:
            found = ics.screenings(component, zones, budget)
        except ics.EventError as exc:
            yield RowProblem(component.line, str(exc))
            continue
        is_override = "RECURRENCE-ID" in component.text.upper()
        for s in found:
            if s.key in overridden and not is_override:
                continue
            name, _, city = (
                s.location.rpartition(",") if "," in s.location else (s.location, "", "")
            )
            yield ShowtimeInput(
                line=s.line,
                key=s.key,
                film=s.title,
                cinema=" ".join(name.split()) or s.location,
                city=" ".join(city.split()),
                zone_name=s.zone_name,
                local=s.starts_at if s.starts_at is not None else s.local,
                event=s.event,
                format=s.format,
                ticket=s.url,
                cancelled=s.cancelled,
                floating=s.starts_at is None,
            )


def csv_rows(path: Path, job: ImportJob) -> Iterator[ShowtimeInput | RowProblem]:
    header, records = read_records(path, progress=job.progress)
    names = [CSV_COLUMNS.get(h) for h in header]
    unknown = [h for h, n in zip(header, names, strict=True) if n is None and h]
    missing = [c for c in REQUIRED if c not in names]
    if missing or unknown:
        known = "film, year, cinema, city, time zone, start, event, format, ticket link, uid"
        what = f"no {', '.join(missing)} column" if missing else f"unknown column(s) {unknown}"
        raise ImportProblem(f"{path}: the header has {what}. Columns: {known}.")
    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            yield RowProblem(line, f"expected {len(names)} fields, found {len(cells)}")
            continue
        values = {n: " ".join(c.split()) for n, c in zip(names, cells, strict=True) if n}
        try:
            yield csv_row(line, values)
        except RowError as exc:
            yield RowProblem(line, str(exc))


def csv_row(line: int, values: dict[str, str]) -> ShowtimeInput:
    film = values.get("film", "")
    if not normalize(film):
        raise RowError("missing title")
    year = values.get("year", "")
    if year:
        if not year.isdecimal() or not 1870 <= int(year) <= 2100:
            raise RowError(f"year “{excerpt(year, 20)}” is not a year")
        film = f"{film} ({year})"
    cinema = values.get("cinema", "")
    if not normalize(cinema):
        raise RowError("missing cinema")
    zone_name = values.get("zone") or None
    if zone_name and not is_known_zone(zone_name):
        raise RowError(f"unknown time zone “{excerpt(zone_name)}”")
    text = values.get("start", "")
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        raise RowError(f"unparsable date “{excerpt(text, 40)}” (write 2025-07-25 18:30)") from None
    if len(text) <= 10:
        raise RowError(f"“{text}” has no time of day (write 2025-07-25 18:30)")
    uid = values.get("uid", "")
    if len(uid) > ics.UID_MAX:
        raise RowError(f"UID longer than {ics.UID_MAX} characters")
    # Without a UID column a screening is known by its cinema, start and film, so the same
    # listing imported twice is recognised.
    key = (
        uid
        or f"csv:{normalize(cinema)}|{normalize(values.get('city', ''))}|{text}|{normalize(film)}"
    )
    return ShowtimeInput(
        line=line,
        key=key[:255],
        film=film,
        cinema=cinema,
        city=values.get("city", ""),
        zone_name=zone_name,
        local=local,
        event=values.get("event") or None,
        format=values.get("format") or None,
        ticket=values.get("ticket") or None,
        floating=local.tzinfo is None,
    )


def to_utc(local: datetime, zone_name: str) -> datetime:
    """A wall-clock time in `zone_name` to UTC; refuses a time the clocks skip (DST)."""
    tz = zone(zone_name)
    aware = local.replace(tzinfo=tz)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        raise RowError(f"{local:%Y-%m-%d %H:%M} does not exist in {zone_name} (daylight saving)")
    return aware.astimezone(UTC)
