"""`export`: a film's or an event's upcoming screenings as an iCalendar (.ics) text.

The calendar goes out as a Text block every adapter already renders; chat messages are short
(Discord allows 2,000 characters), so it holds the first screenings that fit and says how
`marquee export showtimes` writes all of them. Both find their screenings with
`screenings_to_export`, and both refuse a name that matches nothing: an empty calendar for a
typo would look like a festival with no screenings.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from bot.cards import film_label
from bot.context import Context, UserError
from bot.film_lookup import resolve_film
from bot.importers.export import calendar_for
from bot.normalize import normalize
from bot.resolve import split_year
from bot.types import ArgValue, Notice, Reply, Text
from bot.when import LocalDays, WhenError
from storage import film_queries, place_queries, showtime_export
from storage.models_screenings import Event, Showtime
from storage.showtime_export import ExportScope

CALENDAR_MAX = 1600  # characters of calendar in one reply, leaving room for the notice
LOOKED_AT = 50


def export(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    query = str(args["query"])
    events = _event_named(ctx, query)
    if len(events) == 1:
        what = events[0].name
        scope = ExportScope(event_ids=[events[0].id])
        command = f'marquee export showtimes --event "{what}"'
    else:
        film = resolve_film(ctx, query, arg="query")
        what = film_label(film)
        scope = ExportScope(film_ids=[film.id])
        command = f'marquee export showtimes --film "{what}"'
    showtimes, total = screenings_to_export(
        ctx.session, LocalDays(now=ctx.now), scope, limit=LOOKED_AT
    )
    if not showtimes:
        raise UserError(f"No upcoming screenings of {what} to export.")
    count = len(showtimes)
    calendar = calendar_for(showtimes, compact=True)
    while len(calendar) > CALENDAR_MAX and count > 1:
        count -= 1
        calendar = calendar_for(showtimes[:count], compact=True)
    note = f"{what}: {total} upcoming screening{'s' if total != 1 else ''} as iCalendar"
    if count < total:
        note += f" (the first {count} fit here; `{command}` writes them all)"
    return Reply(
        blocks=(Notice(note + ". Save it as a .ics file to add it to a calendar."), Text(calendar)),
        exported=tuple(s.id for s in showtimes[:count]),
    )


def export_scope(
    session: Session,
    *,
    film_ids: Sequence[int] | None = None,
    cinema: str | None = None,
    city: str | None = None,
    event: str | None = None,
) -> ExportScope:
    """The filters the named cinema, city and event stand for (they AND together); a name
    that matches nothing is a UserError naming it, never an empty filter."""
    cinema_ids: set[int] | None = None
    if cinema is not None:
        norm = normalize(cinema)
        found = place_queries.cinemas_matching(session, norm) if norm else []
        if not found:
            raise UserError(f"No cinema matches “{cinema}”.")
        cinema_ids = {c.id for c in found}
    if city is not None:
        norm = normalize(city)
        in_city = place_queries.cinemas_in_city(session, norm) if norm else []
        if not in_city:
            raise UserError(f"No cinema is in a city called “{city}”.")
        ids = {c.id for c in in_city}
        cinema_ids = ids if cinema_ids is None else cinema_ids & ids
        if not cinema_ids:
            raise UserError(f"No cinema matching “{cinema}” is in “{city}”.")
    event_ids: list[int] | None = None
    if event is not None:
        norm = normalize(event)
        events = place_queries.events_matching(session, norm) if norm else []
        if not events:
            raise UserError(f"No festival or season matches “{event}”.")
        event_ids = [e.id for e in events]
    return ExportScope(
        film_ids=list(film_ids) if film_ids is not None else None,
        cinema_ids=sorted(cinema_ids) if cinema_ids is not None else None,
        event_ids=event_ids,
    )


def screenings_to_export(
    session: Session,
    days: LocalDays,
    scope: ExportScope,
    *,
    include_cancelled: bool = False,
    limit: int | None = None,
) -> tuple[list[Showtime], int]:
    """The screenings on `days` (each cinema's local days) within `scope`, in time order, and
    how many there are in all: `export` and the CLI export both come here, and from here to
    the one storage query."""
    try:
        return showtime_export.screenings_to_export(
            session, scope, days.windows, include_cancelled=include_cancelled, limit=limit
        )
    except WhenError as exc:
        raise UserError(str(exc)) from exc


def _event_named(ctx: Context, query: str) -> list[Event]:
    """The event the query names: its exact name, or part of one name when no film has
    exactly that title ("nordlys" is the festival, "Days" is still a film)."""
    norm = normalize(split_year(query)[0])
    if not norm or query.strip().startswith("#"):
        return []
    events = place_queries.events_matching(ctx.session, norm)
    exact = [e for e in events if e.norm == norm]
    if exact:
        return exact[:1]
    if len(events) == 1 and not film_queries.films_with_norm(ctx.session, norm):
        return events
    return []
