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

from storage import limits as L

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
    title: Mapped[str] = mapped_column(String(L.TITLE_MAX))
    original_title: Mapped[str | None] = mapped_column(String(L.TITLE_MAX))
    year: Mapped[int | None] = mapped_column(SmallInteger, index=True)
    runtime_minutes: Mapped[int | None] = mapped_column(SmallInteger)
    synopsis: Mapped[str | None] = mapped_column(Text)
    countries: Mapped[list[str]] = mapped_column(JSON, default=_list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=_list)
    # An id in an outside catalogue (IMDb's tconst), so later imports update, not duplicate.
    external_id: Mapped[str | None] = mapped_column(String(L.EXTERNAL_ID_MAX), unique=True)
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
    title: Mapped[str] = mapped_column(String(L.TITLE_MAX))
    norm: Mapped[str] = mapped_column(String(L.NORM_MAX), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # main | original | alternative

    film: Mapped[Film] = relationship(back_populates="titles")


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(L.PERSON_NAME_MAX))
    norm: Mapped[str] = mapped_column(String(L.NORM_MAX), unique=True)


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
    genre: Mapped[str] = mapped_column(String(L.GENRE_MAX), primary_key=True, index=True)

    film: Mapped[Film] = relationship(back_populates="genres")


class Review(Base):
    __tablename__ = "review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("film.id", ondelete="CASCADE"), index=True)
    author_name: Mapped[str] = mapped_column(String(L.AUTHOR_NAME_MAX))
    author_platform: Mapped[str] = mapped_column(String(L.PLATFORM_MAX))
    author_user_id: Mapped[str] = mapped_column(String(L.USER_ID_MAX))
    # Half-stars as an integer (1..10 = 0.5..5 stars): exact, no float surprises.
    rating_halves: Mapped[int] = mapped_column(SmallInteger)
    headline: Mapped[str] = mapped_column(String(L.HEADLINE_MAX))
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
    name: Mapped[str] = mapped_column(String(L.CINEMA_NAME_MAX))
    norm: Mapped[str] = mapped_column(String(L.NORM_MAX), index=True)
    city: Mapped[str] = mapped_column(String(L.CITY_MAX))
    city_norm: Mapped[str] = mapped_column(String(L.NORM_MAX), index=True)
    address: Mapped[str | None] = mapped_column(String(L.ADDRESS_MAX))
    timezone: Mapped[str] = mapped_column(String(L.ZONE_MAX))
    # Other names people use for it: the chain that runs it ("Luna Palace"), a nickname.
    aliases: Mapped[list[str]] = mapped_column(JSON, default=_list)


class Event(Base):
    """A festival or season: a name, dates and the cinemas it runs at."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(L.EVENT_NAME_MAX))
    norm: Mapped[str] = mapped_column(String(L.NORM_MAX), index=True)
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
    format: Mapped[str | None] = mapped_column(String(L.FORMAT_MAX))
    ticket_url: Mapped[str | None] = mapped_column(String(L.TICKET_URL_MAX))
    # The UID of the calendar event it was imported from, so re-imports update it.
    external_uid: Mapped[str | None] = mapped_column(String(L.SHOWTIME_UID_MAX), unique=True)
    # Which import put it here (a feed's identity, e.g. "ics:<PRODID or file name>" or
    # "csv:<file name>"); None for screenings added by command or by the demo. An import's
    # remove_missing only ever touches screenings of its own source.
    source: Mapped[str | None] = mapped_column(String(L.SOURCE_MAX), index=True)
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
    platform: Mapped[str] = mapped_column(String(L.PLATFORM_MAX))
    user_id: Mapped[str] = mapped_column(String(L.USER_ID_MAX))
    film_id: Mapped[int] = mapped_column(ForeignKey("film.id", ondelete="CASCADE"), index=True)
    rating_halves: Mapped[int] = mapped_column(SmallInteger)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WatchlistItem(Base):
    __tablename__ = "watchlist_item"
    __table_args__ = (UniqueConstraint("platform", "user_id", "film_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(L.PLATFORM_MAX))
    user_id: Mapped[str] = mapped_column(String(L.USER_ID_MAX))
    film_id: Mapped[int] = mapped_column(ForeignKey("film.id", ondelete="CASCADE"), index=True)
    cities: Mapped[list[str]] = mapped_column(JSON, default=_list)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The workspace (Slack team, Discord guild) the member watched from: where the DM goes.
    workspace_id: Mapped[str | None] = mapped_column(String(L.WORKSPACE_ID_MAX))


class Subscription(Base):
    """A channel's standing request for showtime alerts (filled in by the alerts feature)."""

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(L.PLATFORM_MAX))
    workspace_id: Mapped[str] = mapped_column(String(L.WORKSPACE_ID_MAX))
    channel_id: Mapped[str] = mapped_column(String(L.CHANNEL_ID_MAX))
    target_kind: Mapped[str] = mapped_column(String(12))  # film | cinema | event | city | all
    target_id: Mapped[int | None] = mapped_column(Integer)
    target_text: Mapped[str | None] = mapped_column(String(L.ALERT_TARGET_TEXT_MAX))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=_list)
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


class AuditEntry(Base):
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


# ---------------------------------------------------------------------------------------------
# Showtime alerts (bot/alerts/): what each subscription wants, and the durable outbox.
# ---------------------------------------------------------------------------------------------

# Subscriptions are matched to showtimes by target; the scheduler reads them by these keys.
Index("ix_subscription_target", Subscription.target_kind, Subscription.target_id)
Index("ix_subscription_target_text", Subscription.target_kind, Subscription.target_text)
# Announcements and change alerts come from scanning showtimes changed since the last tick.
Index("ix_showtime_updated_at", Showtime.updated_at)


class SubscriptionLead(Base):
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


class AlertOutbox(Base):
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


# ---------------------------------------------------------------------------------------------
# Recommendations (bot/recommend/): what a member asked never to be recommended again.
# ---------------------------------------------------------------------------------------------


class NotInterested(Base):
    """A film a member hid from their recommendations (`not interested <title>`).

    Neighbour lists are not stored here: they are rebuilt in memory from films and ratings
    (bot/recommend/service.py), the way the title index is, so no table can drift from them.
    """

    __tablename__ = "not_interested"
    __table_args__ = (UniqueConstraint("platform", "user_id", "film_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(L.PLATFORM_MAX))
    user_id: Mapped[str] = mapped_column(String(L.USER_ID_MAX))
    film_id: Mapped[int] = mapped_column(ForeignKey("film.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
