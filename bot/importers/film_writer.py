"""Writes a stream of film rows in batches: new films in bulk (`storage.catalogue_writes`), an
existing film (same external id, or for rows without one the same title and year) compared and
only rewritten, through `bot.catalogue`, if it changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from bot.catalogue import FilmFields, apply_fields, create_film, fields_of
from bot.importers.errors import ProblemLog, RowProblem, excerpt
from bot.importers.film_rows import SIMPLE, FilmRow, ImdbRow, imdb_film_row
from bot.importers.job import BATCH, ImportJob
from bot.importers.summary import ImportSummary
from bot.importers.tracker import KeyTracker
from bot.normalize import normalize
from storage import catalogue_writes, film_queries
from storage.catalogue_writes import NewFilm


class FilmWriter:
    def __init__(
        self, session: Session, job: ImportJob, summary: ImportSummary, problems: ProblemLog
    ) -> None:
        self.session = session
        self.job = job
        self.summary = summary
        self.problems = problems
        self.pending: list[FilmRow] = []
        self.pending_imdb: list[ImdbRow] = []
        self.seen = KeyTracker()

    def add(self, row: FilmRow) -> None:
        self.pending.append(row)
        if len(self.pending) >= BATCH:
            self.flush()

    def add_imdb(self, row: ImdbRow) -> None:
        self.pending_imdb.append(row)
        if len(self.pending_imdb) >= BATCH:
            self._flush_imdb()

    def flush(self) -> None:
        self._flush_imdb()
        rows, self.pending = self.pending, []
        if not rows:
            return
        repeats = self.seen.add_batch([r.key for r in rows], [r.line for r in rows])
        good: list[FilmRow] = []
        for i, row in enumerate(rows):
            if i in repeats:
                what = "external id" if row.fields.external_id else "title and year"
                self.problems.add(RowProblem(row.line, f"same {what} as line {repeats[i]}"))
            else:
                good.append(row)
        existing = self._existing(good)
        fresh: list[FilmRow] = []
        updates: list[tuple[int, FilmRow]] = []
        for row in good:
            found = existing.get(row.key)
            if isinstance(found, list):
                listing = ", ".join(f"#{f}" for f in found[:5])
                self.problems.add(
                    RowProblem(
                        row.line, f"several films match “{excerpt(row.fields.title)}”: {listing}"
                    )
                )
            elif found is None:
                fresh.append(row)
            else:
                updates.append((found, row))
        self._apply_updates(updates)
        self._insert([_new_film(r) for r in fresh if r.given <= SIMPLE])
        for row in fresh:
            if not row.given <= SIMPLE:
                film = create_film(self.session, row.fields, self.job.now)
                self.summary.created += 1
                self.summary.created_ids.append(film.id)

    def _flush_imdb(self) -> None:
        """The same steps as `flush` for IMDb rows, which always have an external id and only
        simple fields; only rows that repeat or update become FilmRow objects."""
        rows, self.pending_imdb = self.pending_imdb, []
        if not rows:
            return
        repeats = self.seen.add_batch([r[10] for r in rows], [r[9] for r in rows])
        good = rows
        if repeats:
            good = []
            for i, row in enumerate(rows):
                if i in repeats:
                    self.problems.add(RowProblem(row[9], f"same external id as line {repeats[i]}"))
                else:
                    good.append(row)
        existing = catalogue_writes.film_ids_by_external_id(self.session, [r[7] for r in good])
        fresh = good
        updates: list[tuple[int, FilmRow]] = []
        if existing:
            fresh = []
            for row in good:
                film_id = existing.get(row[7])
                if film_id is None:
                    fresh.append(row)
                else:
                    updates.append((film_id, imdb_film_row(row)))
        self._apply_updates(updates)
        self._insert(fresh)

    def _apply_updates(self, updates: list[tuple[int, FilmRow]]) -> None:
        unchanged = self._unchanged_simple(updates)
        for film_id, row in updates:
            if film_id in unchanged:
                self.summary.unchanged += 1
            else:
                self._update(film_id, row)

    def _existing(self, rows: list[FilmRow]) -> dict[str, int | list[int]]:
        """key → the film id it updates (or several ids: ambiguous)."""
        found: dict[str, int | list[int]] = {}
        ids = [r.fields.external_id for r in rows if r.fields.external_id]
        for external_id, film_id in catalogue_writes.film_ids_by_external_id(
            self.session, ids
        ).items():
            found[f"id:{external_id}"] = film_id
        for row in rows:
            if row.fields.external_id:
                continue
            matches = film_queries.films_with_norm(
                self.session, normalize(row.fields.title), row.fields.year
            )
            if matches:
                found[row.key] = matches[0] if len(matches) == 1 else matches
        return found

    def _unchanged_simple(self, updates: list[tuple[int, FilmRow]]) -> set[int]:
        """Films whose batch-comparable columns already match, found with two queries, so a
        re-import of a big catalogue doesn't load every film through the ORM."""
        simple = {film_id: row for film_id, row in updates if row.given <= SIMPLE}
        if not simple:
            return set()
        genres = catalogue_writes.genres_of(self.session, simple)
        same: set[int] = set()
        for film_id, title, original, year, runtime in catalogue_writes.simple_columns(
            self.session, simple
        ):
            row = simple[film_id]
            f = row.fields
            given = row.given
            if (
                ("title" not in given or f.title == title)
                and ("original_title" not in given or f.original_title == original)
                and ("year" not in given or f.year == year)
                and ("runtime" not in given or f.runtime_minutes == runtime)
                and ("genres" not in given or set(f.genres) == genres.get(film_id, set()))
            ):
                same.add(film_id)
        return same

    def _update(self, film_id: int, row: FilmRow) -> None:
        film = catalogue_writes.film_for_update(self.session, film_id)
        current = fields_of(film)
        wanted = _merge(current, row)
        if _same(current, wanted):
            self.summary.unchanged += 1
            return
        self.job.resolver.forget_film(film.id)
        apply_fields(self.session, film, wanted, self.job.now)
        self.summary.updated += 1
        self.summary.updated_ids.append(film.id)

    def _insert(self, rows: Sequence[NewFilm]) -> None:
        if not rows:
            return
        ids = catalogue_writes.insert_films(self.session, rows, self.job.now)
        self.summary.created += len(rows)
        self.summary.created_ids.extend(ids)


def _new_film(row: FilmRow) -> NewFilm:
    f = row.fields
    return (
        f.title,
        row.norm,
        f.original_title,
        row.original_norm,
        f.year,
        f.runtime_minutes,
        f.synopsis,
        f.external_id,
        f.genres,
    )


def _merge(current: FilmFields, row: FilmRow) -> FilmFields:
    """The film as it should be: the file's columns over what the catalogue already has."""
    new = row.fields
    changes: dict[str, Any] = {}
    mapping = {
        "title": "title",
        "year": "year",
        "original_title": "original_title",
        "alt_titles": "alt_titles",
        "directors": "directors",
        "cast": "cast",
        "genres": "genres",
        "countries": "countries",
        "languages": "languages",
        "runtime": "runtime_minutes",
        "synopsis": "synopsis",
        "external_id": "external_id",
    }
    for name, attribute in mapping.items():
        if name in row.given:
            changes[attribute] = getattr(new, attribute)
    return replace(current, **changes)


def _same(a: FilmFields, b: FilmFields) -> bool:
    return (
        a.title == b.title
        and a.year == b.year
        and (a.original_title or None) == (b.original_title or None)
        and a.alt_titles == b.alt_titles
        and a.directors == b.directors
        and a.cast == b.cast
        and sorted(set(a.genres)) == sorted(set(g.strip().lower() for g in b.genres))
        and a.countries == b.countries
        and a.languages == b.languages
        and a.runtime_minutes == b.runtime_minutes
        and (a.synopsis or None) == (b.synopsis or None)
        and (b.external_id is None or a.external_id == b.external_id)
    )
