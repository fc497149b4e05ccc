"""Reminders enqueued in the database: one INSERT ... SELECT per batch of lead times, so a
tick never loads the screenings it reminds about. The arithmetic on times differs by backend
and is compiled per dialect here."""

from __future__ import annotations

import functools
from collections.abc import Sequence
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
    func,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from storage.models_alerts import AlertOutbox, SubscriptionLead
from storage.models_base import UTCDateTime
from storage.models_screenings import Cinema, Showtime


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


def _visible_to(community: Any, due: Any) -> Any:
    """A lead row of `community` hears only of its own community's screenings at its own
    community's cinemas, and of shared ones (community NULL)."""
    return and_(
        or_(due.c.st_community.is_(None), due.c.st_community == community),
        or_(due.c.cinema_community.is_(None), due.c.cinema_community == community),
    )


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
                # Whose screening and cinema these are (NULL: shared by every community).
                st.community_id.label("st_community"),
                c.community_id.label("cinema_community"),
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
            L.community_id,
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
        .join(
            L,
            and_(
                L.lead_minutes == due.c.lead,
                _target_in(dialect, L.target, due),
                _visible_to(L.community_id, due),
            ),
        )
        # Every row is a running subscription's (paused ones have no lead rows). SQLite's
        # ON CONFLICT after INSERT ... SELECT needs a WHERE to parse.
        .where(true())
    )
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = [
        "dedupe_key",
        "community_id",
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
