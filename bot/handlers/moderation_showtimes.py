"""Moderator commands on screenings: showtime add, showtime remove. Each write records an audit
entry in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import audit
from bot.args import int_arg
from bot.cards import film_label, showtime_item
from bot.context import Context, UserError
from bot.film_lookup import resolve_film
from bot.handlers.moderation_confirm import refuse_unless_confirmed
from bot.links import is_web_url
from bot.normalize import normalize
from bot.places import one_cinema
from bot.timefmt import local_text, zone
from bot.types import ArgValue, Created, Notice, Reply, ShowtimeList
from bot.when import WhenError, parse_local_datetime
from storage import place_queries, showtime_queries
from storage.models_screenings import Showtime


def showtime_add(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    film = resolve_film(ctx, str(args["film"]), arg="film")
    cinema = one_cinema(ctx.session, str(args["cinema"]))  # forgiving, aliases; never guesses
    tz = zone(cinema.timezone)
    try:
        local = parse_local_datetime(str(args["starts"]), ctx.now.astimezone(tz).date())
    except WhenError as exc:
        raise UserError(str(exc)) from exc
    starts_at = _local_to_utc(local, cinema.timezone)
    same = showtime_queries.scheduled_showtime_at(ctx.session, film.id, cinema.id, starts_at)
    if same is not None:
        raise UserError(
            f"Screening #{same.id} is already {film_label(film)} at {cinema.name}, "
            f"{local_text(starts_at, cinema.timezone)}. Nothing was added."
        )
    if starts_at <= ctx.now and not args.get("past"):
        refuse_unless_confirmed(
            ctx,
            args,
            "past",
            f"{local_text(starts_at, cinema.timezone)} is in the past at {cinema.name} "
            f"(it is now {local_text(ctx.now, cinema.timezone)} there): was that a typo?",
        )
    event_id = None
    if args.get("event"):
        events = place_queries.events_matching(ctx.session, normalize(str(args["event"])))
        if len(events) != 1:
            raise UserError(f"No single event matches “{args['event']}”.")
        event_id = events[0].id
    ticket = str(args["ticket"]) if args.get("ticket") else None
    if ticket and not is_web_url(ticket):
        raise UserError(
            "A ticket link must be a full http(s) address such as https://tickets.example/42, "
            "with spaces and other special characters percent-encoded."
        )
    showtime = Showtime(
        film_id=film.id,
        cinema_id=cinema.id,
        event_id=event_id,
        starts_at=starts_at,
        format=str(args["format"]) if args.get("format") else None,
        ticket_url=ticket,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(showtime)
    ctx.session.flush()
    ctx.session.refresh(showtime)
    audit.record(
        ctx.session,
        ctx.actor,
        ctx.now,
        "showtime add",
        "showtime",
        showtime.id,
        None,
        audit.snapshot_showtime(showtime),
    )
    item = showtime_item(showtime)
    past = " (in the past: a record only, no alerts go out)" if starts_at <= ctx.now else ""
    return Reply(
        blocks=(
            Notice(f"Screening #{showtime.id} added{past}."),
            ShowtimeList(f"{film_label(film)} at {cinema.name}", (item,)),
        ),
        created=Created("showtime", showtime.id),
    )


def _local_to_utc(local: datetime, tz_name: str) -> datetime:
    """A cinema's wall-clock time to UTC; refuses times that don't exist there (DST gap)."""
    tz = zone(tz_name)
    aware = local.replace(tzinfo=tz)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != local:
        raise UserError(
            f"{local:%Y-%m-%d %H:%M} does not exist in {tz_name}: the clocks skip it "
            "(daylight saving). Pick another time."
        )
    return aware.astimezone(UTC)


def showtime_remove(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    showtime = showtime_queries.get_showtime(ctx.session, int_arg(args, "showtime"))
    if showtime is None or showtime.cancelled:
        raise UserError(f"There is no scheduled screening #{args['showtime']}.")
    before = audit.snapshot_showtime(showtime)
    # Cancelled rather than deleted, so alerts can tell subscribers it is off.
    showtime.cancelled = True
    showtime.updated_at = ctx.now
    audit.record(
        ctx.session,
        ctx.actor,
        ctx.now,
        "showtime remove",
        "showtime",
        showtime.id,
        before,
        audit.snapshot_showtime(showtime),
    )
    when = showtime_item(showtime).local_time
    return Reply.notice(
        f"Screening #{showtime.id} ({film_label(showtime.film)}, {when} "
        f"at {showtime.cinema.name}) cancelled."
    )
