"""Films from CSV, JSON (an array or one object per line) and IMDb's title.basics.tsv.

Rows are streamed and written in batches inside one transaction: new films, their titles and
genres go in with executemany; an existing film (same external id, or for rows without one the
same title and year) is compared and only rewritten, through `bot.catalogue`, if it changed.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Table, func, insert, select
from sqlalchemy.orm import Session, selectinload

from bot.catalogue import (
    FieldTooLong,
    FilmFields,
    apply_fields,
    check_fields,
    create_film,
    fields_of,
)
from bot.importers.errors import ImportProblem, ProblemLog, RowProblem, excerpt
from bot.importers.job import BATCH, ImportJob, finish
from bot.importers.source import read_lines, read_records
from bot.importers.summary import ImportSummary
from bot.importers.tracker import KeyTracker
from bot.normalize import normalize, split_list
from bot.registry import BODY_MAX, TITLE_MAX
from storage import repo
from storage.models import Film, FilmGenre, FilmTitle

IMDB_HEADER = [
    "tconst",
    "titletype",
    "primarytitle",
    "originaltitle",
    "isadult",
    "startyear",
    "endyear",
    "runtimeminutes",
    "genres",
]
# IMDb title types that are films; series, episodes and games are skipped (and counted).
IMDB_FILM_TYPES = frozenset({"movie", "tvMovie", "short", "video"})
COLUMNS = {
    "title": "title",
    "year": "year",
    "original_title": "original_title",
    "original title": "original_title",
    "alt_titles": "alt_titles",
    "directors": "directors",
    "cast": "cast",
    "genres": "genres",
    "countries": "countries",
    "languages": "languages",
    "runtime": "runtime",
    "runtime_minutes": "runtime",
    "synopsis": "synopsis",
    "external_id": "external_id",
    "imdb_id": "external_id",
    "tconst": "external_id",
}
LIST_FIELDS = ("directors", "cast", "genres", "countries", "languages")
# Fields the batch path compares and writes without loading the film through the ORM.
SIMPLE = frozenset({"title", "original_title", "year", "runtime", "genres", "external_id"})
IMDB_GIVEN = SIMPLE  # the columns title.basics.tsv provides
# A JSON array is parsed whole: 16 MiB of small objects is already ~250 MB of Python objects.
JSON_ARRAY_MAX_BYTES = 16 * 1024 * 1024


@dataclass
class FilmRow:
    line: int
    fields: FilmFields
    given: frozenset[str]  # the columns this row's file provides; the others are left alone
    norm: str = ""  # the normalised main title (computed once: normalising is the hot path)
    original_norm: str | None = None

    def __post_init__(self) -> None:
        if not self.norm:
            self.norm = normalize(self.fields.title)
        if self.fields.original_title and self.original_norm is None:
            self.original_norm = normalize(self.fields.original_title)

    @property
    def key(self) -> str:
        if self.fields.external_id:
            return f"id:{self.fields.external_id}"
        return f"title:{self.norm}|{self.fields.year or ''}"


class RowError(ValueError):
    """One row is wrong; the message is the reason shown next to its line number."""


def import_films(job: ImportJob, path: Path) -> ImportSummary:
    summary = ImportSummary("films", str(path), ids_recorded=True)
    problems = job.problem_log()
    rows = _rows(path, job, summary)
    with job.db.session() as session:
        writer = _FilmWriter(session, job, summary, problems)
        for item in rows:
            if type(item) is tuple:
                writer.add_imdb(item)
            elif isinstance(item, RowProblem):
                problems.add(item)
            else:
                writer.add(item)
        writer.flush()
        finish(job, session, summary, problems, "film")
    job.resolver.mark_stale()
    return summary


def _rows(
    path: Path, job: ImportJob, summary: ImportSummary
) -> Iterator[FilmRow | ImdbRow | RowProblem]:
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl", ".ndjson"):
        return _json_rows(path, job)
    delimiter = "\t" if suffix in (".tsv", ".tab") else ","
    if delimiter == ",":
        header, records = read_records(path, progress=job.progress)
    else:
        header, records = read_records(
            path, delimiter="\t", quoting=csv.QUOTE_NONE, progress=job.progress
        )
    if header[: len(IMDB_HEADER)] == IMDB_HEADER:
        return _imdb_rows(records, summary)
    return _table_rows(path, header, records)


# An IMDb row on the fast path, as a plain tuple: a million rows as FilmRow/FilmFields objects
# cost about a third of the import in allocation and garbage collection (it holds only strings,
# numbers and tuples of strings, so the collector soon stops tracking it). A row that updates a
# film becomes a FilmRow. The first nine items are a NewFilm, so fresh rows go to `_insert` as
# they are; then come the line number and the key.
ImdbRow = tuple[
    str,  # title
    str,  # norm
    str | None,  # original title
    str | None,  # original norm
    int | None,  # year
    int | None,  # runtime
    None,  # synopsis (IMDb has none)
    str,  # external id
    tuple[str, ...],  # genres, without repeats
    int,  # line
    str,  # key
]
# A film to insert: title, norm, original title, original norm, year, runtime, synopsis,
# external id, genres (a tuple of Any: IMDb rows carry more items after these nine).
NewFilm = tuple[Any, ...]
_GENRE_CACHE_MAX = 4096  # IMDb has a few hundred genre combinations; a hostile file can't grow it


def _imdb_rows(
    records: Iterator[tuple[int, list[str]]], summary: ImportSummary
) -> Iterator[ImdbRow | RowProblem]:
    width = len(IMDB_HEADER)
    film_types = IMDB_FILM_TYPES
    genre_cache: dict[str, tuple[str, ...]] = {}
    for line, cells in records:
        if len(cells) != width:
            yield RowProblem(line, f"expected {width} tab-separated fields, found {len(cells)}")
            continue
        tconst, kind, primary, original, _adult, start, _end, runtime, genres = cells
        if kind not in film_types:
            summary.skipped += 1
            continue
        try:
            title, norm = _title_norm(None if primary in ("\\N", "") else primary)
            original_title = None
            original_norm = None
            if original not in (primary, "\\N", ""):
                original_norm = normalize(original)
                if original_norm and original_norm != norm:
                    original_title = _title(original)
                else:
                    original_norm = None
            year = None if start in ("\\N", "") else _year(start)
            minutes = None if runtime in ("\\N", "") else _runtime(runtime)
            if genres in ("\\N", ""):
                genre_names: tuple[str, ...] = ()
            elif (cached := genre_cache.get(genres)) is not None:
                genre_names = cached
            else:
                # IMDb's genres are a short fixed vocabulary, comma-separated, no spaces.
                genre_names = tuple(dict.fromkeys(_genres(genres.lower().split(","))))
                if len(genre_cache) < _GENRE_CACHE_MAX:
                    genre_cache[genres] = genre_names
            external_id = _external_id(tconst)
        except RowError as exc:
            yield RowProblem(line, str(exc))
            continue
        yield (
            title,
            norm,
            original_title,
            original_norm,
            year,
            minutes,
            None,
            external_id,
            genre_names,
            line,
            "id:" + external_id,
        )


def _imdb_film_row(row: ImdbRow) -> FilmRow:
    """The FilmRow for an IMDb row, for the (rare) rows that update a film."""
    title, norm, original_title, original_norm, year, minutes, _synopsis, external_id = row[:8]
    fields = FilmFields(
        title=title,
        original_title=original_title,
        year=year,
        runtime_minutes=minutes,
        genres=list(row[8]),
        external_id=external_id,
    )
    return FilmRow(row[9], fields, IMDB_GIVEN, norm, original_norm)


def _table_rows(
    path: Path, header: list[str], records: Iterator[tuple[int, list[str]]]
) -> Iterator[FilmRow | RowProblem]:
    names = [COLUMNS.get(h) for h in header]
    unknown = [h for h, n in zip(header, names, strict=True) if n is None and h]
    if "title" not in names:
        raise ImportProblem(
            f"{path}: the header has no “title” column. Columns: {', '.join(sorted(set(COLUMNS)))}."
        )
    if unknown:
        raise ImportProblem(f"{path}: unknown column(s) {', '.join(unknown)} in the header.")
    given = frozenset(n for n in names if n)
    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            yield RowProblem(line, f"expected {len(names)} fields, found {len(cells)}")
            continue
        values = {n: c for n, c in zip(names, cells, strict=True) if n}
        try:
            yield FilmRow(line, _fields(values), given)
        except RowError as exc:
            yield RowProblem(line, str(exc))


def _json_rows(path: Path, job: ImportJob) -> Iterator[FilmRow | RowProblem]:
    lines = read_lines(path, job.progress)
    first = next(((n, t) for n, t in lines if t.strip()), None)
    if first is None:
        raise ImportProblem(f"{path} is empty: there is nothing to import.")
    if first[1].lstrip().startswith("["):
        # A JSON array has no lines to stream by; it is read whole, so its size is capped.
        if path.stat().st_size > JSON_ARRAY_MAX_BYTES:
            raise ImportProblem(
                f"{path} is a JSON array over {JSON_ARRAY_MAX_BYTES // 2**20} MB; "
                "write one object per line (JSON Lines) for big catalogues."
            )
        text = "\n".join([first[1], *(t for _, t in lines)])
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportProblem(
                f"{path}: not valid JSON at line {exc.lineno + first[0] - 1} ({exc.msg})."
            ) from exc
        except (ValueError, RecursionError) as exc:  # 5,000-digit numbers, deep nesting
            raise ImportProblem(f"{path}: the JSON can't be read ({exc}).") from exc
        if not isinstance(items, list):
            raise ImportProblem(f"{path}: expected a JSON array of film objects.")
        for number, item in enumerate(items, start=1):
            yield _json_item(number, item, "item")
        return
    for number, text in _chain(first, lines):
        if not text.strip():
            continue
        try:
            item = json.loads(text)
        except json.JSONDecodeError as exc:
            yield RowProblem(number, f"not valid JSON ({exc.msg})")
            continue
        except (ValueError, RecursionError) as exc:  # 5,000-digit numbers, deep nesting
            yield RowProblem(number, f"the JSON can't be read ({str(exc)[:80]})")
            continue
        yield _json_item(number, item, "line")


def _chain(first: tuple[int, str], rest: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    yield first
    yield from rest


def _json_item(number: int, item: Any, where: str) -> FilmRow | RowProblem:
    if not isinstance(item, dict):
        return RowProblem(number, "expected an object with a “title”", where)
    values: dict[str, str] = {}
    for key, value in item.items():
        name = COLUMNS.get(str(key).strip().lower())
        if name is None:
            return RowProblem(number, f"unknown field “{excerpt(key, 40)}”", where)
        if isinstance(value, list) and name in (*LIST_FIELDS, "alt_titles"):
            if not all(isinstance(v, str) for v in value):
                return RowProblem(number, f"“{name}” must be a list of names", where)
            values[name] = ("|" if name == "alt_titles" else ",").join(value)
        elif value is None or isinstance(value, str | int) and not isinstance(value, bool):
            values[name] = "" if value is None else str(value)
        else:
            return RowProblem(number, f"“{name}” has a value of the wrong kind", where)
    try:
        return FilmRow(number, _fields(values), frozenset(values))
    except RowError as exc:
        return RowProblem(number, str(exc), where)


def _fields(values: dict[str, str]) -> FilmFields:
    title = _title(values.get("title", ""))
    fields = FilmFields(
        title=title,
        year=_year(values.get("year", "").strip() or None),
        original_title=_optional_title(values.get("original_title", "").strip() or None, title),
        alt_titles=[_title(t) for t in split_list(values.get("alt_titles"), "|")],
        directors=split_list(values.get("directors")),
        cast=split_list(values.get("cast")),
        genres=_genres(split_list(values.get("genres"))),
        countries=split_list(values.get("countries")),
        languages=split_list(values.get("languages")),
        runtime_minutes=_runtime(values.get("runtime", "").strip() or None),
        synopsis=_synopsis(values.get("synopsis", "").strip() or None),
        external_id=_external_id(values["external_id"]) if values.get("external_id") else None,
    )
    try:
        check_fields(fields)  # each name must fit its column (storage/limits.py)
    except FieldTooLong as exc:
        raise RowError(exc.reason) from None
    return fields


def _title(value: str | None) -> str:
    return _title_norm(value)[0]


def _title_norm(value: str | None) -> tuple[str, str]:
    """The title with its spaces tidied, and its normal form; refuses an empty or long one."""
    title = " ".join((value or "").split())
    norm = normalize(title) if title else ""
    if not norm:
        raise RowError("missing title")
    if len(title) > TITLE_MAX:
        raise RowError(f"title longer than {TITLE_MAX} characters")
    return title, norm


def _optional_title(value: str | None, main: str) -> str | None:
    if value is None or not value.strip() or normalize(value) == normalize(main):
        return None
    return _title(value)


def _year(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.strip().isdecimal() or not 1870 <= int(value) <= 2100:
        raise RowError(f"year “{excerpt(value, 20)}” is not a year between 1870 and 2100")
    return int(value)


def _runtime(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.strip().isdecimal() or not 0 < int(value) < 10_000:
        raise RowError(f"runtime “{excerpt(value, 20)}” is not a number of minutes")
    return int(value)


def _genres(names: list[str]) -> list[str]:
    if max(map(len, names), default=0) > 40:
        long = next(n for n in names if len(n) > 40)
        raise RowError(f"genre “{excerpt(long[:40], 40)}…” is longer than 40 characters")
    return [n.lower() for n in names]


def _synopsis(value: str | None) -> str | None:
    if value is not None and len(value) > BODY_MAX:
        raise RowError(f"synopsis longer than {BODY_MAX} characters")
    return value


def _external_id(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 40 or len(value.split()) != 1:
        raise RowError(f"external id “{excerpt(value, 40)}” is empty, too long or has spaces")
    return value


class _FilmWriter:
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
        existing = self._ids_of([r[7] for r in good])
        fresh = good
        updates: list[tuple[int, FilmRow]] = []
        if existing:
            fresh = []
            for row in good:
                film_id = existing.get(row[7])
                if film_id is None:
                    fresh.append(row)
                else:
                    updates.append((film_id, _imdb_film_row(row)))
        self._apply_updates(updates)
        self._insert(fresh)

    def _apply_updates(self, updates: list[tuple[int, FilmRow]]) -> None:
        unchanged = self._unchanged_simple(updates)
        for film_id, row in updates:
            if film_id in unchanged:
                self.summary.unchanged += 1
            else:
                self._update(film_id, row)

    def _ids_of(self, external_ids: list[str]) -> dict[str, int]:
        """external id → the id of the film that has it, for those in the catalogue."""
        if not external_ids:
            return {}
        conn = self.session.connection()
        if conn.dialect.name == "sqlite":
            # Plain SQL: compiling an expanding IN of 5,000 parameters cost as much as the query.
            marks = ", ".join("?" * len(external_ids))
            sql = f"SELECT id, external_id FROM film WHERE external_id IN ({marks})"
            return {
                external_id: film_id
                for film_id, external_id in conn.exec_driver_sql(sql, tuple(external_ids))
            }
        return {
            external_id: film_id
            for film_id, external_id in self.session.execute(
                select(Film.id, Film.external_id).where(Film.external_id.in_(external_ids))
            )
        }

    def _existing(self, rows: list[FilmRow]) -> dict[str, int | list[int]]:
        """key → the film id it updates (or several ids: ambiguous)."""
        found: dict[str, int | list[int]] = {}
        ids = [r.fields.external_id for r in rows if r.fields.external_id]
        for external_id, film_id in self._ids_of(ids).items():
            found[f"id:{external_id}"] = film_id
        for row in rows:
            if row.fields.external_id:
                continue
            matches = repo.films_with_norm(
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
        genres: dict[int, set[str]] = {}
        for film_id, genre in self.session.execute(
            select(FilmGenre.film_id, FilmGenre.genre).where(FilmGenre.film_id.in_(simple))
        ):
            genres.setdefault(film_id, set()).add(genre)
        same: set[int] = set()
        for film_id, title, original, year, runtime in self.session.execute(
            select(Film.id, Film.title, Film.original_title, Film.year, Film.runtime_minutes).where(
                Film.id.in_(simple)
            )
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
        film = self.session.scalars(
            select(Film)
            .where(Film.id == film_id)
            .options(
                selectinload(Film.titles), selectinload(Film.genres), selectinload(Film.credits)
            )
        ).one()
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
        """New films, their titles and genres, as three executemany statements."""
        if not rows:
            return
        conn = self.session.connection()
        if conn.dialect.name == "sqlite":
            ids = _insert_films_sqlite(conn, rows, self.job.now)
        else:
            ids = _insert_films_returning(conn, rows, self.job.now)
        titles: list[tuple[int, str, str, str]] = []
        genres: list[tuple[int, str]] = []
        add_title, add_genre = titles.append, genres.append
        for film_id, row in zip(ids, rows, strict=True):
            title, norm, original_title, original_norm = row[0], row[1], row[2], row[3]
            add_title((film_id, title, norm, "main"))
            if original_title and original_norm and original_norm != norm:
                add_title((film_id, original_title, original_norm, "original"))
            for genre in dict.fromkeys(row[8]):
                add_genre((film_id, genre))
        _execute_many(conn, FilmTitle.__table__, ("film_id", "title", "norm", "kind"), titles)  # type: ignore[arg-type]
        _execute_many(conn, FilmGenre.__table__, ("film_id", "genre"), genres)  # type: ignore[arg-type]
        self.summary.created += len(rows)
        self.summary.created_ids.extend(ids)


_FILM_COLUMNS = (
    "title",
    "original_title",
    "year",
    "runtime_minutes",
    "synopsis",
    "countries",
    "languages",
    "external_id",
    "created_at",
    "updated_at",
)


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


def _film_values(rows: Sequence[NewFilm], now: Any, empty: Any) -> list[tuple[Any, ...]]:
    # title, original title, year, runtime, synopsis, countries, languages, external id, times
    return [(r[0], r[2], r[4], r[5], r[6], empty, empty, r[7], now, now) for r in rows]


def _insert_films_sqlite(conn: Connection, rows: Sequence[NewFilm], now: datetime) -> list[int]:
    """SQLite: number the films ourselves and insert with the driver's executemany.

    This transaction writes the whole import and SQLite admits one writer at a time, so no one
    else can take these ids meanwhile; if another process had written between our read of
    max(id) and our first insert, the primary key refuses the insert and the import rolls back
    — it never interleaves. About three times faster than INSERT … RETURNING here.
    """
    film = Film.__table__
    first = (conn.execute(select(func.coalesce(func.max(film.c.id), 0))).scalar() or 0) + 1
    ids = list(range(first, first + len(rows)))
    values = _film_values(
        rows, _bound(conn, film.c.created_at, now), _bound(conn, film.c.countries, [])
    )
    _execute_many(
        conn,
        film,  # type: ignore[arg-type]
        ("id", *_FILM_COLUMNS),
        [(film_id, *v) for film_id, v in zip(ids, values, strict=True)],
    )
    return ids


def _insert_films_returning(conn: Connection, rows: Sequence[NewFilm], now: datetime) -> list[int]:
    """Other databases: the ids come back from the sequence with INSERT … RETURNING."""
    film = Film.__table__
    result = conn.execute(
        insert(film).returning(film.c.id, sort_by_parameter_order=True),
        [dict(zip(_FILM_COLUMNS, v, strict=True)) for v in _film_values(rows, now, [])],
    )
    return [row_id for (row_id,) in result]


def _execute_many(
    conn: Connection, table: Table, columns: tuple[str, ...], values: list[tuple[Any, ...]]
) -> None:
    """One executemany through the driver: values must already be in the driver's form."""
    if not values:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), [dict(zip(columns, v, strict=True)) for v in values])
        return
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    conn.exec_driver_sql(sql, values)


def _bound(conn: Connection, col: Column[Any], value: Any) -> Any:
    """`value` as the database driver receives it for `col`."""
    process = col.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process(value) if process else value


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
