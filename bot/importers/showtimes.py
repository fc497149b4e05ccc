"""Showtimes from an iCalendar feed or a CSV listing, matched to films, cinemas and events.

Each row is checked on its own (film, cinema, time zone, time) and then in batches against the
rest of the file (a UID may appear once) and the database (an existing UID is an update).
Everything happens in one unit of work: a bad row anywhere rolls the whole file back unless
the job skips invalid rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from bot.cards import film_label
from bot.importers import ics
from bot.importers.errors import ImportProblem, ProblemLog, RowProblem
from bot.importers.job import BATCH, ImportJob, finish
from bot.importers.source import read_records
from bot.importers.summary import ImportSummary
from bot.importers.tracker import KeyTracker
from bot.normalize import normalize
from bot.resolve import split_year
from bot.timefmt import is_known_zone, local_text, zone
from storage import repo
from storage.models import Cinema, Event, EventCinema, Showtime

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
MISSING_LISTED = 20
UPDATED_FIELDS = (
    "film_id",
    "cinema_id",
    "event_id",
    "starts_at",
    "format",
    "ticket_url",
    "cancelled",
)


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


def import_showtimes(
    job: ImportJob,
    path: Path,
    *,
    event: str | None = None,
    remove_missing: bool = False,
) -> ImportSummary:
    """Import one file; `event` puts every screening in that festival or season."""
    summary = ImportSummary("showtimes", str(path))
    problems = job.problem_log()
    if path.suffix.lower() in (".ics", ".ical", ".ifb", ".icalendar"):
        rows: Iterator[ShowtimeInput | RowProblem] = _calendar_rows(path, job)
    else:
        rows = _csv_rows(path, job)
    with job.db.session() as session:
        writer = _ShowtimeWriter(session, job, summary, problems, event)
        for item in rows:
            if isinstance(item, RowProblem):
                problems.add(item)
            else:
                writer.add(item)
        writer.flush()
        writer.finish_events()
        writer.report_missing(remove_missing)
        finish(job, session, summary, problems, "showtime")
    return summary


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def _calendar_rows(path: Path, job: ImportJob) -> Iterator[ShowtimeInput | RowProblem]:
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
            found = ics.screenings(component, zones)
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


def _csv_rows(path: Path, job: ImportJob) -> Iterator[ShowtimeInput | RowProblem]:
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
            yield _csv_row(line, values)
        except RowError as exc:
            yield RowProblem(line, str(exc))


def _csv_row(line: int, values: dict[str, str]) -> ShowtimeInput:
    film = values.get("film", "")
    if not normalize(film):
        raise RowError("missing title")
    year = values.get("year", "")
    if year:
        if not year.isdecimal() or not 1870 <= int(year) <= 2100:
            raise RowError(f"year “{year[:20]}” is not a year")
        film = f"{film} ({year})"
    cinema = values.get("cinema", "")
    if not normalize(cinema):
        raise RowError("missing cinema")
    zone_name = values.get("zone") or None
    if zone_name and not is_known_zone(zone_name):
        raise RowError(f"unknown time zone “{zone_name[:60]}”")
    text = values.get("start", "")
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        raise RowError(f"unparsable date “{text[:40]}” (write 2025-07-25 18:30)") from None
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


# ---------------------------------------------------------------------------------------------
# Matching and writing
# ---------------------------------------------------------------------------------------------


@dataclass
class _Resolved:
    line: int
    key: str
    values: dict[str, Any]  # Showtime columns


class _ShowtimeWriter:
    def __init__(
        self,
        session: Session,
        job: ImportJob,
        summary: ImportSummary,
        problems: ProblemLog,
        event: str | None,
    ) -> None:
        self.session = session
        self.job = job
        self.summary = summary
        self.problems = problems
        self.default_event = event
        self.pending: list[tuple[ShowtimeInput, _Resolved | str]] = []
        self.seen = KeyTracker()
        self.films: dict[str, int | str] = {}
        self.cinemas: dict[tuple[str, str], Cinema | str] = {}
        self.events: dict[str, int] = {}
        self.event_dates: dict[int, tuple[date, date]] = {}
        self.scope: set[tuple[int, int | None]] = set()  # (cinema, event) pairs in the file

    def add(self, row: ShowtimeInput) -> None:
        try:
            resolved: _Resolved | str = self._resolve(row)
        except RowError as exc:
            resolved = str(exc)
        self.pending.append((row, resolved))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        repeats = self.seen.add_batch([r.key for r, _ in batch], [r.line for r, _ in batch])
        good: list[_Resolved] = []
        for i, (row, resolved) in enumerate(batch):
            if isinstance(resolved, str):
                self.problems.add(RowProblem(row.line, resolved))
            elif i in repeats:
                self.problems.add(
                    RowProblem(row.line, f"duplicate UID “{row.key[:60]}” (also line {repeats[i]})")
                )
            else:
                good.append(resolved)
        existing = {
            s.external_uid: s
            for s in self.session.scalars(
                select(Showtime).where(Showtime.external_uid.in_([r.key for r in good]))
            )
        }
        new: list[dict[str, Any]] = []
        for r in good:
            current = existing.get(r.key)
            if current is None:
                if r.values["cancelled"]:
                    self.summary.skipped += 1  # a cancelled screening we never had
                    continue
                new.append(
                    {**r.values, "external_uid": r.key, "demo": False, "created_at": self.job.now}
                )
                continue
            if all(getattr(current, f) == r.values[f] for f in UPDATED_FIELDS):
                self.summary.unchanged += 1
                continue
            for f in UPDATED_FIELDS:
                setattr(current, f, r.values[f])
            current.updated_at = self.job.now
            self.summary.updated += 1
        if new:
            self.session.connection().execute(insert(Showtime.__table__), new)
            self.summary.created += len(new)
        self.session.flush()

    def _resolve(self, row: ShowtimeInput) -> _Resolved:
        film_id = self._film(row.film)
        cinema = self._cinema(row)
        zone_name = row.zone_name or cinema.timezone
        starts_at = row.local if not row.floating else _to_utc(row.local, zone_name)
        event_name = row.event or self.default_event
        event_id = self._event(event_name) if event_name else None
        ticket = row.ticket
        if ticket and (
            urlparse(ticket).scheme not in ("http", "https") or not urlparse(ticket).netloc
        ):
            raise RowError(f"ticket link “{ticket[:60]}” is not an http(s) address")
        if ticket and len(ticket) > 500:
            raise RowError("ticket link longer than 500 characters")
        fmt = row.format[:200] if row.format else None
        self.scope.add((cinema.id, event_id))
        if event_id is not None:
            day = starts_at.astimezone(zone(cinema.timezone)).date()
            first, last = self.event_dates.get(event_id, (day, day))
            self.event_dates[event_id] = (min(first, day), max(last, day))
        return _Resolved(
            row.line,
            row.key,
            {
                "film_id": film_id,
                "cinema_id": cinema.id,
                "event_id": event_id,
                "starts_at": starts_at.astimezone(UTC),
                "format": fmt,
                "ticket_url": ticket,
                "cancelled": row.cancelled,
                "updated_at": self.job.now,
            },
        )

    def _film(self, text: str) -> int:
        cached = self.films.get(text)
        if cached is None:
            cached = self.films[text] = self._match_film(text)
        if isinstance(cached, str):
            raise RowError(cached)
        return cached

    def _match_film(self, text: str) -> int | str:
        res = self.job.resolver.resolve(self.session, text)
        if res.film_id is not None:
            return res.film_id
        title, year = split_year(text)
        shown = f"{title} ({year})" if year else title
        if res.choices:
            films = repo.get_films(self.session, res.choices)
            names = "; ".join(f"{film_label(films[f])} = #{f}" for f in res.choices if f in films)
            return f"film “{shown}” can't be matched: it could be {names}"
        if res.suggestions:
            films = repo.get_films(self.session, res.suggestions)
            names = "; ".join(f"{film_label(films[f])}" for f in res.suggestions if f in films)
            return f"film “{shown}” can't be matched: no such film; nearest: {names}"
        return f"film “{shown}” can't be matched: no such film in the catalogue"

    def _cinema(self, row: ShowtimeInput) -> Cinema:
        key = (normalize(row.cinema), normalize(row.city))
        cached = self.cinemas.get(key)
        if cached is None:
            cached = self.cinemas[key] = self._match_cinema(row, *key)
        if isinstance(cached, str):
            raise RowError(cached)
        return cached

    def _match_cinema(self, row: ShowtimeInput, norm: str, city_norm: str) -> Cinema | str:
        where = f"“{row.cinema}”" + (f" in {row.city}" if row.city else "")
        if not norm:
            return "missing cinema"
        found = repo.cinemas_matching(self.session, norm)
        if city_norm:
            found = [c for c in found if c.city_norm == city_norm]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(f"{c.name} ({c.city})" for c in found[:6])
            return f"cinema {where} could be {names}; add its city"
        if not row.city or not row.zone_name or not is_known_zone(row.zone_name):
            return (
                f"unknown cinema {where}; give its city and an IANA time zone "
                "(e.g. Europe/Oslo) to add it"
            )
        cinema = Cinema(
            name=row.cinema[:200],
            norm=norm[:200],
            city=row.city[:100],
            city_norm=city_norm[:100],
            timezone=row.zone_name,
        )
        self.session.add(cinema)
        self.session.flush()
        self.summary.notes.append(f"added cinema {cinema.name}, {cinema.city} ({cinema.timezone})")
        return cinema

    def _event(self, name: str) -> int:
        norm = normalize(name)
        if norm in self.events:
            return self.events[norm]
        exact = [e for e in repo.events_matching(self.session, norm) if e.norm == norm]
        if exact:
            event_id = exact[0].id
        else:
            event = Event(name=name[:200], norm=norm[:200])
            self.session.add(event)
            self.session.flush()
            event_id = event.id
            self.summary.notes.append(f"added event {event.name}")
        self.events[norm] = event_id
        return event_id

    def finish_events(self) -> None:
        """Widen each event's dates to its screenings and link it to their cinemas."""
        for event_id, (first, last) in self.event_dates.items():
            event = self.session.get(Event, event_id)
            if event is None:
                continue
            event.starts_on = min(first, event.starts_on) if event.starts_on else first
            event.ends_on = max(last, event.ends_on) if event.ends_on else last
            linked = {
                c
                for (c,) in self.session.execute(
                    select(EventCinema.cinema_id).where(EventCinema.event_id == event_id)
                )
            }
            for cinema_id in {c for c, e in self.scope if e == event_id} - linked:
                self.session.add(EventCinema(event_id=event_id, cinema_id=cinema_id))
        self.session.flush()

    def report_missing(self, remove: bool) -> None:
        """Upcoming imported screenings this file no longer lists: reported, and with `remove`
        cancelled. The file speaks for the events it names and, for screenings outside any
        event, for the cinemas it lists; a festival feed never cancels a cinema's own listings.
        """
        cinema_ids = sorted({c for c, _ in self.scope})
        event_ids = sorted({e for _, e in self.scope if e is not None})
        if not cinema_ids:
            return
        query = (
            select(Showtime)
            .where(
                or_(Showtime.cinema_id.in_(cinema_ids), Showtime.event_id.in_(event_ids)),
                Showtime.external_uid.is_not(None),
                Showtime.cancelled.is_(False),
                Showtime.starts_at >= self.job.now,
            )
            .order_by(Showtime.starts_at, Showtime.id)
            .execution_options(yield_per=BATCH)
        )
        gone: list[int] = []
        chunk: list[Showtime] = []
        for showtime in self.session.scalars(query):
            if showtime.event_id in event_ids or (showtime.cinema_id, None) in self.scope:
                chunk.append(showtime)
            if len(chunk) >= BATCH:
                gone += self._not_in_file(chunk)
                chunk = []
        gone += self._not_in_file(chunk)
        self.summary.missing_count = len(gone)
        if remove and gone:
            for start in range(0, len(gone), BATCH):
                self.session.execute(
                    update(Showtime)
                    .where(Showtime.id.in_(gone[start : start + BATCH]))
                    .values(cancelled=True, updated_at=self.job.now)
                )
            self.summary.removed = len(gone)
            self.summary.removed_ids = gone[:1000]

    def _not_in_file(self, chunk: list[Showtime]) -> list[int]:
        present = self.seen.contains([s.external_uid or "" for s in chunk])
        out = []
        for showtime, here in zip(chunk, present, strict=True):
            if here:
                continue
            out.append(showtime.id)
            if len(self.summary.missing) < MISSING_LISTED:
                self.summary.missing.append(
                    f"#{showtime.id} {film_label(showtime.film)} at {showtime.cinema.name}, "
                    f"{local_text(showtime.starts_at, showtime.cinema.timezone)} "
                    f"(UID {showtime.external_uid})"
                )
        return out


def _to_utc(local: datetime, zone_name: str) -> datetime:
    """A wall-clock time in `zone_name` to UTC; refuses a time the clocks skip (DST)."""
    tz = zone(zone_name)
    aware = local.replace(tzinfo=tz)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        raise RowError(f"{local:%Y-%m-%d %H:%M} does not exist in {zone_name} (daylight saving)")
    return aware.astimezone(UTC)
