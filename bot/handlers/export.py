"""`export`: a film's or an event's upcoming screenings as an iCalendar (.ics) text.

The calendar goes out as a Text block every adapter already renders; chat messages are short
(Discord allows 2,000 characters), so it holds the first screenings that fit and says how
`marquee export showtimes` writes all of them.
"""

from __future__ import annotations

from datetime import timedelta

from bot.cards import film_label
from bot.context import Context, UserError
from bot.handlers.common import resolve_film
from bot.importers.export import calendar_for
from bot.normalize import normalize
from bot.resolve import split_year
from bot.types import ArgValue, Notice, Reply, Text
from storage import repo
from storage.models import Event

CALENDAR_MAX = 1600  # characters of calendar in one reply, leaving room for the notice
HORIZON = timedelta(days=366)
LOOKED_AT = 50


def export(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    query = str(args["query"])
    events = _event_named(ctx, query)
    window = {"start": ctx.now, "end": ctx.now + HORIZON, "limit": LOOKED_AT}
    if len(events) == 1:
        what = events[0].name
        showtimes, total = repo.upcoming_showtimes(ctx.session, event_ids=[events[0].id], **window)
        command = f'marquee export showtimes --event "{what}"'
    else:
        film = resolve_film(ctx, query, arg="query")
        what = film_label(film)
        showtimes, total = repo.upcoming_showtimes(ctx.session, film_ids=[film.id], **window)
        command = f'marquee export showtimes --film "{what}"'
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
        meta={"showtime_ids": [s.id for s in showtimes[:count]]},
    )


def _event_named(ctx: Context, query: str) -> list[Event]:
    """The event the query names: its exact name, or part of one name when no film has
    exactly that title ("nordlys" is the festival, "Days" is still a film)."""
    norm = normalize(split_year(query)[0])
    if not norm or query.strip().startswith("#"):
        return []
    events = repo.events_matching(ctx.session, norm)
    exact = [e for e in events if e.norm == norm]
    if exact:
        return exact[:1]
    if len(events) == 1 and not repo.films_with_norm(ctx.session, norm):
        return events
    return []
