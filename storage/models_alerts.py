"""Showtime alerts (bot/alerts/): what each channel subscribed to, its reminder leads, the
durable outbox and the scheduler's cursor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage import limits as L
from storage.models_base import Base, UTCDateTime, empty_list
from storage.models_communities import CommunityOwned


class Subscription(CommunityOwned, Base):
    """A channel's standing request for showtime alerts (filled in by the alerts feature)."""

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(L.PLATFORM_MAX))
    workspace_id: Mapped[str] = mapped_column(String(L.WORKSPACE_ID_MAX))
    channel_id: Mapped[str] = mapped_column(String(L.CHANNEL_ID_MAX))
    target_kind: Mapped[str] = mapped_column(String(12))  # film | cinema | event | city | all
    target_id: Mapped[int | None] = mapped_column(Integer)
    target_text: Mapped[str | None] = mapped_column(String(L.ALERT_TARGET_TEXT_MAX))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=empty_list)
    reminder_leads_minutes: Mapped[list[int]] = mapped_column(JSON, default=list)
    digest_local_time: Mapped[str | None] = mapped_column(String(L.DIGEST_TIME_MAX))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # Alerts added by 0002: the zone digests use when the target has no single cinema, the next
    # digest moment (UTC, indexed so a tick reads only the due ones) and why it was paused.
    timezone: Mapped[str | None] = mapped_column(String(L.ZONE_MAX))
    next_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    paused_reason: Mapped[str | None] = mapped_column(String(L.PAUSED_REASON_MAX))
    created_by: Mapped[str] = mapped_column(String(L.USER_ID_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Subscriptions are matched to showtimes by target; the scheduler reads them by these keys.
Index("ix_subscription_target", Subscription.target_kind, Subscription.target_id)
Index("ix_subscription_target_text", Subscription.target_kind, Subscription.target_text)


class SubscriptionLead(CommunityOwned, Base):
    """One reminder lead time of a running subscription, with what the scheduler needs to route
    it: the target as one key and the channel. A paused subscription has no lead rows (its
    leads stay in `Subscription.reminder_leads_minutes`), so a tick never reads `subscription`.
    """

    __tablename__ = "subscription_lead"

    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscription.id", ondelete="CASCADE"), primary_key=True
    )
    lead_minutes: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The subscription's target as one key (`alert_subscriptions.target_key`): a tick finds who
    # wants a reminder at this lead for a screening by index, without reading every subscription.
    target: Mapped[str] = mapped_column(String(L.ALERT_TARGET_KEY_MAX), server_default="")
    platform: Mapped[str] = mapped_column(String(L.PLATFORM_MAX), server_default="")
    workspace_id: Mapped[str] = mapped_column(String(L.WORKSPACE_ID_MAX), server_default="")
    channel_id: Mapped[str] = mapped_column(String(L.CHANNEL_ID_MAX), server_default="")


# Covering: a tick reads everything it routes a reminder with from the index alone.
Index(
    "ix_subscription_lead_match",
    SubscriptionLead.lead_minutes,
    SubscriptionLead.target,
    SubscriptionLead.subscription_id,
    SubscriptionLead.platform,
    SubscriptionLead.workspace_id,
    SubscriptionLead.channel_id,
)


class AlertOutbox(CommunityOwned, Base):
    """One alert to one destination, recorded before it is sent and marked after.

    `dedupe_key` names the alert (recipient, showtime, kind, lead, and the start time it is
    about; reminders put the showtime first and the recipient last), so finding the same due
    alert twice — a re-run tick, a second process — inserts nothing. Delivery claims rows with
    a lease (`claim_token`, `lease_until`) that expires, so a claimant that crashed gives its
    rows back.
    """

    __tablename__ = "alert_outbox"
    __table_args__ = (Index("ix_alert_outbox_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Not indexed, unlike other community-owned tables: nothing reads the outbox by community
    # alone, and the index cost every alert the scheduler inserts a second B-tree write
    # (migration 0009).
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # new | update | cancel | reminder | digest
    # Plain columns, not foreign keys: checking both parents cost a random lookup each per
    # alert on the scheduler's hot path. `alerts remove` deletes its subscription's alerts
    # itself, and delivery drops an alert whose screening is gone. `subscription_id` is not
    # indexed either, for the same reason; only `alerts remove` would use it.
    subscription_id: Mapped[int | None] = mapped_column(Integer)
    showtime_id: Mapped[int | None] = mapped_column(Integer, index=True)
    lead_minutes: Mapped[int] = mapped_column(Integer, default=0)
    # The screening's start as it was when the alert was made (moves make new alerts).
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    platform: Mapped[str] = mapped_column(String(L.PLATFORM_MAX))
    workspace_id: Mapped[str] = mapped_column(String(L.WORKSPACE_ID_MAX))
    channel_id: Mapped[str] = mapped_column(String(L.CHANNEL_ID_MAX))
    direct: Mapped[bool] = mapped_column(Boolean, default=False)  # a member's DM
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|sent|dropped
    claim_token: Mapped[str | None] = mapped_column(String(36))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The message this alert was put in, fixed before the first send attempt: a retry after a
    # crash re-sends the same batch under the same key, which a platform can deduplicate.
    batch_key: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(200))


class AlertCursor(Base):
    """Where the scheduler got to, so a restart resumes (and catches up) from there."""

    __tablename__ = "alert_cursor"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
