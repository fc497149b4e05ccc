"""Transitional: the old single query module, now split by concern into the modules below.

New code imports the concern module itself; these names remain only until every caller has
moved (callers outside storage/ still use `repo.<name>`).
"""

from __future__ import annotations

from storage.audit_queries import (
    get_audit_entry,
    recent_audit,
)
from storage.film_queries import (
    FilmRows,
    count,
    delete_film,
    film_rows,
    films_by_genre,
    films_with_norm,
    get_film,
    get_films,
    iter_title_rows,
    known_genres,
    max_title_id,
    titles_with_prefix,
)
from storage.people_queries import (
    films_of_people,
    get_or_create_person,
    iter_person_rows,
    max_person_id,
    people_with_prefix,
)
from storage.place_queries import (
    all_cinemas,
    all_events,
    cinemas_in_city,
    cinemas_matching,
    events_matching,
)
from storage.review_queries import (
    get_review,
    rating_summary,
    reviews_for_film,
)
from storage.showtime_queries import (
    ShowtimeTarget,
    ZoneWindows,
    get_showtime,
    scheduled_showtime_at,
    showtime_zones,
    upcoming_showtimes,
)

__all__ = [
    "get_film",
    "get_films",
    "iter_title_rows",
    "max_title_id",
    "films_with_norm",
    "titles_with_prefix",
    "films_by_genre",
    "known_genres",
    "count",
    "FilmRows",
    "film_rows",
    "delete_film",
    "get_or_create_person",
    "iter_person_rows",
    "max_person_id",
    "people_with_prefix",
    "films_of_people",
    "reviews_for_film",
    "get_review",
    "rating_summary",
    "cinemas_matching",
    "cinemas_in_city",
    "all_cinemas",
    "all_events",
    "events_matching",
    "ZoneWindows",
    "ShowtimeTarget",
    "showtime_zones",
    "upcoming_showtimes",
    "get_showtime",
    "scheduled_showtime_at",
    "recent_audit",
    "get_audit_entry",
]
