"""Queries and writes, as functions over a session the caller opened (the unit of work)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from storage.models import (
    AuditEntry,
    Cinema,
    Credit,
    Event,
    Film,
    FilmGenre,
    FilmTitle,
    MemberRating,
    Person,
    Review,
    Showtime,
)

_FILM_LOAD = (
    selectinload(Film.titles),
    selectinload(Film.credits).selectinload(Credit.person),
    selectinload(Film.genres),
)

# ---------------------------------------------------------------------------------------------
# Films and titles
# ---------------------------------------------------------------------------------------------


def get_film(session: Session, film_id: int) -> Film | None:
    return session.scalars(select(Film).where(Film.id == film_id).options(*_FILM_LOAD)).first()


def get_films(session: Session, film_ids: Sequence[int]) -> dict[int, Film]:
    if not film_ids:
        return {}
    films = session.scalars(select(Film).where(Film.id.in_(film_ids)).options(*_FILM_LOAD))
    return {f.id: f for f in films}


def iter_title_rows(
    session: Session, after_title_id: int = 0, batch: int = 50_000
) -> Iterator[tuple[int, int, str, int | None]]:
    """(title_id, film_id, norm, year) for every title newer than `after_title_id`, in id order."""
    last = after_title_id
    while True:
        rows = session.execute(
            select(FilmTitle.id, FilmTitle.film_id, FilmTitle.norm, Film.year)
            .join(Film, Film.id == FilmTitle.film_id)
            .where(FilmTitle.id > last)
            .order_by(FilmTitle.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield row[0], row[1], row[2], row[3]
        last = rows[-1][0]


def max_title_id(session: Session) -> int:
    return session.scalar(select(func.max(FilmTitle.id))) or 0


# Title lookups run on every command: their statements are built once, not per call.
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


def films_with_norm(session: Session, norm: str, year: int | None = None) -> list[int]:
    """Films one of whose titles normalises to exactly `norm` (a B-tree lookup), newest first."""
    rows = session.execute(_EXACT, {"norm": norm}).all()
    rows = [r for r in rows if year is None or r[1] == year]
    return [r[0] for r in sorted(rows, key=lambda r: (-(r[1] or 0), r[0]))]


def titles_with_prefix(
    session: Session, prefix: str, limit: int, year: int | None = None
) -> list[tuple[int, str, int | None]]:
    """(film_id, norm, year) of titles starting with `prefix` (a B-tree range scan)."""
    if not prefix:
        return []
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    rows = session.execute(_PREFIX, {"lower": prefix, "upper": upper, "limit": limit}).all()
    return [(r[0], r[1], r[2]) for r in rows if year is None or r[2] == year]


def get_or_create_person(session: Session, name: str, norm: str) -> Person:
    person = session.scalars(select(Person).where(Person.norm == norm)).first()
    if person is None:
        person = Person(name=name, norm=norm)
        session.add(person)
        session.flush()
    return person


def films_by_person(session: Session, norm: str, limit: int) -> list[tuple[int, str, str]]:
    """(film_id, person name, role) for people whose normalised name contains `norm`."""
    rows = session.execute(
        select(Credit.film_id, Person.name, Credit.role)
        .join(Person, Person.id == Credit.person_id)
        .where(Person.norm.like(f"%{_escape_like(norm)}%", escape="\\"))
        .order_by(Credit.role.desc(), Credit.position, Credit.film_id)
        .limit(limit)
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


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
    return list(session.scalars(select(FilmGenre.genre).distinct().order_by(FilmGenre.genre)))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ---------------------------------------------------------------------------------------------
# Reviews and ratings
# ---------------------------------------------------------------------------------------------


def reviews_for_film(
    session: Session, film_id: int, offset: int, limit: int
) -> tuple[list[Review], int]:
    total = session.scalar(select(func.count()).where(Review.film_id == film_id)) or 0
    reviews = list(
        session.scalars(
            select(Review)
            .where(Review.film_id == film_id)
            .order_by(Review.published_at.desc(), Review.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )
    return reviews, total


def get_review(session: Session, review_id: int) -> Review | None:
    return session.get(Review, review_id)


def rating_summary(session: Session, film_id: int) -> tuple[float | None, int, int]:
    """(mean stars over reviews and member ratings, number of ratings, number of reviews)."""
    r_sum, r_count = session.execute(
        select(func.sum(Review.rating_halves), func.count(Review.id)).where(
            Review.film_id == film_id
        )
    ).one()
    m_sum, m_count = session.execute(
        select(func.sum(MemberRating.rating_halves), func.count(MemberRating.id)).where(
            MemberRating.film_id == film_id
        )
    ).one()
    count = (r_count or 0) + (m_count or 0)
    if not count:
        return None, 0, 0
    return ((r_sum or 0) + (m_sum or 0)) / count / 2, count, r_count or 0


# ---------------------------------------------------------------------------------------------
# Cinemas, events, showtimes
# ---------------------------------------------------------------------------------------------


def cinemas_matching(session: Session, norm: str) -> list[Cinema]:
    """Cinemas whose normalised name equals, else contains, `norm`."""
    exact = list(session.scalars(select(Cinema).where(Cinema.norm == norm)))
    if exact:
        return exact
    return list(
        session.scalars(
            select(Cinema)
            .where(Cinema.norm.like(f"%{_escape_like(norm)}%", escape="\\"))
            .order_by(Cinema.name)
            .limit(25)
        )
    )


def cinemas_in_city(session: Session, city_norm: str) -> list[Cinema]:
    return list(session.scalars(select(Cinema).where(Cinema.city_norm == city_norm)))


def all_cinemas(session: Session) -> list[Cinema]:
    return list(session.scalars(select(Cinema).order_by(Cinema.city, Cinema.name)))


def events_matching(session: Session, norm: str) -> list[Event]:
    exact = list(session.scalars(select(Event).where(Event.norm == norm)))
    if exact:
        return exact
    return list(
        session.scalars(
            select(Event).where(Event.norm.like(f"%{_escape_like(norm)}%", escape="\\")).limit(10)
        )
    )


def upcoming_showtimes(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    film_ids: Sequence[int] | None = None,
    cinema_ids: Sequence[int] | None = None,
    event_ids: Sequence[int] | None = None,
    offset: int = 0,
    limit: int = 10,
) -> tuple[list[Showtime], int]:
    where: list[Any] = [
        Showtime.starts_at >= start,
        Showtime.starts_at < end,
        Showtime.cancelled.is_(False),
    ]
    if film_ids is not None:
        where.append(Showtime.film_id.in_(film_ids))
    if cinema_ids is not None:
        where.append(Showtime.cinema_id.in_(cinema_ids))
    if event_ids is not None:
        where.append(Showtime.event_id.in_(event_ids))
    total = session.scalar(select(func.count()).select_from(Showtime).where(*where)) or 0
    rows = list(
        session.scalars(
            select(Showtime)
            .where(*where)
            .options(
                selectinload(Showtime.film),
                selectinload(Showtime.cinema),
                selectinload(Showtime.event),
            )
            .order_by(Showtime.starts_at, Showtime.id)
            .offset(offset)
            .limit(limit)
        )
    )
    return rows, total


def get_showtime(session: Session, showtime_id: int) -> Showtime | None:
    return session.scalars(
        select(Showtime)
        .where(Showtime.id == showtime_id)
        .options(
            selectinload(Showtime.film), selectinload(Showtime.cinema), selectinload(Showtime.event)
        )
    ).first()


# ---------------------------------------------------------------------------------------------
# Audit
# ---------------------------------------------------------------------------------------------


def recent_audit(session: Session, offset: int, limit: int) -> tuple[list[AuditEntry], int]:
    total = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    rows = list(
        session.scalars(
            select(AuditEntry)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )
    return rows, total


def count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0
