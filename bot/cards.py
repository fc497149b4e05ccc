"""Build reply blocks from stored rows. The content is the core's; markup is each adapter's."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.timefmt import local_text
from bot.types import FilmCard, ReviewCard, ShowtimeItem
from bot.types import film_label as label_of
from storage import review_queries
from storage.models_catalogue import Film, Review
from storage.models_screenings import Showtime


def film_label(film: Film) -> str:
    return label_of(film.title, film.year)


def film_card(session: Session, film: Film, next_showtime: ShowtimeItem | None) -> FilmCard:
    mean, rating_count, review_count = review_queries.rating_summary(session, film.id)
    return FilmCard(
        film_id=film.id,
        title=film.title,
        year=film.year,
        original_title=film.original_title if film.original_title != film.title else None,
        alternative_titles=tuple(t.title for t in film.titles if t.kind == "alternative"),
        directors=tuple(c.person.name for c in film.credits if c.role == "director"),
        cast=tuple(c.person.name for c in film.credits if c.role == "cast"),
        countries=tuple(film.countries or ()),
        languages=tuple(film.languages or ()),
        genres=tuple(g.genre for g in film.genres),
        runtime_minutes=film.runtime_minutes,
        synopsis=film.synopsis,
        community_rating=round(mean, 2) if mean is not None else None,
        rating_count=rating_count,
        review_count=review_count,
        next_showtime=next_showtime,
    )


def review_card(review: Review, film: Film, *, reveal: bool, moderator: bool = False) -> ReviewCard:
    """`moderator`: the reader may edit it, so the card shows the version an edit names."""
    return ReviewCard(
        review_id=review.id,
        film_id=film.id,
        film_title=film.title,
        film_year=film.year,
        author=review.author_name,
        rating=review.rating_halves / 2,
        headline=review.headline,
        body=review.body,
        spoiler=review.spoiler,
        published_at=review.published_at,
        version=review.version,
        spoiler_revealed=reveal,
        version_shown=moderator,
    )


def showtime_item(showtime: Showtime) -> ShowtimeItem:
    cinema = showtime.cinema
    return ShowtimeItem(
        showtime_id=showtime.id,
        film_id=showtime.film_id,
        film_title=showtime.film.title,
        film_year=showtime.film.year,
        cinema=cinema.name,
        city=cinema.city,
        starts_at=showtime.starts_at,
        timezone=cinema.timezone,
        local_time=local_text(showtime.starts_at, cinema.timezone),
        event=showtime.event.name if showtime.event else None,
        format=showtime.format,
        ticket_url=showtime.ticket_url,
        demo=showtime.demo,
        cancelled=showtime.cancelled,
    )
