"""The one query behind every export of screenings (the chat `export` and
`marquee export showtimes`): what a scope of films, cinemas and events holds on some local days.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from storage.models_screenings import Showtime
from storage.showtime_queries import ZoneWindows, showtime_zones, upcoming_showtimes


@dataclass(frozen=True)
class ExportScope:
    """Which screenings to export; the filters AND together and None means no filter."""

    film_ids: Sequence[int] | None = None
    cinema_ids: Sequence[int] | None = None
    event_ids: Sequence[int] | None = None


def screenings_to_export(
    session: Session,
    scope: ExportScope,
    windows_for: Callable[[Sequence[str]], ZoneWindows],
    *,
    include_cancelled: bool = False,
    limit: int | None = None,
) -> tuple[list[Showtime], int]:
    """The screenings within `scope` on the days `windows_for` gives per cinema time zone (the
    core decides what "Friday" means in each zone), in time order, and how many there are."""
    zones = showtime_zones(
        session, film_ids=scope.film_ids, cinema_ids=scope.cinema_ids, event_ids=scope.event_ids
    )
    return upcoming_showtimes(
        session,
        zone_windows=windows_for(zones),
        film_ids=scope.film_ids,
        cinema_ids=scope.cinema_ids,
        event_ids=scope.event_ids,
        include_cancelled=include_cancelled,
        limit=limit,
    )
