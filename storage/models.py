"""The schema, as SQLAlchemy 2.x typed models. Alembic migrations create it; see migrations/."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so migrations can alter them on SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    Stored as naive UTC: SQLite has no zone type, and one representation keeps comparisons and
    indexes identical on SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _list() -> list[str]:
    return []


class Film(Base):
    __tablename__ = "film"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    original_title: Mapped[str | None] = mapped_column(String(200))
    year: Mapped[int | None] = mapped_column(SmallInteger, index=True)
    runtime_minutes: Mapped[int | None] = mapped_column(SmallInteger)
    synopsis: Mapped[str | None] = mapped_column(Text)
    countries: Mapped[list[str]] = mapped_column(JSON, default=_list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=_list)
    # An id in an outside catalogue (IMDb's tconst), so later imports update, not duplicate.
    external_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    titles: Mapped[list[FilmTitle]] = relationship(
        back_populates="film", cascade="all, delete-orphan", order_by="FilmTitle.id"
    )
    credits: Mapped[list[Credit]] = relationship(
        back_populates="film", cascade="all, delete-orphan", order_by="Credit.position"
    )
    genres: Mapped[list[FilmGenre]] = relationship(
        back_populates="film", cascade="all, delete-orphan", order_by="FilmGenre.genre"
    )


class FilmTitle(Base):
    """Every name a film goes by (main, original, alternative), normalised for lookup."""

    __tablename__ = "film_title"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("film.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    norm: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # main | original | alternative

    film: Mapped[Film] = relationship(back_populates="titles")


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    norm: Mapped[str] = mapped_column(String(200), unique=True)


class Credit(Base):
    __tablename__ = "credit"
    __table_args__ = (UniqueConstraint("film_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("film.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[str] = mapped_column(String(12))  # director | cast
    position: Mapped[int] = mapped_column(SmallInteger, default=0)

    film: Mapped[Film] = relationship(back_populates="credits")
    person: Mapped[Person] = relationship()


class FilmGenre(Base):
    __tablename__ = "film_genre"

    film_id: Mapped[int] = mapped_column(
        ForeignKey("film.id", ondelete="CASCADE"), primary_key=True
    )
    genre: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)

    film: Mapped[Film] = relationship(back_populates="genres")


class Review(Base):
    __tablename__ = "review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("film.id", ondelete="CASCADE"), index=True)
    author_name: Mapped[str] = mapped_column(String(80))
    author_platform: Mapped[str] = mapped_column(String(20))
    author_user_id: Mapped[str] = mapped_column(String(64))
    # Half-stars as an integer (1..10 = 0.5..5 stars): exact, no float surprises.
    rating_halves: Mapped[int] = mapped_column(SmallInteger)
    headline: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    spoiler: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Optimistic concurrency: an edit names the version it started from.
    version: Mapped[int] = mapped_column(Integer, default=1)

    film: Mapped[Film] = relationship()

    __mapper_args__ = {"version_id_col": version}


class Cinema(Base):
    __tablename__ = "cinema"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    norm: Mapped[str] = mapped_column(String(200), index=True)
    city: Mapped[str] = mapped_column(String(100))
    city_norm: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(64))


class Event(Base):
    """A festival or season: a name, dates and the cinemas it runs at."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    norm: Mapped[str] = mapped_column(String(200), index=True)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)

    cinemas: Mapped[list[Cinema]] = relationship(secondary="event_cinema")


class EventCinema(Base):
    __tablename__ = "event_cinema"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    cinema_id: Mapped[int] = mapped_column(
        ForeignKey("cinema.id", ondelete="CASCADE"), primary_key=True
    )


class Showtime(Base):
    __tablename__ = "showtime"
    __table_args__ = (Index("ix_showtime_starts_at_cinema", "starts_at", "cinema_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("film.id", ondelete="CASCADE"), index=True)
    cinema_id: Mapped[int] = mapped_column(ForeignKey("cinema.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    format: Mapped[str | None] = mapped_column(String(200))
    ticket_url: Mapped[str | None] = mapped_column(String(500))
    # The UID of the calendar event it was imported from, so re-imports update it.
    external_uid: Mapped[str | None] = mapped_column(String(255), unique=True)
    # Generated relative to today by the demo loader; shown marked as such.
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    film: Mapped[Film] = relationship()
    cinema: Mapped[Cinema] = relationship()
    event: Mapped[Event | None] = relationship()


class MemberRating(Base):
    """A member's own score for a film (the `rate` command), distinct from a written review."""

    __tablename__ = "member_rating"
    __table_args__ = (UniqueConstraint("platform", "user_id", "film_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(64))
    film_id: Mapped[int] = mapped_column(ForeignKey("film.id", ondelete="CASCADE"), index=True)
    rating_halves: Mapped[int] = mapped_column(SmallInteger)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WatchlistItem(Base):
    __tablename__ = "watchlist_item"
    __table_args__ = (UniqueConstraint("platform", "user_id", "film_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(64))
    film_id: Mapped[int] = mapped_column(ForeignKey("film.id", ondelete="CASCADE"), index=True)
    cities: Mapped[list[str]] = mapped_column(JSON, default=_list)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Subscription(Base):
    """A channel's standing request for showtime alerts (filled in by the alerts feature)."""

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(64))
    target_kind: Mapped[str] = mapped_column(String(12))  # film | cinema | event | city | all
    target_id: Mapped[int | None] = mapped_column(Integer)
    target_text: Mapped[str | None] = mapped_column(String(100))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=_list)
    reminder_leads_minutes: Mapped[list[int]] = mapped_column(JSON, default=list)
    digest_local_time: Mapped[str | None] = mapped_column(String(5))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_platform: Mapped[str] = mapped_column(String(20))
    actor_user_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))  # "review add", "film edit", ...
    entity: Mapped[str] = mapped_column(String(20))  # review | film | showtime
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
