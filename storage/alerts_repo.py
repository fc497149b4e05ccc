"""Queries for showtime alerts: subscriptions, the scheduler's windows and the outbox.

Every function takes an open session (the unit of work belongs to the caller). The claim is the
one place where backends differ: PostgreSQL skips rows another worker holds locked; SQLite has
one writer at a time, so the single UPDATE statement is already atomic there.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    cast,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from storage.models import (
    AlertCursor,
    AlertOutbox,
    Cinema,
    Showtime,
    Subscription,
    SubscriptionLead,
    UTCDateTime,
    WatchlistItem,
)

# ---------------------------------------------------------------------------------------------
# Subscriptions and watchlists
# ---------------------------------------------------------------------------------------------


def channel_subscriptions(
    session: Session, platform: str, workspace_id: str, channel_id: str
) -> list[Subscription]:
    return list(
        session.scalars(
            select(Subscription)
            .where(
                Subscription.platform == platform,
                Subscription.workspace_id == workspace_id,
                Subscription.channel_id == channel_id,
            )
            .order_by(Subscription.id)
        )
    )


def target_key(kind: str, target_id: int | None, text: str | None) -> str:
    """One string naming what a subscription follows: `film:12`, `city:perth`, `all`."""
    if kind == "all":
        return "all"
    if kind == "city":
        return f"city:{text}"
    return f"{kind}:{target_id}"


def set_leads(session: Session, subscription: Subscription, leads: Iterable[int]) -> None:
    session.execute(
        delete(SubscriptionLead).where(SubscriptionLead.subscription_id == subscription.id)
    )
    if subscription.paused:
        return
    target = target_key(subscription.target_kind, subscription.target_id, subscription.target_text)
    session.add_all(
        SubscriptionLead(
            subscription_id=subscription.id,
            lead_minutes=lead,
            target=target,
            platform=subscription.platform,
            workspace_id=subscription.workspace_id,
            channel_id=subscription.channel_id,
        )
        for lead in sorted(set(leads))
    )


def delete_subscription_alerts(session: Session, subscription_id: int) -> int:
    """A removed subscription's pending alerts (the outbox has no cascade; see its model).

    Sent ones stay until pruned: an alert is the channel's, not the subscription's (one per
    channel however many subscriptions match), so the channel's history of what it was told
    must outlive any one subscription, or a later move would be announced as new."""
    result = session.execute(
        delete(AlertOutbox)
        .where(AlertOutbox.subscription_id == subscription_id, AlertOutbox.status == "pending")
        .execution_options(synchronize_session=False, preserve_rowcount=True)
    )
    return result.rowcount or 0


def watchlist(session: Session, platform: str, user_id: str) -> list[WatchlistItem]:
    return list(
        session.scalars(
            select(WatchlistItem)
            .where(WatchlistItem.platform == platform, WatchlistItem.user_id == user_id)
            .order_by(WatchlistItem.added_at, WatchlistItem.id)
        )
    )


def watch_item(session: Session, platform: str, user_id: str, film_id: int) -> WatchlistItem | None:
    return session.scalars(
        select(WatchlistItem).where(
            WatchlistItem.platform == platform,
            WatchlistItem.user_id == user_id,
            WatchlistItem.film_id == film_id,
        )
    ).first()


def city_known(session: Session, city_norm: str) -> bool:
    return (
        session.scalar(select(Cinema.id).where(Cinema.city_norm == city_norm).limit(1)) is not None
    )


# ---------------------------------------------------------------------------------------------
# The scheduler's reads
# ---------------------------------------------------------------------------------------------


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


_FACT_COLUMNS = (
    Showtime.id,
    Showtime.film_id,
    Showtime.cinema_id,
    Showtime.event_id,
    Cinema.city_norm,
    Showtime.starts_at,
    Showtime.cancelled,
    Showtime.created_at,
)


def _facts(rows: Iterable[Any]) -> list[ShowtimeFacts]:
    return [ShowtimeFacts(*row) for row in rows]


def distinct_leads(session: Session) -> list[int]:
    """The distinct reminder leads in use: a loose index scan, one index seek per value."""
    rows = session.execute(
        text(
            "WITH RECURSIVE leads(m) AS ("
            " SELECT MIN(lead_minutes) FROM subscription_lead"
            " UNION ALL"
            " SELECT (SELECT MIN(lead_minutes) FROM subscription_lead WHERE lead_minutes > m)"
            " FROM leads WHERE m IS NOT NULL)"
            " SELECT m FROM leads WHERE m IS NOT NULL"
        )
    )
    return [int(m) for (m,) in rows]


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


def count_showtimes_starting(session: Session, after: datetime, until: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Showtime)
            .where(
                Showtime.starts_at > after,
                Showtime.starts_at <= until,
                Showtime.cancelled.is_(False),
            )
        )
        or 0
    )


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
        ).where(S.paused.is_(False), _covers(showtimes))
    )
    return [
        SubscriberFacts(r[0], r[1], r[2], r[3], tuple(r[4] or ()), r[5], r[6], r[7]) for r in rows
    ]


class _Epoch(FunctionElement[int]):
    """Seconds since 1970 of a stored (naive UTC) timestamp."""

    type = BigInteger()
    inherit_cache = True


@compiles(_Epoch, "sqlite")
def _epoch_sqlite(element: _Epoch, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(_Epoch, "postgresql")
def _epoch_postgresql(element: _Epoch, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS BIGINT)"


class _MinutesBefore(FunctionElement[datetime]):
    """A stored timestamp minus a whole number of minutes, in the stored representation."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(_MinutesBefore, "sqlite")
def _minutes_before_sqlite(element: _MinutesBefore, compiler: Any, **kw: Any) -> str:
    at, minutes = list(element.clauses)
    # The text SQLAlchemy writes for a DateTime on SQLite, so stored values compare as equals.
    return (
        f"strftime('%Y-%m-%d %H:%M:%f000', {compiler.process(at, **kw)},"
        f" '-' || {compiler.process(minutes, **kw)} || ' minutes')"
    )


@compiles(_MinutesBefore, "postgresql")
def _minutes_before_postgresql(element: _MinutesBefore, compiler: Any, **kw: Any) -> str:
    at, minutes = list(element.clauses)
    at_sql, minutes_sql = compiler.process(at, **kw), compiler.process(minutes, **kw)
    return f"({at_sql} - make_interval(mins => {minutes_sql}))"


# Statements stay well under SQLite's limit of 500 terms in one compound SELECT.
_LEADS_PER_STATEMENT = 100


def enqueue_reminders(
    session: Session, windows: Sequence[tuple[int, datetime, datetime]], now: datetime
) -> int:
    """Record every reminder due in the given windows in the outbox; returns how many were new.

    A window (lead, after, until) stands for the screenings starting in (after, until] whose
    subscribers want a reminder `lead` minutes before. The matching and the writing happen in
    one INSERT ... SELECT, so a busy minute's thousands of alerts never pass through Python:
    each screening is looked up once per lead, and `ix_subscription_lead_match` yields exactly
    the subscriptions that follow its film, cinema, city or event (or everything) at that lead.
    Alerts already in the outbox (a re-run tick, a second scheduler) are skipped by their key.
    """
    added = 0
    connection = session.connection()
    for first in range(0, len(windows), _LEADS_PER_STATEMENT):
        part = windows[first : first + _LEADS_PER_STATEMENT]
        params: dict[str, Any] = {"now": now}
        for i, (lead, after, until) in enumerate(part):
            params |= {f"lead{i}": lead, f"after{i}": after, f"until{i}": until}
        statement = _reminder_insert(connection.dialect.name, len(part))
        added += max(connection.execute(statement, params).rowcount or 0, 0)
    return added


def _target_in(dialect: str, target: Any, due: Any) -> Any:
    """The lead row's target is one of the screening's five keys. PostgreSQL turns an IN list
    of columns into ORs, which no index serves (it hash-joined every lead row instead); an
    array comparison is an index condition there. SQLite probes the index for each key."""
    keys = [due.c.t_film, due.c.t_cinema, due.c.t_city, due.c.t_event, literal("all")]
    if dialect == "postgresql":
        return target == any_(postgresql.array(keys))
    return target.in_(keys)


@functools.lru_cache(maxsize=64)
def _reminder_insert(dialect: str, windows: int) -> Any:
    """The INSERT ... SELECT for `windows` lead windows, built once: the windows are bound
    parameters (lead{i}, after{i}, until{i}), so each tick only binds new values."""
    st, c = Showtime, Cinema
    branches = []
    for i in range(windows):
        lead = bindparam(f"lead{i}", type_=Integer)
        branches.append(
            select(
                st.id.label("showtime_id"),
                st.starts_at.label("starts_at"),
                lead.label("lead"),
                ("film:" + cast(st.film_id, String)).label("t_film"),
                ("cinema:" + cast(st.cinema_id, String)).label("t_cinema"),
                ("city:" + c.city_norm).label("t_city"),
                ("event:" + cast(st.event_id, String)).label("t_event"),  # NULL without event
                # The key leads with the screening, so one tick's keys land side by side in
                # the unique index rather than all over it (half the cost of a write).
                (
                    cast(st.id, String)
                    + "|reminder|"
                    + cast(lead, String)
                    + "|"
                    + cast(_Epoch(st.starts_at), String)
                    + "|c"
                ).label("key_head"),
                _MinutesBefore(st.starts_at, lead).label("due_at"),
            )
            .join(c, c.id == st.cinema_id)
            .where(
                st.starts_at > bindparam(f"after{i}", type_=UTCDateTime()),
                st.starts_at <= bindparam(f"until{i}", type_=UTCDateTime()),
                st.cancelled.is_(False),
            )
        )
    # A subquery, not a CTE: the sqlite3 driver reports no row count for a statement that
    # begins with WITH. OFFSET 0 keeps both planners from merging it into the join, which
    # would compute each screening's key and due time once per subscriber instead of once.
    due = (union_all(*branches) if len(branches) > 1 else branches[0]).offset(0).subquery("due")
    L = SubscriptionLead
    # The key ends with the channel (scheduler.channel_key), not the subscription: a channel
    # whose subscriptions overlap gets one reminder per screening and lead. The duplicates
    # one statement produces meet ON CONFLICT DO NOTHING and are skipped, on both backends.
    matched = (
        select(
            (due.c.key_head + L.platform + ":" + L.workspace_id + ":" + L.channel_id),
            literal("reminder"),
            L.subscription_id,
            due.c.showtime_id,
            due.c.lead,
            due.c.starts_at,
            L.platform,
            L.workspace_id,
            L.channel_id,
            literal(False),
            due.c.due_at,
            literal("pending"),
            literal(0),
            bindparam("now", type_=UTCDateTime()),
        )
        .select_from(due)
        .join(L, and_(L.lead_minutes == due.c.lead, _target_in(dialect, L.target, due)))
        # Every row is a running subscription's (paused ones have no lead rows). SQLite's
        # ON CONFLICT after INSERT ... SELECT needs a WHERE to parse.
        .where(true())
    )
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = [
        "dedupe_key",
        "kind",
        "subscription_id",
        "showtime_id",
        "lead_minutes",
        "starts_at",
        "platform",
        "workspace_id",
        "channel_id",
        "direct",
        "due_at",
        "status",
        "attempts",
        "created_at",
    ]
    return (
        insert(AlertOutbox)
        .from_select(columns, matched)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .execution_options(preserve_rowcount=True)
    )


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


def watchers_for(
    session: Session, film_ids: Iterable[int]
) -> list[tuple[str, str, str | None, int, list[str]]]:
    """(platform, user id, workspace id, film id, cities) of members watching these films."""
    rows = session.execute(
        select(
            WatchlistItem.platform,
            WatchlistItem.user_id,
            WatchlistItem.workspace_id,
            WatchlistItem.film_id,
            WatchlistItem.cities,
        ).where(WatchlistItem.film_id.in_(list(film_ids)))
    )
    return [(r[0], r[1], r[2], r[3], list(r[4] or ())) for r in rows]


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
    return [(r[0], r[1], r[2], bool(r[3]), int(r[4]), r[5], r[6]) for r in rows]


@dataclass(frozen=True)
class DigestFacts:
    id: int
    digest_local_time: str
    timezone: str | None
    next_digest_at: datetime
    platform: str
    workspace_id: str
    channel_id: str


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
        )
        .where(S.next_digest_at <= now, S.paused.is_(False), S.digest_local_time.is_not(None))
        .order_by(S.next_digest_at)
        .limit(limit)
    )
    return [DigestFacts(*row) for row in rows]


def set_next_digests(session: Session, next_at: Sequence[tuple[int, datetime]]) -> None:
    """Move each (subscription id, next digest time) forward in one executemany UPDATE."""
    if not next_at:
        return
    session.connection().execute(
        update(Subscription.__table__)
        .where(Subscription.__table__.c.id == bindparam("sub_id"))
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


# ---------------------------------------------------------------------------------------------
# The outbox
# ---------------------------------------------------------------------------------------------


def enqueue(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert alerts, skipping any whose dedupe_key exists already; returns how many were new."""
    if not rows:
        return 0
    connection = session.connection()
    statement = _outbox_insert(connection.dialect.name)
    added = 0
    for start in range(0, len(rows), 2000):
        result = connection.execute(statement, list(rows[start : start + 2000]))
        added += max(result.rowcount or 0, 0)
    return added


@functools.lru_cache(maxsize=4)
def _outbox_insert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(AlertOutbox)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .execution_options(preserve_rowcount=True)
    )


def claim(
    session: Session, now: datetime, lease_until: datetime, token: str, limit: int
) -> list[AlertOutbox]:
    """Lease up to `limit` due, unsent alerts to `token`, oldest first.

    The outer WHERE repeats the lease test: on PostgreSQL a row another worker claimed between
    our subquery and our update is re-checked and skipped, so no two workers hold one row.
    """
    claimable = and_(
        AlertOutbox.status == "pending",
        AlertOutbox.due_at <= now,
        or_(AlertOutbox.lease_until.is_(None), AlertOutbox.lease_until < now),
    )
    candidates = select(AlertOutbox.id).where(claimable).order_by(AlertOutbox.due_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    session.execute(
        update(AlertOutbox)
        .where(AlertOutbox.id.in_(candidates.scalar_subquery()), claimable)
        .values(
            claim_token=token,
            lease_until=lease_until,
            attempts=AlertOutbox.attempts + literal_column("1"),
        )
        .execution_options(synchronize_session=False)
    )
    return list(
        session.scalars(
            select(AlertOutbox).where(AlertOutbox.claim_token == token).order_by(AlertOutbox.id)
        )
    )


def set_batch(session: Session, ids: Sequence[int], token: str, batch_key: str) -> None:
    session.execute(
        update(AlertOutbox)
        .where(AlertOutbox.id.in_(list(ids)), AlertOutbox.claim_token == token)
        .values(batch_key=batch_key)
        .execution_options(synchronize_session=False)
    )


def finish(
    session: Session,
    ids: Sequence[int],
    token: str,
    *,
    status: str,
    at: datetime,
    message_id: str | None = None,
    note: str | None = None,
) -> int:
    """Mark claimed alerts sent (or dropped); only while our claim holds them."""
    result = session.execute(
        update(AlertOutbox)
        .where(AlertOutbox.id.in_(list(ids)), AlertOutbox.claim_token == token)
        .values(
            status=status,
            sent_at=at,
            message_id=message_id,
            note=note,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def release(
    session: Session,
    ids: Sequence[int],
    token: str,
    not_before: datetime | None,
    forget_batch: Sequence[int] = (),
) -> None:
    """Give alerts back: claimable by anyone from `not_before` (None: at once); `forget_batch`
    were never posted, so they lose their batch key and are batched afresh."""
    session.execute(
        update(AlertOutbox)
        .where(AlertOutbox.id.in_(list(ids)), AlertOutbox.claim_token == token)
        .values(claim_token=None, lease_until=not_before)
        .execution_options(synchronize_session=False)
    )
    if forget_batch:
        session.execute(
            update(AlertOutbox)
            .where(AlertOutbox.id.in_(list(forget_batch)))
            .values(batch_key=None)
            .execution_options(synchronize_session=False)
        )


def release_held(session: Session, token: str) -> int:
    """Give back every unsent alert `token` still holds, claimable by anyone at once (a worker
    shutting down, so its successor need not wait out the lease). Batch keys stay: whether the
    platform took an interrupted post is unknown, and a re-send under the same key is safe."""
    result = session.execute(
        update(AlertOutbox)
        .where(AlertOutbox.claim_token == token, AlertOutbox.status == "pending")
        .values(claim_token=None, lease_until=None)
        .execution_options(synchronize_session=False, preserve_rowcount=True)
    )
    return result.rowcount or 0


def prune_outbox(
    session: Session, due_before: datetime, started_before: datetime, limit: int = 5000
) -> int:
    """Delete up to `limit` finished alerts (sent or dropped) due before `due_before` whose
    screening, if any, started before `started_before`; returns how many. The scheduler never
    looks at such rows again (it only reads ahead), so their keys can go."""
    finished = AlertOutbox.status.in_(("sent", "dropped"))
    old = select(AlertOutbox.id).where(
        finished,
        AlertOutbox.due_at < due_before,
        or_(AlertOutbox.starts_at.is_(None), AlertOutbox.starts_at < started_before),
    )
    result = session.execute(
        delete(AlertOutbox)
        .where(AlertOutbox.id.in_(old.limit(limit).scalar_subquery()))
        .execution_options(synchronize_session=False, preserve_rowcount=True)
    )
    return result.rowcount or 0


def sent_announcement_exists(session: Session, alert: AlertOutbox) -> bool:
    """Was a new/update alert about this alert's showtime sent to the same destination?"""
    return (
        session.scalar(
            select(AlertOutbox.id)
            .where(
                AlertOutbox.showtime_id == alert.showtime_id,
                AlertOutbox.kind.in_(("new", "update")),
                AlertOutbox.status == "sent",
                AlertOutbox.platform == alert.platform,
                AlertOutbox.workspace_id == alert.workspace_id,
                AlertOutbox.channel_id == alert.channel_id,
                AlertOutbox.direct == alert.direct,
            )
            .limit(1)
        )
        is not None
    )


def pause_channel(
    session: Session, platform: str, workspace_id: str, channel_id: str, reason: str
) -> list[int]:
    """Pause the channel's subscriptions; returns the ids that were running until now."""
    ids = list(
        session.scalars(
            select(Subscription.id).where(
                Subscription.platform == platform,
                Subscription.workspace_id == workspace_id,
                Subscription.channel_id == channel_id,
                Subscription.paused.is_(False),
            )
        )
    )
    if ids:
        session.execute(
            update(Subscription)
            .where(Subscription.id.in_(ids))
            .values(paused=True, paused_reason=reason[:200])
            .execution_options(synchronize_session=False)
        )
        # No reminders are matched for a paused subscription; subscribing again restores them.
        session.execute(delete(SubscriptionLead).where(SubscriptionLead.subscription_id.in_(ids)))
    return ids


def drop_pending_for_channel(
    session: Session, platform: str, workspace_id: str, channel_id: str, at: datetime, note: str
) -> int:
    result = session.execute(
        update(AlertOutbox)
        .where(
            AlertOutbox.platform == platform,
            AlertOutbox.workspace_id == workspace_id,
            AlertOutbox.channel_id == channel_id,
            AlertOutbox.status == "pending",
        )
        .values(status="dropped", sent_at=at, note=note[:200], lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
