"""Queries and writes for recommendations: ratings, "not interested", and the bulk reads that
build the in-memory recommendation index. Functions over a session the caller opened."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, literal, select, text, union_all
from sqlalchemy.orm import Session

from storage.community_scope import EVERY_COMMUNITY
from storage.models_catalogue import Credit, Film, FilmGenre, Person, Review
from storage.models_members import MemberRating, NotInterested, WatchlistItem
from storage.models_screenings import Cinema, Showtime

BATCH = 50_000
# SQLite pages kept in memory while the index reads whole tables (about 2 MB): every page is
# read once, so storage/db.py's 64 MB cache would only fill up with them, and that was 64 MB
# of the build's peak at a million films (bench/bench_recommend.py).
BULK_CACHE_KIB = 2048
# The index is one per process, learned from every community's ratings (each community's
# statistics and local films are then told apart by the columns these reads return): its reads
# and its signature see every community even in a command's scoped session, so the first build,
# the background rebuild (unscoped) and every community's requests agree on one signature.
_EVERY = {EVERY_COMMUNITY: True}

# ---------------------------------------------------------------------------------------------
# Bulk reads for the index
# ---------------------------------------------------------------------------------------------


def index_signature(session: Session) -> tuple[Any, ...]:
    """Cheap facts that change when films or ratings are added, or reviews added or edited.

    Films and ratings are read by their primary keys' maxima (an index lookup even at millions
    of rows); reviews, the community's few critics' texts, by a count and their latest edit.
    One statement, because it runs on every recommendation request.
    """
    row = session.execute(
        select(
            select(func.max(Film.id)).scalar_subquery(),
            select(func.max(MemberRating.id)).scalar_subquery(),
            select(func.count(Review.id)).scalar_subquery(),
            select(func.max(Review.updated_at)).scalar_subquery(),
        ).execution_options(**_EVERY)
    ).one()
    return tuple(row)


@contextmanager
def bulk_reads(session: Session) -> Iterator[None]:
    """Around the index's full-table reads: on SQLite, a small page cache for the session's
    connection (shrinking it also releases what it held), restored afterwards."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    before = session.execute(text("PRAGMA cache_size")).scalar_one()
    session.execute(text(f"PRAGMA cache_size=-{BULK_CACHE_KIB}"))
    try:
        yield
    finally:
        session.execute(text(f"PRAGMA cache_size={int(before)}"))


def _batches(session: Session, stmt: Any, key: Any) -> Iterator[Sequence[Any]]:
    """Keyset pagination over `stmt` by the integer column `key`: constant memory per batch."""
    last = -1
    while True:
        rows = session.execute(stmt.where(key > last).order_by(key).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def iter_films(session: Session) -> Iterator[Sequence[Any]]:
    """Batches of (id, year, countries, languages, synopsis, community_id), in id order
    (community_id None: a shared film)."""
    stmt = select(
        Film.id, Film.year, Film.countries, Film.languages, Film.synopsis, Film.community_id
    ).execution_options(**_EVERY)
    return _batches(session, stmt, Film.id)


def iter_genres(session: Session) -> Iterator[Sequence[Any]]:
    """Batches of (film_id, genre)."""
    # yield_per: an ORM result is otherwise buffered whole (1.8M rows, 320 MB at a million films).
    stmt = select(FilmGenre.film_id, FilmGenre.genre).order_by(FilmGenre.film_id)
    rows = session.execute(stmt.execution_options(yield_per=BATCH, **_EVERY))
    while batch := rows.fetchmany(BATCH):
        yield batch


def iter_credits(session: Session) -> Iterator[Sequence[Any]]:
    """Batches of (credit id, film_id, person_id, role)."""
    stmt = select(Credit.id, Credit.film_id, Credit.person_id, Credit.role).execution_options(
        **_EVERY
    )
    return _batches(session, stmt, Credit.id)


def iter_reviews(session: Session) -> Iterator[Sequence[Any]]:
    """Batches of (id, film_id, author_platform, author_user_id, rating_halves, headline, body,
    community_id)."""
    stmt = select(
        Review.id,
        Review.film_id,
        Review.author_platform,
        Review.author_user_id,
        Review.rating_halves,
        Review.headline,
        Review.body,
        Review.community_id,
    ).execution_options(**_EVERY)
    return _batches(session, stmt, Review.id)


def iter_member_ratings(session: Session) -> Iterator[Sequence[Any]]:
    """Batches of (id, platform, user_id, film_id, rating_halves, community_id)."""
    stmt = select(
        MemberRating.id,
        MemberRating.platform,
        MemberRating.user_id,
        MemberRating.film_id,
        MemberRating.rating_halves,
        MemberRating.community_id,
    ).execution_options(**_EVERY)
    return _batches(session, stmt, MemberRating.id)


# ---------------------------------------------------------------------------------------------
# One member's taste
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberTaste:
    ratings: dict[int, int]  # film id → half-stars from `rate`
    review_ratings: dict[int, int]  # film id → half-stars of the member's own reviews
    hidden: set[int]  # "not interested"
    watchlist: set[int]


def member_taste(session: Session, platform: str, user_id: str) -> MemberTaste:
    """Everything about one member that personalises a list, in one round trip (UNION ALL)."""
    rating = select(literal("rate"), MemberRating.film_id, MemberRating.rating_halves).where(
        MemberRating.platform == platform, MemberRating.user_id == user_id
    )
    review = select(literal("review"), Review.film_id, Review.rating_halves).where(
        Review.author_platform == platform, Review.author_user_id == user_id
    )
    hidden = select(literal("hidden"), NotInterested.film_id, literal(0)).where(
        NotInterested.platform == platform, NotInterested.user_id == user_id
    )
    watch = select(literal("watch"), WatchlistItem.film_id, literal(0)).where(
        WatchlistItem.platform == platform, WatchlistItem.user_id == user_id
    )
    taste = MemberTaste({}, {}, set(), set())
    for kind, film_id, halves in session.execute(union_all(rating, review, hidden, watch)):
        if kind == "rate":
            taste.ratings[film_id] = halves
        elif kind == "review":
            taste.review_ratings[film_id] = halves
        elif kind == "hidden":
            taste.hidden.add(film_id)
        else:
            taste.watchlist.add(film_id)
    return taste


def member_ratings(session: Session, platform: str, user_id: str) -> dict[int, int]:
    """film id → half-stars the member gave with `rate`."""
    rows = session.execute(
        select(MemberRating.film_id, MemberRating.rating_halves).where(
            MemberRating.platform == platform, MemberRating.user_id == user_id
        )
    )
    return {r[0]: r[1] for r in rows}


def not_interested_ids(session: Session, platform: str, user_id: str) -> set[int]:
    rows = session.scalars(
        select(NotInterested.film_id).where(
            NotInterested.platform == platform, NotInterested.user_id == user_id
        )
    )
    return set(rows)


def set_rating(
    session: Session, platform: str, user_id: str, film_id: int, halves: int, now: datetime
) -> int | None:
    """Record the member's score for a film; returns the half-stars it replaced, if any.

    A changed score is a new row (the old one is deleted), so the index's signature — the
    newest rating id — notices it.
    """
    old = session.scalars(
        select(MemberRating).where(
            MemberRating.platform == platform,
            MemberRating.user_id == user_id,
            MemberRating.film_id == film_id,
        )
    ).first()
    previous = old.rating_halves if old else None
    if old is not None:
        session.delete(old)
        session.flush()
    session.add(
        MemberRating(
            platform=platform, user_id=user_id, film_id=film_id, rating_halves=halves, rated_at=now
        )
    )
    session.flush()
    return previous


def add_not_interested(
    session: Session, platform: str, user_id: str, film_id: int, now: datetime
) -> bool:
    """Hide a film from the member's recommendations; False if it was hidden already."""
    if film_id in not_interested_ids(session, platform, user_id):
        return False
    session.add(NotInterested(platform=platform, user_id=user_id, film_id=film_id, added_at=now))
    session.flush()
    return True


def remove_not_interested(session: Session, platform: str, user_id: str, film_id: int) -> bool:
    result = session.execute(
        delete(NotInterested).where(
            NotInterested.platform == platform,
            NotInterested.user_id == user_id,
            NotInterested.film_id == film_id,
        )
    )
    return bool(getattr(result, "rowcount", 0))


# ---------------------------------------------------------------------------------------------
# What is showing
# ---------------------------------------------------------------------------------------------


def next_showings(
    session: Session, start: datetime, end: datetime, cinema_ids: Sequence[int] | None
) -> dict[int, int]:
    """film id → id of its first screening in [start, end) (at those cinemas), by start time."""
    stmt = (
        select(Showtime.film_id, Showtime.id)
        .where(
            Showtime.starts_at >= start,
            Showtime.starts_at < end,
            Showtime.cancelled.is_(False),
        )
        .order_by(Showtime.starts_at, Showtime.id)
    )
    if cinema_ids is not None:
        stmt = stmt.where(Showtime.cinema_id.in_(cinema_ids))
    first: dict[int, int] = {}
    for film_id, showtime_id in session.execute(stmt):
        first.setdefault(film_id, showtime_id)
    return first


@dataclass(frozen=True)
class ListedShowtime:
    starts_at: datetime
    cinema: str
    timezone: str


def get_showtimes(session: Session, showtime_ids: Sequence[int]) -> dict[int, ListedShowtime]:
    """When and where each screening is: one query, columns only (no ORM objects)."""
    if not showtime_ids:
        return {}
    rows = session.execute(
        select(Showtime.id, Showtime.starts_at, Cinema.name, Cinema.timezone)
        .join(Cinema, Cinema.id == Showtime.cinema_id)
        .where(Showtime.id.in_(showtime_ids))
    )
    return {r[0]: ListedShowtime(r[1], r[2], r[3]) for r in rows}


@dataclass(frozen=True)
class ListedFilm:
    """What a recommendation's label and reason read of a film."""

    id: int
    title: str
    year: int | None
    countries: list[str]
    synopsis: str | None
    genres: tuple[str, ...]  # by name, as Film.genres orders them


def listed_films(session: Session, film_ids: Sequence[int]) -> dict[int, ListedFilm]:
    """The films' columns and genres in one query, as plain rows: no ORM identity map, no
    relationship loads. People are read only when a reason names them (`credited_names`)."""
    if not film_ids:
        return {}
    genres = func.aggregate_strings(FilmGenre.genre, _GENRE_SEP)
    rows = session.execute(
        select(Film.id, Film.title, Film.year, Film.countries, Film.synopsis, genres)
        .outerjoin(FilmGenre, FilmGenre.film_id == Film.id)
        .where(Film.id.in_(sorted(set(film_ids))))
        .group_by(Film.id)
    )
    return {
        r[0]: ListedFilm(
            r[0],
            r[1],
            r[2],
            r[3] or [],
            r[4],
            tuple(sorted(r[5].split(_GENRE_SEP))) if r[5] else (),
        )
        for r in rows
    }


# Joins a film's genres in one column: a control character no genre name contains.
_GENRE_SEP = "\x1f"


def credited_names(
    session: Session, film_ids: Sequence[int], person_ids: Sequence[int]
) -> dict[int, list[tuple[int, str]]]:
    """film id → (person id, name) of those people credited on it, in credit order."""
    if not film_ids or not person_ids:
        return {}
    out: dict[int, list[tuple[int, str]]] = {}
    for film_id, person_id, name in session.execute(
        select(Credit.film_id, Person.id, Person.name)
        .join(Person, Person.id == Credit.person_id)
        .where(
            Credit.film_id.in_(sorted(set(film_ids))), Credit.person_id.in_(sorted(set(person_ids)))
        )
        .order_by(Credit.film_id, Credit.position, Credit.id)
    ):
        out.setdefault(film_id, []).append((person_id, name))
    return out
