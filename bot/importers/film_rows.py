"""Film rows streamed from CSV, JSON (an array or one object per line) and IMDb's
title.basics.tsv: each a FilmRow (or, on IMDb's fast path, a plain tuple) or a RowProblem."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.catalogue import FilmFields
from bot.importers.errors import ImportProblem, RowProblem, excerpt
from bot.importers.film_fields import (
    COLUMNS,
    LIST_FIELDS,
    RowError,
    film_fields,
    parse_external_id,
    parse_genres,
    parse_runtime,
    parse_title,
    parse_title_norm,
    parse_year,
)
from bot.importers.job import ImportJob
from bot.importers.source import read_lines, read_records
from bot.importers.summary import ImportSummary
from bot.normalize import normalize

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


def film_rows(
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
            title, norm = parse_title_norm(None if primary in ("\\N", "") else primary)
            original_title = None
            original_norm = None
            if original not in (primary, "\\N", ""):
                original_norm = normalize(original)
                if original_norm and original_norm != norm:
                    original_title = parse_title(original)
                else:
                    original_norm = None
            year = None if start in ("\\N", "") else parse_year(start)
            minutes = None if runtime in ("\\N", "") else parse_runtime(runtime)
            if genres in ("\\N", ""):
                genre_names: tuple[str, ...] = ()
            elif (cached := genre_cache.get(genres)) is not None:
                genre_names = cached
            else:
                # IMDb's genres are a short fixed vocabulary, comma-separated, no spaces.
                genre_names = tuple(dict.fromkeys(parse_genres(genres.lower().split(","))))
                if len(genre_cache) < _GENRE_CACHE_MAX:
                    genre_cache[genres] = genre_names
            external_id = parse_external_id(tconst)
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


def imdb_film_row(row: ImdbRow) -> FilmRow:
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
            yield FilmRow(line, film_fields(values), given)
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
        return FilmRow(number, film_fields(values), frozenset(values))
    except RowError as exc:
        return RowProblem(number, str(exc), where)
