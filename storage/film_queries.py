"""Films and their titles: loading, matching by normal form or prefix, genres, counts, and
deleting a film with everything that hangs off it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Executable, Integer, bindparam, delete, func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from storage.community_scope import scope_of
from storage.models_alerts import AlertOutbox, Subscription, SubscriptionLead
from storage.models_catalogue import Credit, Film, FilmGenre, FilmTitle, Review
from storage.models_members import MemberRating, NotInterested, WatchlistItem
from storage.models_screenings import Showtime

# A credit's person is joined into the credits' statement (one row each, never null): a
# statement fewer per film card, a round trip on PostgreSQL.
_FILM_LOAD = (
    selectinload(Film.titles),
    selectinload(Film.credits).joinedload(Credit.person, innerjoin=True),
    selectinload(Film.genres),
)
# What a list of choices says of each film besides its label: who made it.
_PEOPLE_LOAD = (selectinload(Film.credits).joinedload(Credit.person, innerjoin=True),)


def get_film(session: Session, film_id: int, *, related: bool = True) -> Film | None:
    """`related` False: the film's own row only, for a caller that names the film and no more
    (its titles, people and genres still load on first use, one query each)."""
    query = select(Film).where(Film.id == film_id)
    return session.scalars(query.options(*_FILM_LOAD) if related else query).first()


def film_exists(session: Session, film_id: int) -> bool:
    """One primary-key probe, without loading the film's titles, people and genres."""
    return session.scalar(select(Film.id).where(Film.id == film_id)) is not None


def get_films(
    session: Session, film_ids: Sequence[int], *, related: bool = True, people: bool = False
) -> dict[int, Film]:
    """`related` False: the films' own rows only (labels need no more): loading every film's
    titles, credits, people and genres was most of an autocomplete's cost. `people`: with
    their credits and people only (choices name each film's director)."""
    if not film_ids:
        return {}
    query = select(Film).where(Film.id.in_(film_ids))
    if people:
        query = query.options(*_PEOPLE_LOAD)
    elif related:
        query = query.options(*_FILM_LOAD)
    return {f.id: f for f in session.scalars(query)}


def iter_title_rows(
    session: Session, after_title_id: int = 0, batch: int = 50_000
) -> Iterator[tuple[int, int, str, int | None, int | None]]:
    """(title_id, film_id, norm, year, film's community: None if shared) for every title newer
    than `after_title_id`, in id order."""
    last = after_title_id
    with _small_page_cache(session, after_title_id == 0):
        while True:
            rows = session.execute(
                select(
                    FilmTitle.id, FilmTitle.film_id, FilmTitle.norm, Film.year, Film.community_id
                )
                .join(Film, Film.id == FilmTitle.film_id)
                .where(FilmTitle.id > last)
                .order_by(FilmTitle.id)
                .limit(batch)
                # One index for every community: it keeps each title's community and each
                # lookup keeps the titles its community sees.
                .execution_options(every_community=True)
            ).all()
            if not rows:
                return
            for row in rows:
                yield row[0], row[1], row[2], row[3], row[4]
            last = rows[-1][0]


@contextmanager
def _small_page_cache(session: Session, whole_table: bool) -> Iterator[None]:
    """Read every title through a 2 MiB SQLite page cache, not the connection's 64 MiB one
    (storage/db.py): a full read fills whichever it is given with pages no later query wants,
    and at a million titles that was 64 MB of the index build's peak memory."""
    conn = session.connection()
    if not whole_table or conn.dialect.name != "sqlite":
        yield
        return
    size = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    conn.exec_driver_sql("PRAGMA cache_size=-2048")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={size}")


def max_title_id(session: Session) -> int:
    return session.scalar(select(func.max(FilmTitle.id))) or 0


def sees_community(session: Session) -> int | None:
    """Whose local films this session sees besides the shared catalogue's: its community's id
    (SHARED_ONLY, 0, names no community: shared films only), or None for a session without a
    scope, which sees every film. The same rule as storage/community_scope.py's reads, for the
    title index, which holds every community's titles and filters them itself."""
    scope = scope_of(session)
    return None if scope is None else scope.community_id


# Title lookups run on every command. They are Core statements on the session's connection,
# built once, with the community condition written in: through the ORM (its compilation and the
# scope's loader criteria) each cost about 0.5 ms, four times the query itself, and a
# resolution made two or three of them.
_CID = bindparam("cid", type_=Integer)
# The community condition in storage/community_scope.py's form for each dialect: SQLite keeps
# the norm index with the COALESCE form; PostgreSQL's planner reads that form as matching 0.5%
# of films, so for a common prefix ("th") it hashed the whole film table (27 ms at 100,000
# films) instead of walking the norm index to the limit (0.5 ms), which it does with the OR.
_SEEN_HERE = {
    "sqlite": func.coalesce(Film.community_id, _CID) == _CID,
    "postgresql": or_(Film.community_id == _CID, Film.community_id.is_(None)),
}
_EXACT = (
    select(FilmTitle.film_id, Film.year)
    .join(Film, Film.id == FilmTitle.film_id)
    .where(FilmTitle.norm == bindparam("norm"))
    .distinct()
    .limit(50)
)
_PREFIX = (
    select(FilmTitle.film_id, FilmTitle.norm, Film.year)
    .join(Film, Film.id == FilmTitle.film_id)
    .where(FilmTitle.norm >= bindparam("lower"), FilmTitle.norm < bindparam("upper"))
    .order_by(FilmTitle.norm)
    .limit(bindparam("limit"))
)
# A session without a scope (the system's own) sees every film.
_EXACT_ALL = _EXACT.execution_options(every_community=True)
_PREFIX_ALL = _PREFIX.execution_options(every_community=True)
_EXACT_SEEN = {dialect: _EXACT.where(seen) for dialect, seen in _SEEN_HERE.items()}
_PREFIX_SEEN = {dialect: _PREFIX.where(seen) for dialect, seen in _SEEN_HERE.items()}


def _run(
    session: Session,
    scoped: Mapping[str, Executable],
    every: Executable,
    params: dict[str, Any],
) -> Sequence[Any]:
    """`scoped` (by dialect) with the session's community, or `every` for a session without
    one."""
    # Not through the ORM: skipping the session's autoflush, so do it here, as a film this unit
    # of work added or renamed must still be found.
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()
    community = sees_community(session)
    conn = session.connection()
    statement = every if community is None else scoped[conn.dialect.name]
    values = params if community is None else {**params, "cid": community}
    sql, names, defaults = _driver_form(statement, conn.dialect)
    if sql is None:
        return conn.execute(statement, values).all()
    values = {**defaults, **values}
    args = values if names is None else tuple(values[name] for name in names)
    return conn.exec_driver_sql(sql, args).all()


_DriverForm = tuple[str | None, tuple[str, ...] | None, dict[str, Any]]
_DRIVER_FORMS: dict[tuple[int, str], _DriverForm] = {}


def _driver_form(statement: Executable, dialect: Any) -> _DriverForm:
    """The statement compiled once for the dialect, to be sent as driver SQL: even a cached
    Core statement cost 0.1 ms of SQLAlchemy per call, as much as SQLite's own work here.
    (SQL None: a form that needs per-call rendering; it goes through Core.)"""
    key = (id(statement), dialect.name)
    form = _DRIVER_FORMS.get(key)
    if form is None:
        compiled = cast(SQLCompiler, cast(ClauseElement, statement).compile(dialect=dialect))
        sql: str | None = str(compiled)
        if sql is not None and "POSTCOMPILE" in sql:
            sql = None
        names = tuple(compiled.positiontup or ()) if compiled.positional else None
        form = _DRIVER_FORMS[key] = (sql, names, dict(compiled.params))
    return form


def films_with_norm(session: Session, norm: str, year: int | None = None) -> list[int]:
    """Films one of whose titles normalises to exactly `norm` (a B-tree lookup), newest first."""
    rows = _run(session, _EXACT_SEEN, _EXACT_ALL, {"norm": norm})
    rows = [r for r in rows if year is None or r[1] == year]
    return [r[0] for r in sorted(rows, key=lambda r: (-(r[1] or 0), r[0]))]


def titles_with_prefix(
    session: Session, prefix: str, limit: int, year: int | None = None
) -> list[tuple[int, str, int | None]]:
    """(film_id, norm, year) of titles starting with `prefix` (a B-tree range scan)."""
    if not prefix:
        return []
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    params = {"lower": prefix, "upper": upper, "limit": limit}
    rows = _run(session, _PREFIX_SEEN, _PREFIX_ALL, params)
    return [(r[0], r[1], r[2]) for r in rows if year is None or r[2] == year]


def films_by_genre(session: Session, genre: str, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(FilmGenre.film_id)
            .where(func.lower(FilmGenre.genre) == genre.lower())
            .order_by(FilmGenre.film_id)
            .limit(limit)
        )
    )


def known_genres(session: Session) -> list[str]:
    """Every genre in use, in order. A loose index scan: one probe of the genre index per genre
    (a few dozen), where `DISTINCT` would read every film's genres (90 ms at a million films)."""
    first = select(func.min(FilmGenre.genre).label("genre")).cte("genres", recursive=True)
    following = select(func.min(FilmGenre.genre)).where(FilmGenre.genre > first.c.genre)
    genres = first.union_all(select(following.scalar_subquery()).where(first.c.genre.is_not(None)))
    return list(session.scalars(select(genres.c.genre).where(genres.c.genre.is_not(None))))


def count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@dataclass
class FilmRows:
    """Everything that names a film and goes when it is removed."""

    reviews: list[Review]
    showtimes: list[Showtime]
    member_ratings: int
    watchlist_entries: int
    not_interested: int
    subscription_ids: list[int]  # channels' alert subscriptions to the film itself


def film_rows(session: Session, film_id: int) -> FilmRows:
    def how_many(model: Any) -> int:
        return session.scalar(select(func.count()).where(model.film_id == film_id)) or 0

    return FilmRows(
        reviews=list(
            session.scalars(select(Review).where(Review.film_id == film_id).order_by(Review.id))
        ),
        showtimes=list(
            session.scalars(
                select(Showtime)
                .where(Showtime.film_id == film_id)
                .options(selectinload(Showtime.cinema), selectinload(Showtime.film))
                .order_by(Showtime.starts_at, Showtime.id)
            )
        ),
        member_ratings=how_many(MemberRating),
        watchlist_entries=how_many(WatchlistItem),
        not_interested=how_many(NotInterested),
        subscription_ids=list(
            session.scalars(
                select(Subscription.id).where(
                    Subscription.target_kind == "film", Subscription.target_id == film_id
                )
            )
        ),
    )


def delete_film(session: Session, film: Film, rows: FilmRows) -> None:
    """Delete a film and every row that names it.

    Explicit deletes rather than trusting ON DELETE CASCADE alone: the alert outbox and
    subscriptions name films and screenings by plain id (no foreign key), and stating each
    table here keeps the two backends identical.
    """
    showtime_ids = [s.id for s in rows.showtimes]
    quiet = {"synchronize_session": False}
    if showtime_ids:
        session.execute(
            delete(AlertOutbox).where(AlertOutbox.showtime_id.in_(showtime_ids)),
            execution_options=quiet,
        )
    if rows.subscription_ids:
        session.execute(
            delete(AlertOutbox).where(AlertOutbox.subscription_id.in_(rows.subscription_ids)),
            execution_options=quiet,
        )
        session.execute(
            delete(SubscriptionLead).where(
                SubscriptionLead.subscription_id.in_(rows.subscription_ids)
            ),
            execution_options=quiet,
        )
        session.execute(
            delete(Subscription).where(Subscription.id.in_(rows.subscription_ids)),
            execution_options=quiet,
        )
    for model in (MemberRating, WatchlistItem, NotInterested, Review, Showtime):
        session.execute(delete(model).where(model.film_id == film.id), execution_options=quiet)
    session.delete(film)
    session.flush()
