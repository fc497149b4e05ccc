"""Where and when films show: cinemas, events (festivals, seasons) and screenings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage import limits as L
from storage.models_base import Base, UTCDateTime, empty_list
from storage.models_catalogue import Film
from storage.models_communities import CommunityListing


class Cinema(CommunityListing, Base):
    __tablename__ = "cinema"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(L.CINEMA_NAME_MAX))
    norm: Mapped[str] = mapped_column(String(L.NORM_MAX), index=True)
    city: Mapped[str] = mapped_column(String(L.CITY_MAX))
    city_norm: Mapped[str] = mapped_column(String(L.NORM_MAX), index=True)
    address: Mapped[str | None] = mapped_column(String(L.ADDRESS_MAX))
    timezone: Mapped[str] = mapped_column(String(L.ZONE_MAX))
    # Other names people use for it: the chain that runs it ("Luna Palace"), a nickname.
    aliases: Mapped[list[str]] = mapped_column(JSON, default=empty_list)


class Event(CommunityListing, Base):
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


class Showtime(CommunityListing, Base):
    __tablename__ = "showtime"
    __table_args__ = (
        Index("ix_showtime_starts_at_cinema", "starts_at", "cinema_id"),
        UniqueConstraint("community_id", "external_uid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("film.id", ondelete="CASCADE"), index=True)
    cinema_id: Mapped[int] = mapped_column(ForeignKey("cinema.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    format: Mapped[str | None] = mapped_column(String(L.FORMAT_MAX))
    ticket_url: Mapped[str | None] = mapped_column(String(L.TICKET_URL_MAX))
    # The UID of the calendar event it was imported from, so re-imports update it (unique in
    # its community).
    external_uid: Mapped[str | None] = mapped_column(String(L.SHOWTIME_UID_MAX))
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


# Announcements and change alerts come from scanning showtimes changed since the last tick.
Index("ix_showtime_updated_at", Showtime.updated_at)
