"""Communities and the spaces they live in.

A community owns its reviews, members' ratings and lists, alert subscriptions, audit log,
settings and listings. A space is one Discord server, one Slack workspace or one console name;
each belongs to exactly one community, and linking puts two spaces in one community.
The film catalogue is shared by every community (`models_catalogue`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from storage import limits as L
from storage.models_base import Base, UTCDateTime


def empty_settings() -> dict[str, Any]:
    return {}


class Community(Base):
    __tablename__ = "community"
    # A deleted community's id is never given to a new one (SQLite reuses the highest id
    # without AUTOINCREMENT): an export command or a log line naming it keeps meaning it.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(L.COMMUNITY_NAME_MAX))
    # What its admins set with `settings set` (bot/community_settings.py reads and checks it).
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=empty_settings)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The community a database had before communities (migration 0008) waits for a space: the
    # first one to use Marquee joins it, and with it every row the database already held.
    awaiting_space: Mapped[bool] = mapped_column(Boolean, default=False)


class Space(Base):
    """A server, workspace or console name, and the community it belongs to."""

    __tablename__ = "space"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(L.PLATFORM_MAX))
    external_id: Mapped[str] = mapped_column(String(L.WORKSPACE_ID_MAX))
    name: Mapped[str] = mapped_column(String(L.SPACE_NAME_MAX), default="")
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the bot was removed from it (the data stays for the grace period); None while in it.
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The community it belonged to before it joined another (`community join`): where
    # `community unlink` takes it back.
    previous_community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="SET NULL")
    )


class CommunityMember(Base):
    """Someone who used Marquee in a community's space: where a direct message acts."""

    __tablename__ = "community_member"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), primary_key=True
    )
    platform: Mapped[str] = mapped_column(String(L.PLATFORM_MAX), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(L.USER_ID_MAX), primary_key=True, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LinkCode(Base):
    """A one-time code (`community link`) that lets another space join the community."""

    __tablename__ = "link_code"

    code_hash: Mapped[str] = mapped_column(String(L.LINK_CODE_MAX), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    created_by: Mapped[str] = mapped_column(String(L.USER_ID_MAX))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CommunityOwned:
    """A table whose every row belongs to one community (storage/community_scope.py filters
    every ORM query on it by the unit of work's community, and stamps new rows)."""

    @declared_attr
    def community_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)


def film_in_community_index(table: str) -> Index:
    """The index a community-owned table with a `film_id` is read by: a film's rows in one
    community. With `film_id` alone beside `ix_<table>_community_id`, SQLite (no ANALYZE
    statistics) sees one equality each and may take the community's index, which in a
    database of one community is every row: a film card's rating summary read all million
    member ratings (97 ms). Two matched columns win its estimate, on PostgreSQL too; the
    index still leads with `film_id` for the cascade when a film is deleted (migration 0011)."""
    return Index(f"ix_{table}_film_community", "film_id", "community_id")


class CommunityListing:
    """A table whose rows belong to one community, or to every one when `community_id` is
    NULL: the shared catalogue's films and the operators' listings."""

    @declared_attr
    def community_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
