"""Commands any member may use: review, film, showtimes, search, help."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.cards import film_card, film_label, review_card, showtime_item
from bot.context import Context, UserError
from bot.film_lookup import NeedsChoice, resolve_film
from bot.normalize import normalize
from bot.paging import page_info, page_window
from bot.people import films_by_person
from bot.places import Place, choice_options, listing, resolve_place
from bot.registry import COMMANDS, find_command
from bot.resolve import FOUND_AT, split_year
from bot.types import (
    ArgValue,
    Choice,
    Choices,
    CommandList,
    CommandUsage,
    Notice,
    Reply,
    Role,
    ShowtimeList,
    Text,
)
from bot.when import LocalDays, WhenError
from storage import film_queries, review_queries, showtime_queries

REVIEWS_PER_PAGE = 3
SHOWTIMES_PER_PAGE = 10
RESULTS_PER_PAGE = 10


def review(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    reveal = bool(args.get("spoilers"))
    film = resolve_film(
        ctx, str(args["title"]), arg="title", keep={"spoilers": reveal} if reveal else None
    )
    _, total = review_queries.reviews_for_film(ctx.session, film.id, 0, 0)
    if total == 0:
        return Reply(
            blocks=(Notice(f"No reviews of {film_label(film)} yet."),),
            ephemeral=True,
        )
    page, offset, pages = page_window(args, total, REVIEWS_PER_PAGE)
    reviews, _ = review_queries.reviews_for_film(ctx.session, film.id, offset, REVIEWS_PER_PAGE)
    moderator = ctx.actor.role >= Role.MODERATOR  # they see the version `review edit` names
    cards = tuple(review_card(r, film, reveal=reveal, moderator=moderator) for r in reviews)
    return Reply(
        blocks=cards,
        page=page_info(
            ctx, {"title": f"#{film.id}", **({"spoilers": True} if reveal else {})}, page, pages
        ),
    )


def film(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    found = resolve_film(ctx, str(args["title"]), arg="title", related=True)  # the whole card
    upcoming, _ = showtime_queries.upcoming_showtimes(
        ctx.session,
        start=ctx.now,
        end=ctx.now + timedelta(days=366),
        film_ids=[found.id],
        limit=1,
        total=0,  # the card shows the next screening, not how many: no count
    )
    nxt = showtime_item(upcoming[0]) if upcoming else None
    return Reply(blocks=(film_card(ctx.session, found, nxt),))


def showtimes(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    # No place named: the community's home city, when its admins set one.
    query = str(args.get("query") or "").strip() or (ctx.here.settings.home_city or "")
    filters, heading, tz_name = _showtimes_scope(ctx, args, query)
    film_ids, cinema_ids, event_ids = (
        filters.get(k) for k in ("film_ids", "cinema_ids", "event_ids")
    )
    scope = {"film_ids": film_ids, "cinema_ids": cinema_ids, "event_ids": event_ids}
    window, span = _window(ctx, args, tz_name, scope)
    if span:
        heading += f", {span}"
    total = showtime_queries.upcoming_showtimes(
        ctx.session,
        limit=0,
        film_ids=film_ids,
        cinema_ids=cinema_ids,
        event_ids=event_ids,
        **window,
    )[1]
    if total == 0:
        return Reply(blocks=(Notice(f"{heading}: nothing scheduled."),), ephemeral=True)
    page, offset, pages = page_window(args, total, SHOWTIMES_PER_PAGE)
    rows, _ = showtime_queries.upcoming_showtimes(
        ctx.session,
        offset=offset,
        limit=SHOWTIMES_PER_PAGE,
        total=total,  # counted just above, in this unit of work
        film_ids=film_ids,
        cinema_ids=cinema_ids,
        event_ids=event_ids,
        **window,
    )
    items = tuple(showtime_item(s) for s in rows)
    return Reply(blocks=(ShowtimeList(heading, items),), page=page_info(ctx, args, page, pages))


def _showtimes_scope(
    ctx: Context, args: dict[str, ArgValue], query: str
) -> tuple[dict[str, list[int]], str, str]:
    """What `showtimes <query>` lists: (filters, heading, time zone). A place (city, cinema or
    chain, event) by `resolve_place`, else a film; a misspelt place wins over a film only when
    it is at least as close as the nearest title."""
    if not query:
        return {}, "Upcoming screenings", "UTC"
    keep = {"when": args["when"]} if args.get("when") else None
    place = Place(query) if query.startswith("#") else resolve_place(ctx.session, query)
    if (place.found or place.choices) and not place.exact:
        if _title_score(ctx, query) > place.score:
            place = Place(query)
    if place.choices:
        raise NeedsChoice(
            Reply(
                blocks=(
                    Choices(
                        f"“{query}” could be several places. Which one?",
                        choice_options(place.choices, "showtimes", "query", keep),
                    ),
                ),
                ephemeral=True,
            )
        )
    if place.kind == "event" and place.event is not None:
        return {"event_ids": [place.event.id]}, f"Screenings in {place.name}", place.timezone
    if place.found:
        where = "in" if place.kind == "city" else "at"
        cinema_ids = [c.id for c in place.cinemas]
        return {"cinema_ids": cinema_ids}, f"Screenings {where} {place.name}", place.timezone
    try:
        chosen = resolve_film(ctx, query, arg="query", keep=keep)
    except UserError as exc:
        if not place.suggestions:
            raise
        # Neither a film nor a place: name the places it is nearest to as well.
        raise UserError(f"{exc} Places with a similar name: {listing(place.suggestions)}.") from exc
    return {"film_ids": [chosen.id]}, f"Screenings of {film_label(chosen)}", "UTC"


def _title_score(ctx: Context, query: str) -> float:
    """How close the nearest film title is to `query` (100 for an exact title)."""
    title, year = split_year(query)
    norm = normalize(title)
    if film_queries.films_with_norm(ctx.session, norm, year):
        return 100.0
    ranked = ctx.resolver.ranked(ctx.session, norm, year, limit=1)
    return ranked[0][1] if ranked else 0.0


def _window(
    ctx: Context, args: dict[str, ArgValue], tz_name: str, scope: dict[str, list[int] | None]
) -> tuple[dict[str, Any], str]:
    """What to list: from now by default, or the days the user named, each read as the local
    day of the cinema where a screening happens (one UTC window per cinema zone, applied in
    SQL so paging and counts stay right). Returns the query's window and a label for it."""
    when = args.get("when")
    if not when:
        return {"start": ctx.now, "end": ctx.now + timedelta(days=366)}, ""
    try:
        days = LocalDays.parse(str(when), ctx.now)
        zones = showtime_queries.showtime_zones(ctx.session, **scope)
        windows = days.windows(zones)
        label = days.label(zones or [tz_name])
    except WhenError as exc:
        raise UserError(str(exc)) from exc
    return {"zone_windows": windows}, label


def search(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    text = str(args["text"]).strip()
    norm = normalize(text)
    if len(norm) < 2:
        raise UserError("Search needs at least two letters or digits.")
    found: dict[int, str | None] = {}  # film id → why it matched
    for genre in film_queries.known_genres(ctx.session):
        if normalize(genre) == norm:
            for film_id in film_queries.films_by_genre(ctx.session, genre, 200):
                found.setdefault(film_id, genre)
    # People by the same forgiving match as titles ("tarkovski", "vinterburg", "östlund").
    for film_id, person, role in films_by_person(ctx.session, ctx.resolver.people, norm, 100):
        found.setdefault(film_id, f"{'dir.' if role == 'director' else 'with'} {person}")
    for film_id, score in ctx.resolver.ranked(ctx.session, norm, None, limit=50):
        if score >= FOUND_AT:
            found.setdefault(film_id, None)
    if not found:
        raise UserError(f"Nothing matches “{text}” in titles, people or genres.")
    page, offset, pages = page_window(args, len(found), RESULTS_PER_PAGE)
    window = list(found.items())[offset : offset + RESULTS_PER_PAGE]
    films = film_queries.get_films(ctx.session, [f for f, _ in window], related=False)
    options = tuple(
        Choice(label=film_label(films[f]), command="film", args={"title": f"#{f}"}, description=why)
        for f, why in window
        if f in films
    )
    one = len(found) == 1
    prompt = f"{len(found)} film{'' if one else 's'} match{'es' if one else ''} “{text}”"
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
