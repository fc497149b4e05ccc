"""The plan of a showtime import: rows matched in batches to films, cinemas and events and to
the screenings already stored, then applied in one short transaction (see
`bot.importers.showtimes`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.cards import film_label
from bot.importers.errors import ImportProblem, ProblemLog, RowProblem, excerpt
from bot.importers.job import (
    BATCH,
    PLANNED_BATCH,
    ImportJob,
)
from bot.importers.origin import Origin
from bot.importers.showtime_rows import RowError, ShowtimeInput, to_utc
from bot.importers.summary import ImportSummary
from bot.importers.tracker import KeyTracker
from bot.links import is_web_url
from bot.normalize import normalize
from bot.resolve import split_year
from bot.timefmt import is_known_zone, local_text, zone
from bot.types import film_label as label_of
from storage import film_queries, import_repo, limits, place_queries
from storage.import_repo import IMPORTED_FIELDS

MISSING_LISTED = 20
CHANGED_MEANWHILE = (
    "{what} changed while the file was being read{which}. Nothing was written; "
    "import the file again."
)


@dataclass(frozen=True)
class _Place:
    """A cinema a row is matched to; `id` is negative for one the import will add."""

    id: int
    timezone: str


@dataclass(frozen=True)
class _Resolved:
    line: int
    key: str
    values: tuple[Any, ...]  # IMPORTED_FIELDS; cinema and event ids may be planned (negative)


@dataclass(frozen=True)
class _NewCinema:
    name: str
    norm: str
    city: str
    city_norm: str
    timezone: str


class Planner:
    def __init__(
        self,
        session: Session,
        job: ImportJob,
        summary: ImportSummary,
        problems: ProblemLog,
        event: str | None,
        origin: Origin,
    ) -> None:
        self.session = session
        self.job = job
        self.summary = summary
        self.problems = problems
        self.default_event = event
        self.source = origin.key
        self.pending: list[tuple[ShowtimeInput, _Resolved | str]] = []
        self.seen = KeyTracker()
        self.films: dict[str, int | str] = {}
        self.cinemas: dict[tuple[str, str], _Place | str] = {}
        self.events: dict[str, int] = {}
        self.event_dates: dict[int, tuple[date, date]] = {}
        self.scope: set[tuple[int, int | None]] = set()  # (cinema, event) pairs in the file
        # What the apply step will write.
        self.new_cinemas: dict[int, _NewCinema] = {}
        self.new_events: dict[int, tuple[str, str]] = {}
        self.creates = import_repo.new_showtimes(session)
        self.updates = import_repo.changed_showtimes(
            session, (*IMPORTED_FIELDS, "source", "updated_at")
        )
        self.update_seen: dict[int, datetime] = {}  # updated rows: id -> updated_at when read
        self.adopted: list[int] = []  # unchanged rows that now belong to this source
        self.cancels: list[tuple[int, datetime]] = []  # (id, updated_at when read)

    # -- reading the file ------------------------------------------------------------------

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
                    RowProblem(
                        row.line, f"duplicate UID “{excerpt(row.key)}” (also line {repeats[i]})"
                    )
                )
            else:
                good.append(resolved)
        existing = import_repo.showtimes_by_uid(self.session, [r.key for r in good])
        now = self.job.now
        for r in good:
            current = existing.get(r.key)
            values = dict(zip(IMPORTED_FIELDS, r.values, strict=True))
            if current is None:
                if values["cancelled"]:
                    self.summary.skipped += 1  # a cancelled screening we never had
                    continue
                new = {"external_uid": r.key, "source": self.source, "demo": False}
                self.creates.add({**values, **new, "created_at": now, "updated_at": now})
                self.summary.created += 1
            elif current.values != r.values:
                changes = {"source": self.source, "updated_at": now, "row_id": current.id}
                self.updates.add({**values, **changes})
                self.update_seen[current.id] = current.updated_at
                self.summary.updated += 1
            else:
                self.summary.unchanged += 1
                if current.source != self.source:
                    self.adopted.append(current.id)
        self.job.announce(PLANNED_BATCH)

    def _resolve(self, row: ShowtimeInput) -> _Resolved:
        film_id = self._film(row.film)
        cinema = self._cinema(row)
        zone_name = row.zone_name or cinema.timezone
        starts_at = row.local if not row.floating else to_utc(row.local, zone_name)
        event_name = row.event or self.default_event
        event_id = self._event(event_name) if event_name else None
        ticket = row.ticket
        if ticket and not is_web_url(ticket):
            raise RowError(f"ticket link “{excerpt(ticket)}” is not an http(s) address")
        if ticket and len(ticket) > limits.TICKET_URL_MAX:
            raise RowError(f"ticket link longer than {limits.TICKET_URL_MAX} characters")
        fmt = row.format[: limits.FORMAT_MAX] if row.format else None
        self.scope.add((cinema.id, event_id))
        if event_id is not None:
            day = starts_at.astimezone(zone(cinema.timezone)).date()
            first, last = self.event_dates.get(event_id, (day, day))
            self.event_dates[event_id] = (min(first, day), max(last, day))
        values = (film_id, cinema.id, event_id, starts_at.astimezone(UTC), fmt, ticket)
        return _Resolved(row.line, row.key, (*values, row.cancelled))

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
        shown = excerpt(label_of(title, year))
        if res.choices:
            films = film_queries.get_films(self.session, res.choices)
            names = "; ".join(f"{film_label(films[f])} = #{f}" for f in res.choices if f in films)
            return f"film “{shown}” can't be matched: it could be {names}"
        if res.suggestions:
            films = film_queries.get_films(self.session, res.suggestions)
            names = "; ".join(f"{film_label(films[f])}" for f in res.suggestions if f in films)
            return f"film “{shown}” can't be matched: no such film; nearest: {names}"
        return f"film “{shown}” can't be matched: no such film in the catalogue"

    def _cinema(self, row: ShowtimeInput) -> _Place:
        key = (normalize(row.cinema), normalize(row.city))
        cached = self.cinemas.get(key)
        if cached is None:
            cached = self.cinemas[key] = self._match_cinema(row, *key)
        if isinstance(cached, str):
            raise RowError(cached)
        return cached

    def _match_cinema(self, row: ShowtimeInput, norm: str, city_norm: str) -> _Place | str:
        where = f"“{excerpt(row.cinema)}”" + (f" in {excerpt(row.city)}" if row.city else "")
        if not norm:
            return "missing cinema"
        if row.city and not city_norm:
            return f"city “{excerpt(row.city)}” has no letters or digits"
        found = place_queries.cinemas_matching(self.session, norm)
        if city_norm:
            found = [c for c in found if c.city_norm == city_norm]
        if len(found) == 1:
            return _Place(found[0].id, found[0].timezone)
        if len(found) > 1:
            names = ", ".join(f"{c.name} ({c.city})" for c in found[:6])
            return f"cinema {where} could be {names}; add its city"
        if not row.city or not row.zone_name or not is_known_zone(row.zone_name):
            return (
                f"unknown cinema {where}; give its city and an IANA time zone "
                "(e.g. Europe/Oslo) to add it"
            )
        # A new cinema's name and city are stored as given, so they must fit (storage/limits.py);
        # normal forms always fit, and cutting them would make the cinema unfindable.
        if len(row.cinema) > limits.CINEMA_NAME_MAX:
            return f"cinema name longer than {limits.CINEMA_NAME_MAX} characters"
        if len(row.city) > limits.CITY_MAX:
            return f"city longer than {limits.CITY_MAX} characters"
        planned = -1 - len(self.new_cinemas)
        self.new_cinemas[planned] = _NewCinema(row.cinema, norm, row.city, city_norm, row.zone_name)
        return _Place(planned, row.zone_name)

    def _event(self, name: str) -> int:
        norm = normalize(name)
        if not norm:
            # An event nobody could name again (nor find by `showtimes`) is refused.
            raise RowError(f"event “{excerpt(name)}” has no letters or digits")
        if norm in self.events:
            return self.events[norm]
        exact = [e for e in place_queries.events_matching(self.session, norm) if e.norm == norm]
        if exact:
            event_id = exact[0].id
        else:
            if len(name) > limits.EVENT_NAME_MAX:
                raise RowError(f"event name longer than {limits.EVENT_NAME_MAX} characters")
            event_id = -1 - len(self.new_events)
            self.new_events[event_id] = (name, norm)
        self.events[norm] = event_id
        return event_id

    def find_missing(self, remove: bool) -> None:
        """Upcoming screenings this source imported before that the file no longer lists:
        reported, and with `remove` cancelled. Only the same source's screenings (and, when
        an event is given, only that event's) are looked at."""
        event_id = None
        if self.default_event:
            norm = normalize(self.default_event)
            known = [
                e.id for e in place_queries.events_matching(self.session, norm) if e.norm == norm
            ]
            if not known:
                return  # a new event has no earlier screenings
            event_id = known[0]
        gone: list[tuple[int, datetime]] = []
        for chunk in import_repo.upcoming_from_source(
            self.session, self.source, event_id, self.job.now
        ):
            present = self.seen.contains([uid for _, uid, _ in chunk])
            gone += [(i, at) for (i, _, at), here in zip(chunk, present, strict=True) if not here]
        if not gone:
            return
        self.summary.missing_count = len(gone)
        listed = import_repo.showtimes_with_places(
            self.session, [i for i, _ in gone][:MISSING_LISTED]
        )
        self.summary.missing = [
            f"#{s.id} {film_label(s.film)} at {s.cinema.name}, "
            f"{local_text(s.starts_at, s.cinema.timezone)} (UID {s.external_uid})"
            for s in listed
        ]
        if remove and self.problems.count:
            # Rows left out as bad may be exactly the "missing" ones: never cancel on a guess.
            self.summary.kept_missing_because = (
                f"{self.problems.count} row(s) of the file were rejected"
            )
        elif remove and not len(self.seen):
            # An empty export is far likelier a mistake than a programme cancelled whole.
            self.summary.kept_missing_because = "the file lists no screenings at all"
        if remove and self.summary.kept_missing_because is None:
            self.cancels = gone
            self.summary.removed = len(gone)
        else:
            self.summary.missing_ids = [i for i, _ in gone]

    # -- writing -----------------------------------------------------------------------------

    def apply(self, session: Session) -> None:
        """Write the plan. Runs while holding the write lock: bulk statements only."""
        now = self.job.now
        cinemas, events = self._add_cinemas(session), self._add_events(session)
        remap = {"cinema_id": cinemas, "event_id": events}
        seen = {**self.update_seen, **dict(self.cancels)}
        stale = import_repo.stale_ids(session, seen)
        if stale:
            which = ", ".join(f"#{i}" for i in stale[:5]) + ("…" if len(stale) > 5 else "")
            what = f"{len(stale)} screening(s) this import would change were"
            raise ImportProblem(CHANGED_MEANWHILE.format(what=what, which=f" ({which})"))
        self.summary.created_ids = import_repo.insert_showtimes(
            session, self.creates, remap, self.source, now
        )
        if len(self.summary.created_ids) != len(self.creates):  # a broken assumption: refuse
            raise ImportProblem(CHANGED_MEANWHILE.format(what="The catalogue", which=""))
        import_repo.update_showtimes(session, self.updates, remap)
        self.summary.updated_ids = list(self.update_seen)
        import_repo.set_source(session, self.adopted, self.source)
        import_repo.cancel_showtimes(session, [i for i, _ in self.cancels], now)
        self.summary.removed_ids = [i for i, _ in self.cancels]
        for event_id, (first, last) in self.event_dates.items():
            linked = {cinemas.get(c, c) for c, e in self.scope if e == event_id}
            import_repo.widen_event(session, events.get(event_id, event_id), first, last, linked)

    def _add_cinemas(self, session: Session) -> dict[int, int]:
        """Planned cinemas as real ids; one added by someone else meanwhile is used, not
        duplicated."""
        ids: dict[int, int] = {}
        for planned, new in self.new_cinemas.items():
            found = [
                c
                for c in place_queries.cinemas_matching(session, new.norm)
                if c.city_norm == new.city_norm
            ]
            if len(found) == 1:
                ids[planned] = found[0].id
                continue
            cinema = import_repo.add_cinema(
                session,
                name=new.name,
                norm=new.norm,
                city=new.city,
                city_norm=new.city_norm,
                timezone=new.timezone,
            )
            ids[planned] = cinema.id
            self.summary.notes.append(
                f"added cinema {cinema.name}, {cinema.city} ({cinema.timezone})"
            )
        return ids

    def _add_events(self, session: Session) -> dict[int, int]:
        ids: dict[int, int] = {}
        for planned, (name, norm) in self.new_events.items():
            exact = [e for e in place_queries.events_matching(session, norm) if e.norm == norm]
            if exact:
                ids[planned] = exact[0].id
                continue
            ids[planned] = import_repo.add_event(session, name=name, norm=norm).id
            self.summary.notes.append(f"added event {name}")
        return ids
