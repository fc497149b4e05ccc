"""Subscriptions and watchlists: who wants to hear about which screenings.

Commands call these in a session scoped to their community (storage/community_scope.py), which
filters every ORM statement here; rows that carry a subscription's data name its community
themselves, so they are right in a system session too."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    delete,
    select,
)
from sqlalchemy.orm import Session

from storage.db import affected
from storage.models_alerts import AlertOutbox, Subscription, SubscriptionLead
from storage.models_members import WatchlistItem
from storage.models_screenings import Cinema


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
            community_id=subscription.community_id,
            subscription_id=subscription.id,
            lead_minutes=lead,
            target=target,
            platform=subscription.platform,
            workspace_id=subscription.workspace_id,
            channel_id=subscription.channel_id,
        )
        for lead in sorted(set(leads))
    )


def delete_subscription_alerts(session: Session, subscription: Subscription) -> int:
    """A removed subscription's pending alerts (the outbox has no cascade; see its model).

    Sent ones stay until pruned: an alert is the channel's, not the subscription's (one per
    channel however many subscriptions match), so the channel's history of what it was told
    must outlive any one subscription, or a later move would be announced as new."""
    result = session.execute(
        delete(AlertOutbox)
        .where(
            AlertOutbox.subscription_id == subscription.id,
            AlertOutbox.community_id == subscription.community_id,
            AlertOutbox.status == "pending",
        )
        .execution_options(synchronize_session=False, preserve_rowcount=True)
    )
    return affected(result)


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
