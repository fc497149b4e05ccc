"""The moderators' audit log: one row per write, with the values before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage import limits as L
from storage.models_base import Base, UTCDateTime
from storage.models_communities import CommunityListing


class AuditEntry(CommunityListing, Base):
    """`community_id` NULL: an operator's change to what every community shares (the
    catalogue, listings for everyone)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_platform: Mapped[str] = mapped_column(String(L.PLATFORM_MAX))
    actor_user_id: Mapped[str] = mapped_column(String(L.USER_ID_MAX))
    actor_name: Mapped[str] = mapped_column(String(L.ACTOR_NAME_MAX))
    action: Mapped[str] = mapped_column(String(L.AUDIT_ACTION_MAX))  # "review add", ...
    entity: Mapped[str] = mapped_column(String(L.AUDIT_ENTITY_MAX))  # review | film | showtime
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
