"""The catalogue's tables: films, the titles they go by, people and their credits, genres and
reviews."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage import limits as L
from storage.models_base import Base, UTCDateTime, empty_list
from storage.models_communities import CommunityListing, CommunityOwned, film_in_community_index


class Film(CommunityListing, Base):
    """A film of the shared catalogue (`community_id` NULL), or one a community's moderators
    added for themselves (a festival's premiere), which no other community sees."""

    __tablename__ = "film"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(L.TITLE_MAX))
    original_title: Mapped[str | None] = mapped_column(String(L.TITLE_MAX))
    year: Mapped[int | None] = mapped_column(SmallInteger, index=True)
    runtime_minutes: Mapped[int | None] = mapped_column(SmallInteger)
    synopsis: Mapped[str | None] = mapped_column(Text)
    countries: Mapped[list[str]] = mapped_column(JSON, default=empty_list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=empty_list)
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


class Review(CommunityOwned, Base):
    __tablename__ = "review"
    __table_args__ = (film_in_community_index("review"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("film.id", ondelete="CASCADE"))
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
