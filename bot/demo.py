"""Load the demo catalogue into an empty database, with screenings generated around today."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from bot import demo_data
from bot.catalogue import FilmFields, create_film
from bot.normalize import normalize
from bot.timefmt import zone
from storage import film_queries
from storage.community_scope import Scope, scope_of, set_scope
from storage.models_catalogue import Film, Review
from storage.models_members import MemberRating
from storage.models_screenings import Cinema, Event, Showtime

DEMO_DAYS = 14
DEMO_TIMES = (time(18, 30), time(21, 0))


def is_empty(session: Session) -> bool:
    return film_queries.count(session, Film) == 0


# The community a fresh database starts with (migration 0008), which the first space joins.
DEMO_COMMUNITY = 1


def load_demo(session: Session, now: datetime) -> int:
    """Write the demo data; returns the number of films. The caller checks `is_empty` first.

    Everything, films included, is the first community's (the one the first server, workspace
    or console to arrive joins): demo films are local to it, so its moderators may edit them
    as the demo invites, and no other community sees them."""
    before = scope_of(session)
    set_scope(session, Scope(DEMO_COMMUNITY))
    try:
        return _load(session, now)
    finally:
        set_scope(session, before)


def _load(session: Session, now: datetime) -> int:
    films: dict[tuple[str, int | None], Film] = {}
    for spec in demo_data.FILMS:
        fields = FilmFields(
            title=spec["title"],
            year=spec.get("year"),
            original_title=spec.get("original_title"),
            alt_titles=spec.get("alt_titles", []),
            directors=spec.get("directors", []),
            cast=spec.get("cast", []),
            genres=spec.get("genres", []),
            countries=spec.get("countries", []),
            languages=spec.get("languages", []),
            runtime_minutes=spec.get("runtime"),
            synopsis=spec.get("synopsis"),
        )
        films[(spec["title"], spec.get("year"))] = create_film(session, fields, now)
    by_title = {title: film for (title, _), film in films.items()}

    cinemas = {}
    for spec in demo_data.CINEMAS:
        cinema = Cinema(
            name=spec["name"],
            norm=normalize(spec["name"]),
            city=spec["city"],
            city_norm=normalize(spec["city"]),
            address=spec["address"],
            timezone=spec["timezone"],
            aliases=list(spec.get("aliases", [])),
        )
        session.add(cinema)
        cinemas[spec["name"]] = cinema
    fest = demo_data.FESTIVAL
    event = Event(
        name=fest["name"],
        norm=normalize(fest["name"]),
        starts_on=date.fromisoformat(fest["starts_on"]),
        ends_on=date.fromisoformat(fest["ends_on"]),
        cinemas=[cinemas[n] for n in fest["cinemas"]],
    )
    session.add(event)
    session.flush()

    for screening in demo_data.FESTIVAL_SCREENINGS:
        cinema = cinemas[screening["cinema"]]
        local = datetime.fromisoformat(screening["local"]).replace(tzinfo=zone(cinema.timezone))
        session.add(
            Showtime(
                film=by_title[screening["film"]],
                cinema=cinema,
                event=event,
                starts_at=local.astimezone(UTC),
                created_at=now,
                updated_at=now,
            )
        )

    rotation = [by_title[t] for t in demo_data.DEMO_ROTATION]
    for c_index, cinema in enumerate(cinemas.values()):
        tz = zone(cinema.timezone)
        today = now.astimezone(tz).date()
        for day in range(DEMO_DAYS):
            for slot, at in enumerate(DEMO_TIMES):
                film = rotation[(day * len(DEMO_TIMES) + slot + c_index * 3) % len(rotation)]
                local = datetime.combine(today + timedelta(days=day), at, tzinfo=tz)
                session.add(
                    Showtime(
                        film=film,
                        cinema=cinema,
                        starts_at=local.astimezone(UTC),
                        format="Demo screening",
                        demo=True,
                        created_at=now,
                        updated_at=now,
                    )
                )

    for spec in demo_data.REVIEWS:
        reviewed: Film | None = (
            films.get((spec["film"], spec["year"])) if "year" in spec else by_title[spec["film"]]
        )
        assert reviewed is not None, spec["film"]
        published = datetime.fromisoformat(spec["published"])
        session.add(
            Review(
                film=reviewed,
                author_name=spec["author"],
                author_platform="demo",
                # One id per critic, so each counts as one member (recommendations, counts).
                author_user_id=_demo_user(spec["author"]),
                rating_halves=round(spec["rating"] * 2),
                headline=spec["headline"],
                body=spec["body"],
                spoiler=spec["spoiler"],
                published_at=published,
                updated_at=published,
            )
        )
    for user_id, scores in demo_data.MEMBER_RATINGS.items():
        for title, stars in scores.items():
            session.add(
                MemberRating(
                    platform="demo",
                    user_id=user_id,
                    film_id=by_title[title].id,
                    rating_halves=round(stars * 2),
                    rated_at=now,
                )
            )
    session.flush()
    return len(films)


def _demo_user(author: str) -> str:
    """ "Ingrid (Marquee demo critic)" → "demo-ingrid"."""
    return "demo-" + (normalize(author.split("(")[0]).replace(" ", "-") or "critic")
