"""Commands any member may use: review, film, showtimes, search, help."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.cards import film_card, film_label, review_card, showtime_item
from bot.context import Context, UserError
from bot.handlers.common import page_info, page_window, resolve_film
from bot.normalize import normalize
from bot.registry import COMMANDS, find_command
from bot.timefmt import zone
from bot.types import (
    ArgValue,
    Choice,
    Choices,
    CommandList,
    CommandUsage,
    Notice,
    Reply,
    ShowtimeList,
    Text,
)
from bot.when import WhenError, parse_range
from storage import repo

REVIEWS_PER_PAGE = 3
SHOWTIMES_PER_PAGE = 10
RESULTS_PER_PAGE = 10


def review(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    reveal = bool(args.get("spoilers"))
    film = resolve_film(
        ctx, str(args["title"]), arg="title", keep={"spoilers": reveal} if reveal else None
    )
    _, total = repo.reviews_for_film(ctx.session, film.id, 0, 0)
    if total == 0:
        return Reply(
            blocks=(Notice(f"No reviews of {film_label(film)} yet."),),
            ephemeral=True,
        )
    page, offset, pages = page_window(args, total, REVIEWS_PER_PAGE)
    reviews, _ = repo.reviews_for_film(ctx.session, film.id, offset, REVIEWS_PER_PAGE)
    cards = tuple(review_card(r, film, reveal=reveal) for r in reviews)
    return Reply(
        blocks=cards,
        page=page_info(
            ctx, {"title": f"#{film.id}", **({"spoilers": True} if reveal else {})}, page, pages
        ),
    )


def film(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    found = resolve_film(ctx, str(args["title"]), arg="title")
    upcoming, _ = repo.upcoming_showtimes(
        ctx.session, start=ctx.now, end=ctx.now + timedelta(days=366), film_ids=[found.id], limit=1
    )
    nxt = showtime_item(upcoming[0]) if upcoming else None
    return Reply(blocks=(film_card(ctx.session, found, nxt),))


def showtimes(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    query = str(args.get("query") or "").strip()
    filters: dict[str, list[int]] = {}
    heading = "Upcoming screenings"
    tz_name = "UTC"
    if query:
        norm = normalize(query)
        cinemas = repo.cinemas_in_city(ctx.session, norm)
        if cinemas:
            filters["cinema_ids"] = [c.id for c in cinemas]
            heading = f"Screenings in {cinemas[0].city}"
            tz_name = cinemas[0].timezone
        elif not query.startswith("#") and (found := repo.cinemas_matching(ctx.session, norm)):
            filters["cinema_ids"] = [c.id for c in found]
            heading = f"Screenings at {found[0].name}" if len(found) == 1 else heading
            tz_name = found[0].timezone
        elif not query.startswith("#") and (events := repo.events_matching(ctx.session, norm)):
            filters["event_ids"] = [e.id for e in events]
            heading = f"Screenings in {events[0].name}"
            tz_name = events[0].cinemas[0].timezone if events[0].cinemas else tz_name
        else:
            keep = {"when": args["when"]} if args.get("when") else None
            chosen = resolve_film(ctx, query, arg="query", keep=keep)
            filters["film_ids"] = [chosen.id]
            heading = f"Screenings of {film_label(chosen)}"
    start, end, span = _window(ctx, args, tz_name)
    if span:
        heading += f", {span}"
    film_ids, cinema_ids, event_ids = (
        filters.get(k) for k in ("film_ids", "cinema_ids", "event_ids")
    )
    total = repo.upcoming_showtimes(
        ctx.session,
        start=start,
        end=end,
        limit=0,
        film_ids=film_ids,
        cinema_ids=cinema_ids,
        event_ids=event_ids,
    )[1]
    if total == 0:
        return Reply(blocks=(Notice(f"{heading}: nothing scheduled."),), ephemeral=True)
    page, offset, pages = page_window(args, total, SHOWTIMES_PER_PAGE)
    rows, _ = repo.upcoming_showtimes(
        ctx.session,
        start=start,
        end=end,
        offset=offset,
        limit=SHOWTIMES_PER_PAGE,
        film_ids=film_ids,
        cinema_ids=cinema_ids,
        event_ids=event_ids,
    )
    items = tuple(showtime_item(s) for s in rows)
    return Reply(blocks=(ShowtimeList(heading, items),), page=page_info(ctx, args, page, pages))


def _window(
    ctx: Context, args: dict[str, ArgValue], tz_name: str
) -> tuple[datetime, datetime, str]:
    """The UTC window to list: from now by default, or the local days the user named."""
    when = args.get("when")
    if not when:
        return ctx.now, ctx.now + timedelta(days=366), ""
    tz = zone(tz_name)
    today = ctx.now.astimezone(tz).date()
    try:
        days = parse_range(str(when), today)
    except WhenError as exc:
        raise UserError(str(exc)) from exc
    start = datetime.combine(days.first, time(0), tzinfo=tz)
    end = datetime.combine(days.last + timedelta(days=1), time(0), tzinfo=tz)
    # Past days are allowed (festival archives), but "today" starts now, not at midnight.
    start = max(start, ctx.now) if days.first == today else start
    label = (
        f"{days.first:%a %d %b %Y}"
        if days.first == days.last
        else (f"{days.first:%d %b} to {days.last:%d %b %Y}")
    )
    return start, end, label


def search(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    text = str(args["text"]).strip()
    norm = normalize(text)
    if len(norm) < 2:
        raise UserError("Search needs at least two letters or digits.")
    found: dict[int, str | None] = {}  # film id → why it matched
    for genre in repo.known_genres(ctx.session):
        if normalize(genre) == norm:
            for film_id in repo.films_by_genre(ctx.session, genre, 200):
                found.setdefault(film_id, genre)
    for film_id, person, role in repo.films_by_person(ctx.session, norm, 100):
        found.setdefault(film_id, f"{'dir.' if role == 'director' else 'with'} {person}")
    for film_id, score in ctx.resolver.ranked(ctx.session, norm, None, limit=50):
        if score >= 55:
            found.setdefault(film_id, None)
    if not found:
        raise UserError(f"Nothing matches “{text}” in titles, people or genres.")
    page, offset, pages = page_window(args, len(found), RESULTS_PER_PAGE)
    window = list(found.items())[offset : offset + RESULTS_PER_PAGE]
    films = repo.get_films(ctx.session, [f for f, _ in window])
    options = tuple(
        Choice(label=film_label(films[f]), command="film", args={"title": f"#{f}"}, description=why)
        for f, why in window
        if f in films
    )
    prompt = f"{len(found)} film{'s' if len(found) != 1 else ''} match “{text}”"
    return Reply(blocks=(Choices(prompt, options),), page=page_info(ctx, args, page, pages))


def help_(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    asked = args.get("command")
    if asked:
        spec = find_command(str(asked).lstrip("/"))
        if spec is None or spec.hidden:
            raise UserError(f"There is no command “{asked}”. Try `help` for the list.")
        lines = [f"{spec.name} — {spec.description}"]
        for p in spec.params:
            need = "required" if p.required else "optional"
            lines.append(f"  {p.name}: {p.description} ({need})")
        if spec.min_role > ctx.actor.role:
            lines.append(f"  Needs the {spec.min_role.name.lower()} role.")
        return Reply(blocks=(Text("\n".join(lines)),), ephemeral=True)
    usable = tuple(
        CommandUsage(
            name=spec.name,
            params=tuple((p.name, p.required) for p in spec.params if p.name != "page"),
            description=spec.description,
        )
        for spec in COMMANDS
        if not spec.hidden and spec.min_role <= ctx.actor.role
    )
    footer = None
    if ctx.actor.role < max(s.min_role for s in COMMANDS):
        footer = "Moderators also add, edit and remove reviews, films and screenings."
    heading = "Marquee — the community's reviews, films and screenings"
    return Reply(blocks=(CommandList(heading, usable, footer),), ephemeral=True)
