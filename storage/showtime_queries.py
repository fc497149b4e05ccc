"""Screenings: the upcoming ones in local-day windows per cinema time zone, and single ones."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select, true
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from storage.models_screenings import Cinema, Showtime

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
    total: int | None = None,
) -> tuple[list[Showtime], int]:
    """Screenings in time order with their total count, paged in SQL.

    `start`/`end` bound the UTC instant; `zone_windows` keeps, for each cinema time zone, the
    screenings inside that zone's window, so "Friday" is Friday where each screening happens
    (a cinema in a zone without a window is left out). The id filters AND together; `targets`
    is an OR of what subscriptions follow. `limit` 0 counts only; `total`: the count the
    caller already has for these filters (the page after counting), returned as it is.
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
    if total is None:
        total = (
            session.scalar(
                select(func.count()).select_from(Showtime).join(Cinema, on_cinema).where(*where)
            )
            or 0
        )
    if limit == 0:
        return [], total
    # One statement: the film and event joined in, the cinema from the join already made
    # (three selectin loads after the page cost a statement each).
    query = (
        select(Showtime)
        .join(Cinema, on_cinema)
        .where(*where)
        .options(
            contains_eager(Showtime.cinema),
            joinedload(Showtime.film),
            joinedload(Showtime.event),
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


def showtimes_with_places(session: Session, showtime_ids: Iterable[int]) -> dict[int, Showtime]:
    """id → screening, with its film, cinema and event loaded (an alert message names them)."""
    found = session.scalars(
        select(Showtime)
        .where(Showtime.id.in_(list(showtime_ids)))
        .options(
            selectinload(Showtime.film), selectinload(Showtime.cinema), selectinload(Showtime.event)
        )
    )
    return {s.id: s for s in found}
