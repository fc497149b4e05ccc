"""The scheduler's other queries: screenings that start or changed in a window, who is
subscribed to them, what was already announced, digests that are due, and the tick cursor."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models_alerts import AlertCursor, AlertOutbox, Subscription
from storage.models_members import WatchlistItem
from storage.models_screenings import Cinema, Showtime

_SUBSCRIPTIONS = cast(Table, Subscription.__table__)  # a mapped class's table is a Table


@dataclass(frozen=True)
class ShowtimeFacts:
    """What matching and keys need about a showtime, without loading ORM objects."""

    id: int
    film_id: int
    cinema_id: int
    event_id: int | None
    city_norm: str
    starts_at: datetime
    cancelled: bool
    created_at: datetime
    # Whose screening and cinema these are; None is shared (storage/models_communities.py).
    community_id: int | None
    cinema_community_id: int | None

    def visible_to(self, community_id: int) -> bool:
        """May a subscription or watchlist item of `community_id` hear of this screening?"""
        return {self.community_id, self.cinema_community_id} <= {None, community_id}

    @property
    def audience(self) -> int | None:
        """The one community that may hear of it, or None if every community may."""
        return self.community_id if self.community_id is not None else self.cinema_community_id


def _audiences(showtimes: Iterable[ShowtimeFacts]) -> set[int] | None:
    """The communities that may hear of any of `showtimes`; None: every community may."""
    found: set[int] = set()
    for st in showtimes:
        if st.audience is None:
            return None
        found.add(st.audience)
    return found


def _heard_by(community: Any, showtimes: Sequence[ShowtimeFacts]) -> Any:
    """A condition on a subscriber's community column: it may hear of one of `showtimes`
    (rows it may not hear of are also dropped per screening, by `ShowtimeFacts.visible_to`)."""
    wanted = _audiences(showtimes)
    return true() if wanted is None else community.in_(wanted)


@dataclass(frozen=True)
class SubscriberFacts:
    id: int
    target_kind: str
    target_id: int | None
    target_text: str | None
    kinds: tuple[str, ...]
    platform: str
    workspace_id: str
    channel_id: str
    community_id: int


_FACT_COLUMNS = (
    Showtime.id,
    Showtime.film_id,
    Showtime.cinema_id,
    Showtime.event_id,
    Cinema.city_norm,
    Showtime.starts_at,
    Showtime.cancelled,
    Showtime.created_at,
    Showtime.community_id,
    Cinema.community_id,
)


def _facts(rows: Iterable[Any]) -> list[ShowtimeFacts]:
    return [ShowtimeFacts(*row) for row in rows]


def showtimes_starting(session: Session, after: datetime, until: datetime) -> list[ShowtimeFacts]:
    """Scheduled showtimes with after < starts_at <= until (an index range scan)."""
    rows = session.execute(
        select(*_FACT_COLUMNS)
        .join(Cinema, Cinema.id == Showtime.cinema_id)
        .where(
            Showtime.starts_at > after,
            Showtime.starts_at <= until,
            Showtime.cancelled.is_(False),
        )
    )
    return _facts(rows)


def showtimes_changed(
    session: Session, after: datetime, until: datetime, starting_after: datetime
) -> list[ShowtimeFacts]:
    """Showtimes added, moved or cancelled in (after, until] that have not started yet."""
    rows = session.execute(
        select(*_FACT_COLUMNS)
        .join(Cinema, Cinema.id == Showtime.cinema_id)
        .where(
            Showtime.updated_at > after,
            Showtime.updated_at <= until,
            Showtime.starts_at > starting_after,
        )
    )
    return _facts(rows)


def subscribers_for(session: Session, showtimes: Sequence[ShowtimeFacts]) -> list[SubscriberFacts]:
    """Unpaused subscriptions whose target covers any of `showtimes` (each target indexed)."""
    if not showtimes:
        return []
    S = Subscription
    rows = session.execute(
        select(
            S.id,
            S.target_kind,
            S.target_id,
            S.target_text,
            S.kinds,
            S.platform,
            S.workspace_id,
            S.channel_id,
            S.community_id,
        ).where(S.paused.is_(False), _covers(showtimes), _heard_by(S.community_id, showtimes))
    )
    return [
        SubscriberFacts(r[0], r[1], r[2], r[3], tuple(r[4] or ()), r[5], r[6], r[7], r[8])
        for r in rows
    ]


def _covers(showtimes: Sequence[ShowtimeFacts]) -> Any:
    S = Subscription
    targets = [
        S.target_kind == "all",
        and_(S.target_kind == "film", S.target_id.in_({s.film_id for s in showtimes})),
        and_(S.target_kind == "cinema", S.target_id.in_({s.cinema_id for s in showtimes})),
        and_(S.target_kind == "city", S.target_text.in_({s.city_norm for s in showtimes})),
    ]
    events = {s.event_id for s in showtimes if s.event_id is not None}
    if events:
        targets.append(and_(S.target_kind == "event", S.target_id.in_(events)))
    return or_(*targets)


@dataclass(frozen=True)
class WatcherFacts:
    platform: str
    user_id: str
    workspace_id: str | None
    film_id: int
    cities: tuple[str, ...]
    community_id: int


def watchers_for(session: Session, showtimes: Sequence[ShowtimeFacts]) -> list[WatcherFacts]:
    """Watchlist items of these showtimes' films, in communities that may hear of them."""
    if not showtimes:
        return []
    W = WatchlistItem
    rows = session.execute(
        select(W.platform, W.user_id, W.workspace_id, W.film_id, W.cities, W.community_id).where(
            W.film_id.in_({st.film_id for st in showtimes}),
            _heard_by(W.community_id, showtimes),
        )
    )
    return [WatcherFacts(r[0], r[1], r[2], r[3], tuple(r[4] or ()), r[5]) for r in rows]


def announcements_of(
    session: Session, showtime_ids: Sequence[int]
) -> list[tuple[str, str, str, bool, int, str, datetime | None]]:
    """(platform, workspace id, channel id, direct, showtime id, kind, starts_at) of past
    new/update/cancel alerts, oldest first."""
    if not showtime_ids:
        return []
    rows = session.execute(
        select(
            AlertOutbox.platform,
            AlertOutbox.workspace_id,
            AlertOutbox.channel_id,
            AlertOutbox.direct,
            AlertOutbox.showtime_id,
            AlertOutbox.kind,
            AlertOutbox.starts_at,
        )
        .where(
            AlertOutbox.showtime_id.in_(list(showtime_ids)),
            AlertOutbox.kind.in_(("new", "update", "cancel")),
            AlertOutbox.status != "dropped",
        )
        .order_by(AlertOutbox.id)
    )
    # showtime_id IN (...) above: never NULL here.
    return [(r[0], r[1], r[2], bool(r[3]), int(r[4] or 0), r[5], r[6]) for r in rows]


@dataclass(frozen=True)
class DigestFacts:
    id: int
    digest_local_time: str
    timezone: str | None
    next_digest_at: datetime
    platform: str
    workspace_id: str
    channel_id: str
    community_id: int


def due_digests(session: Session, now: datetime, limit: int = 5000) -> list[DigestFacts]:
    S = Subscription
    rows = session.connection().execute(
        select(
            S.id,
            S.digest_local_time,
            S.timezone,
            S.next_digest_at,
            S.platform,
            S.workspace_id,
            S.channel_id,
            S.community_id,
        )
        .where(S.next_digest_at <= now, S.paused.is_(False), S.digest_local_time.is_not(None))
        .order_by(S.next_digest_at)
        .limit(limit)
    )
    # digest_local_time IS NOT NULL above, and next_digest_at <= now implies it is set.
    return [DigestFacts(r[0], r[1] or "", r[2], r[3] or now, r[4], r[5], r[6], r[7]) for r in rows]


def set_next_digests(session: Session, next_at: Sequence[tuple[int, datetime]]) -> None:
    """Move each (subscription id, next digest time) forward in one executemany UPDATE."""
    if not next_at:
        return
    session.connection().execute(
        update(_SUBSCRIPTIONS)
        .where(_SUBSCRIPTIONS.c.id == bindparam("sub_id"))
        .values(next_digest_at=bindparam("next_at")),
        [{"sub_id": i, "next_at": at} for i, at in next_at],
    )


def cursor(session: Session, name: str) -> datetime | None:
    return session.connection().scalar(select(AlertCursor.at).where(AlertCursor.name == name))


def set_cursor(session: Session, name: str, at: datetime) -> None:
    """Move the cursor forward (never back); safe when two schedulers tick at once."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(AlertCursor).values(name=name, at=at)
    session.connection().execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"at": statement.excluded.at},
            where=AlertCursor.at < statement.excluded.at,
        )
    )
