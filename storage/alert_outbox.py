"""The alert outbox: enqueue, claim under a lease, mark sent or failed, release, prune.

The claim is the one place where backends differ: PostgreSQL skips rows another worker holds
locked; SQLite has one writer at a time, so the single UPDATE statement is already atomic there."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    and_,
    case,
    cast,
    delete,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.db import affected
from storage.models_alerts import AlertOutbox, Subscription, SubscriptionLead


def enqueue(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert alerts, skipping any whose dedupe_key exists already; returns how many were new.
    Each row names the community it serves (`community_id`): the scheduler's session has none."""
    if not rows:
        return 0
    connection = session.connection()
    statement = _outbox_insert(connection.dialect.name)
    added = 0
    for start in range(0, len(rows), 2000):
        result = connection.execute(statement, list(rows[start : start + 2000]))
        added += affected(result)
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
    session: Session,
    now: datetime,
    lease_until: datetime,
    token: str,
    limit: int,
    *,
    discord_shards: tuple[int, Sequence[int]] | None = None,
) -> list[AlertOutbox]:
    """Lease up to `limit` due, unsent alerts to `token`, oldest first.

    `discord_shards` (shard count, this process's shard ids) leaves out Discord alerts of
    servers on other shards: a guild's shard is `(guild id >> 22) % count`, as Discord's, and
    what is not a guild id (a direct message's "dm") counts as shard 0, where Discord sends
    direct messages. Other platforms' alerts are not filtered.

    The outer WHERE repeats the lease test: on PostgreSQL a row another worker claimed between
    our subquery and our update is re-checked and skipped, so no two workers hold one row.
    """
    dialect = session.get_bind().dialect.name
    claimable = and_(
        AlertOutbox.status == "pending",
        AlertOutbox.due_at <= now,
        or_(AlertOutbox.lease_until.is_(None), AlertOutbox.lease_until < now),
    )
    if discord_shards is not None:
        count, shard_ids = discord_shards
        workspace = AlertOutbox.workspace_id
        # PostgreSQL refuses to cast a non-number, so only digits are cast; SQLite would cast
        # anything, and GLOB is its test for digits.
        digits = (
            workspace.regexp_match("^[0-9]+$")
            if dialect == "postgresql"
            else and_(workspace != "", workspace.op("NOT GLOB")(literal("*[^0-9]*")))
        )
        guild = cast(workspace, BigInteger)
        shard = case((digits, guild.op(">>")(literal(22)) % literal(count)), else_=literal(0))
        claimable = and_(
            claimable,
            or_(AlertOutbox.platform != "discord", shard.in_([int(i) for i in shard_ids])),
        )
    candidates = select(AlertOutbox.id).where(claimable).order_by(AlertOutbox.due_at).limit(limit)
    if dialect == "postgresql":
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
    return affected(result)


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
    return affected(result)


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
    return affected(result)


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
    return affected(result)
