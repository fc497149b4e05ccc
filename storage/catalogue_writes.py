"""The bulk film import's reads and writes: films by external id, the columns a batch compares,
and new films with their titles and genres inserted by executemany.

A big catalogue (IMDb's title.basics.tsv is a million films) spends most of its time here, so
SQLite gets plain driver statements: compiling an expanding IN of thousands of parameters, or an
ORM insert per row, costs as much as the work itself. Other databases get Core statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, Table, func, insert, select
from sqlalchemy.orm import Session, selectinload

from storage.models_catalogue import Film, FilmGenre, FilmTitle

# A film to insert: title, norm, original title, original norm, year, runtime, synopsis,
# external id, genres (a tuple of Any: the importer's rows may carry more items after these).
NewFilm = tuple[Any, ...]
# id, title, original title, year, runtime: what a batch compares without loading the film.
SimpleColumns = tuple[int, str, str | None, int | None, int | None]

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


def film_ids_by_external_id(session: Session, external_ids: Sequence[str]) -> dict[str, int]:
    """external id → the id of the film that has it, for those in the catalogue."""
    if not external_ids:
        return {}
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" * len(external_ids))
        sql = f"SELECT id, external_id FROM film WHERE external_id IN ({marks})"
        return {
            external_id: film_id
            for film_id, external_id in conn.exec_driver_sql(sql, tuple(external_ids))
        }
    return {
        external_id: film_id
        for film_id, external_id in session.execute(
            select(Film.id, Film.external_id).where(Film.external_id.in_(external_ids))
        )
        if external_id is not None  # never, by the IN; says so to the type checker
    }


def genres_of(session: Session, film_ids: Iterable[int]) -> dict[int, set[str]]:
    genres: dict[int, set[str]] = {}
    for film_id, genre in session.execute(
        select(FilmGenre.film_id, FilmGenre.genre).where(FilmGenre.film_id.in_(list(film_ids)))
    ):
        genres.setdefault(film_id, set()).add(genre)
    return genres


def simple_columns(session: Session, film_ids: Iterable[int]) -> list[SimpleColumns]:
    rows = session.execute(
        select(Film.id, Film.title, Film.original_title, Film.year, Film.runtime_minutes).where(
            Film.id.in_(list(film_ids))
        )
    )
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def film_for_update(session: Session, film_id: int) -> Film:
    """The film with everything `bot.catalogue.apply_fields` rewrites already loaded."""
    return session.scalars(
        select(Film)
        .where(Film.id == film_id)
        .options(selectinload(Film.titles), selectinload(Film.genres), selectinload(Film.credits))
    ).one()


def insert_films(session: Session, rows: Sequence[NewFilm], now: datetime) -> list[int]:
    """New films, their titles and genres, as three executemany statements; their ids."""
    if not rows:
        return []
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        ids = _insert_films_sqlite(conn, rows, now)
    else:
        ids = _insert_films_returning(conn, rows, now)
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
    _execute_many(conn, _table(FilmTitle), ("film_id", "title", "norm", "kind"), titles)
    _execute_many(conn, _table(FilmGenre), ("film_id", "genre"), genres)
    return ids


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


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
    film = _table(Film)
    first = (conn.execute(select(func.coalesce(func.max(film.c.id), 0))).scalar() or 0) + 1
    ids = list(range(first, first + len(rows)))
    values = _film_values(
        rows, _bound(conn, film.c.created_at, now), _bound(conn, film.c.countries, [])
    )
    _execute_many(
        conn,
        film,
        ("id", *_FILM_COLUMNS),
        [(film_id, *v) for film_id, v in zip(ids, values, strict=True)],
    )
    return ids


def _insert_films_returning(conn: Connection, rows: Sequence[NewFilm], now: datetime) -> list[int]:
    """Other databases: the ids come back from the sequence with INSERT … RETURNING."""
    film = _table(Film)
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
