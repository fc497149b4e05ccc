"""What members keep about films for themselves: their ratings, watchlists and the films they
hid from their recommendations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage import limits as L
from storage import models_catalogue  # noqa: F401 (registers the "film" these keys name)
from storage.models_base import Base, UTCDateTime, empty_list
from storage.models_communities import CommunityOwned, film_in_community_index


class MemberRating(CommunityOwned, Base):
    """A member's own score for a film (the `rate` command), distinct from a written review."""

    __tablename__ = "member_rating"
    __table_args__ = (
        UniqueConstraint("community_id", "platform", "user_id", "film_id"),
        film_in_community_index("member_rating"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(L.PLATFORM_MAX))
    user_id: Mapped[str] = mapped_column(String(L.USER_ID_MAX))
    film_id: Mapped[int] = mapped_column(ForeignKey("film.id", ondelete="CASCADE"))
    rating_halves: Mapped[int] = mapped_column(SmallInteger)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WatchlistItem(CommunityOwned, Base):
    __tablename__ = "watchlist_item"
    __table_args__ = (
        UniqueConstraint("community_id", "platform", "user_id", "film_id"),
        film_in_community_index("watchlist_item"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(L.PLATFORM_MAX))
    user_id: Mapped[str] = mapped_column(String(L.USER_ID_MAX))
    film_id: Mapped[int] = mapped_column(ForeignKey("film.id", ondelete="CASCADE"))
    cities: Mapped[list[str]] = mapped_column(JSON, default=empty_list)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The workspace (Slack team, Discord guild) the member watched from: where the DM goes.
    workspace_id: Mapped[str | None] = mapped_column(String(L.WORKSPACE_ID_MAX))


class NotInterested(CommunityOwned, Base):
    """A film a member hid from their recommendations (`not interested <title>`).

    Neighbour lists are not stored here: they are rebuilt in memory from films and ratings
    (bot/recommend/service.py), the way the title index is, so no table can drift from them.
    """

    __tablename__ = "not_interested"
    __table_args__ = (
        UniqueConstraint("community_id", "platform", "user_id", "film_id"),
        film_in_community_index("not_interested"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(L.PLATFORM_MAX))
    user_id: Mapped[str] = mapped_column(String(L.USER_ID_MAX))
    film_id: Mapped[int] = mapped_column(ForeignKey("film.id", ondelete="CASCADE"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
