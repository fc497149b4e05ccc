"""Queries and writes, as functions over a session the caller opened (the unit of work)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, false, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from storage.models import (
    AlertOutbox,
    AuditEntry,
    Cinema,
    Credit,
    Event,
    Film,
    FilmGenre,
    FilmTitle,
    MemberRating,
    NotInterested,
    Person,
    Review,
    Showtime,
    Subscription,
    SubscriptionLead,
    WatchlistItem,
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


def iter_person_rows(
    session: Session, after_person_id: int = 0, batch: int = 50_000
) -> Iterator[tuple[int, str]]:
    """(person_id, norm) for every person newer than `after_person_id`, in id order."""
    last = after_person_id
    while True:
        rows = session.execute(
            select(Person.id, Person.norm).where(Person.id > last).order_by(Person.id).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield row[0], row[1]
        last = rows[-1][0]


def max_person_id(session: Session) -> int:
    return session.scalar(select(func.max(Person.id))) or 0


def people_with_prefix(session: Session, prefix: str, limit: int) -> list[tuple[int, str]]:
    """(person_id, norm) of people whose normalised name starts with `prefix` (B-tree range)."""
    if not prefix:
        return []
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    rows = session.execute(
        select(Person.id, Person.norm)
        .where(Person.norm >= prefix, Person.norm < upper)
        .order_by(Person.norm)
        .limit(limit)
    ).all()
    return [(r[0], r[1]) for r in rows]


def films_of_people(
    session: Session, person_ids: Sequence[int], limit: int
) -> list[tuple[int, str, str]]:
    """(film_id, person name, role) of these people's credits: the people in the order given,
    then directing before acting, then billing order."""
    if not person_ids:
        return []
    rank = case({pid: i for i, pid in enumerate(person_ids)}, value=Credit.person_id)
    rows = session.execute(
        select(Credit.film_id, Person.name, Credit.role)
        .join(Person, Person.id == Credit.person_id)
        .where(Credit.person_id.in_(person_ids))
        .order_by(rank, Credit.role.desc(), Credit.position, Credit.film_id)
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


def all_events(session: Session) -> list[Event]:
    """Every event with its cinemas (a community has dozens, not millions)."""
    return list(
        session.scalars(select(Event).options(selectinload(Event.cinemas)).order_by(Event.id))
    )


def events_matching(session: Session, norm: str) -> list[Event]:
    exact = list(session.scalars(select(Event).where(Event.norm == norm)))
    if exact:
        return exact
    return list(
        session.scalars(
            select(Event).where(Event.norm.like(f"%{_escape_like(norm)}%", escape="\\")).limit(10)
        )
    )


# The UTC bounds [start, end) of the local days asked for, per cinema time zone; an end of
# None means no end. Built by the core (bot/when.py `LocalDays`), applied here in SQL.
ZoneWindows = Mapping[str, tuple[datetime, datetime | None]]
# A subscription-like target: ("film", id), ("cinema", id), ("event", id), ("city", norm), or
# ("all", None). A list of them is an OR: a screening any of them covers.
ShowtimeTarget = tuple[str, int | str | None]


def showtime_zones(
    session: Session,
    *,
    film_ids: Sequence[int] | None = None,
    cinema_ids: Sequence[int] | None = None,
    event_ids: Sequence[int] | None = None,
) -> list[str]:
    """The distinct time zones of the cinemas that could hold such screenings (a handful, so
    a local-days filter is a short OR per zone). Without a film or event filter it reads the
    cinemas only, never the showtimes."""
    query = select(Cinema.timezone).distinct()
    if cinema_ids is not None:
        query = query.where(Cinema.id.in_(cinema_ids))
    if film_ids is not None or event_ids is not None:
        held = select(Showtime.cinema_id).where(Showtime.cancelled.is_(False))
        if film_ids is not None:
            held = held.where(Showtime.film_id.in_(film_ids))
        if event_ids is not None:
            held = held.where(Showtime.event_id.in_(event_ids))
        query = query.where(Cinema.id.in_(held))
    return sorted(session.scalars(query))


def upcoming_showtimes(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    zone_windows: ZoneWindows | None = None,
    film_ids: Sequence[int] | None = None,
    cinema_ids: Sequence[int] | None = None,
    event_ids: Sequence[int] | None = None,
    targets: Sequence[ShowtimeTarget] | None = None,
    include_cancelled: bool = False,
    offset: int = 0,
    limit: int | None = 10,
) -> tuple[list[Showtime], int]:
    """Screenings in time order with their total count, paged in SQL.

    `start`/`end` bound the UTC instant; `zone_windows` keeps, for each cinema time zone, the
    screenings inside that zone's window, so "Friday" is Friday where each screening happens
    (a cinema in a zone without a window is left out). The id filters AND together; `targets`
    is an OR of what subscriptions follow.
    """
    where: list[Any] = []
    if start is not None:
        where.append(Showtime.starts_at >= start)
    if end is not None:
        where.append(Showtime.starts_at < end)
    if not include_cancelled:
        where.append(Showtime.cancelled.is_(False))
    if zone_windows is not None:
        where.append(_in_zone_windows(zone_windows))
    if film_ids is not None:
        where.append(Showtime.film_id.in_(film_ids))
    if cinema_ids is not None:
        where.append(Showtime.cinema_id.in_(cinema_ids))
    if event_ids is not None:
        where.append(Showtime.event_id.in_(event_ids))
    if targets is not None:
        where.append(_covered_by(targets))
    on_cinema = Cinema.id == Showtime.cinema_id
    total = (
        session.scalar(
            select(func.count()).select_from(Showtime).join(Cinema, on_cinema).where(*where)
        )
        or 0
    )
    query = (
        select(Showtime)
        .join(Cinema, on_cinema)
        .where(*where)
        .options(
            selectinload(Showtime.film),
            selectinload(Showtime.cinema),
            selectinload(Showtime.event),
        )
        .order_by(Showtime.starts_at, Showtime.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query)), total


def _in_zone_windows(windows: ZoneWindows) -> Any:
    branches = []
    for tz, (low, high) in windows.items():
        terms = [Cinema.timezone == tz, Showtime.starts_at >= low]
        if high is not None:
            terms.append(Showtime.starts_at < high)
        branches.append(and_(*terms))
    return or_(*branches) if branches else false()


def _covered_by(targets: Sequence[ShowtimeTarget]) -> Any:
    terms: list[Any] = []
    for kind, value in targets:
        if kind == "all":
            return true()
        if kind == "film":
            terms.append(Showtime.film_id == value)
        elif kind == "cinema":
            terms.append(Showtime.cinema_id == value)
        elif kind == "event":
            terms.append(Showtime.event_id == value)
        elif kind == "city":
            terms.append(Cinema.city_norm == value)
        else:
            raise ValueError(f"unknown showtime target kind {kind!r}")
    return or_(*terms) if terms else false()


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


def get_audit_entry(session: Session, entry_id: int) -> AuditEntry | None:
    return session.get(AuditEntry, entry_id)


# ---------------------------------------------------------------------------------------------
# Duplicates and film removal (moderator commands)
# ---------------------------------------------------------------------------------------------


def scheduled_showtime_at(
    session: Session, film_id: int, cinema_id: int, starts_at: datetime
) -> Showtime | None:
    """A screening of this film at this cinema at this moment that is not cancelled."""
    return session.scalars(
        select(Showtime)
        .where(
            Showtime.film_id == film_id,
            Showtime.cinema_id == cinema_id,
            Showtime.starts_at == starts_at,
            Showtime.cancelled.is_(False),
        )
        .order_by(Showtime.id)
    ).first()


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
