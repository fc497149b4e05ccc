"""The commands that recommend films: recommend, recommend like, recommend showing."""

from __future__ import annotations

import re
from datetime import timedelta

import numpy as np

from bot.cards import film_label
from bot.context import Context, UserError
from bot.film_lookup import NeedsChoice, resolve_film
from bot.handlers.recommend_filters import parse_filters
from bot.handlers.recommend_listing import recommendation_page
from bot.handlers.recommend_taste import member_taste
from bot.places import choice_options, known_cities, listing, resolve_place
from bot.recommend.scores import Ranked, preference
from bot.types import ArgValue, Choices, Notice, Reply
from storage import recommend_repo

MAX_RESULTS = 50
FILTER_POOL = 5000  # the most popular films matching a filter that get scored for the member
DEFAULT_DAYS = 7
MAX_DAYS = 31
_TRAILING_DAYS = re.compile(r"^(?P<city>.*\S)\s+(?P<days>\d+)(?:\s*days?)?$", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# recommend like <title>
# ---------------------------------------------------------------------------------------------


def recommend_like(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    film = resolve_film(ctx, str(args["title"]), arg="title")
    rec = ctx.recommender
    row = rec.rows_of([film.id]).get(film.id)
    if row is None:
        return Reply(
            blocks=(Notice(f"{film_label(film)} is new here; ask again in a minute or two."),),
            ephemeral=True,
        )
    taste = member_taste(ctx, rec)
    seeds, prefs = np.array([row]), preference(np.array([5.0]))
    ranked = rec.rank(
        seeds,
        prefs,
        limit=MAX_RESULTS,
        exclude=np.concatenate([taste.exclude, taste.seeds]),
        community=ctx.community_id,
    )
    prompt = f"If you liked {film_label(film)}"
    return recommendation_page(
        ctx, args, rec, ranked, seeds, prefs, prompt, {"title": f"#{film.id}"}
    )


# ---------------------------------------------------------------------------------------------
# recommend [genre] [mood] [era] [country]
# ---------------------------------------------------------------------------------------------


def recommend(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    rec = ctx.recommender
    words = " ".join(str(args.get(k) or "") for k in ("genre", "mood", "era", "country"))
    groups, labels = parse_filters(rec, words)
    taste = member_taste(ctx, rec)
    candidates = rec.filtered_rows(groups, FILTER_POOL) if groups else None
    if candidates is not None and len(candidates) == 0:
        return Reply(
            blocks=(Notice(f"No films in the catalogue are {' · '.join(labels)}."),),
            ephemeral=True,
        )
    scope = f": {' · '.join(labels)}" if labels else ""
    if taste.is_new:
        ranked, favourites = rec.community_picks(
            limit=MAX_RESULTS,
            exclude=taste.exclude,
            candidates=candidates,
            community=ctx.community_id,
        )
        prompt = _newcomer_prompt(scope, favourites, len(ranked.rows))
    else:
        ranked = rec.rank(
            taste.seeds,
            taste.prefs,
            limit=MAX_RESULTS,
            exclude=taste.exclude,
            candidates=candidates,
            community=ctx.community_id,
        )
        prompt = f"Recommended for you{scope}"
    keep: dict[str, ArgValue] = {k: v for k, v in args.items() if k != "page"}
    return recommendation_page(
        ctx, args, rec, ranked, taste.seeds, taste.prefs, prompt, keep, taste.stars
    )


_RATE_HINT = "rate films with `rate <title> <score>` to make these yours"


def _newcomer_prompt(scope: str, favourites: int, total: int) -> str:
    """Say only what is true of the list: "popular" only for the films that are."""
    if favourites and (favourites == total or not scope):
        return f"Popular with the community{scope} ({_RATE_HINT})"
    what = scope.removeprefix(": ")
    if favourites:
        return (
            f"{what[:1].upper() + what[1:]}: the community's favourites first, then the rest "
            f"({_RATE_HINT})"
        )
    if scope:
        return f"Films{scope} (too few ratings yet to say which are popular; {_RATE_HINT})"
    return f"Rated well here so far (too few ratings yet to say what is popular; {_RATE_HINT})"


# ---------------------------------------------------------------------------------------------
# recommend showing [city] [days]
# ---------------------------------------------------------------------------------------------


def recommend_showing(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    city = str(args.get("city") or "").strip()
    given = args.get("days")
    days = int(given) if isinstance(given, int | float | str) else None  # coerced: an int
    if days is None and (match := _TRAILING_DAYS.match(city)):
        city, days = match["city"], int(match["days"])
    elif days is None and city.isdecimal():
        city, days = "", int(city)
    days = DEFAULT_DAYS if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise UserError(f"days is 1 to {MAX_DAYS}, not {days}.")
    cinema_ids: list[int] | None = None
    where = ""
    if city:
        place = resolve_place(ctx.session, city, kinds=("city", "cinema"))
        if place.choices:
            keep: dict[str, ArgValue] | None = (
                {"days": days} if args.get("days") is not None or days != DEFAULT_DAYS else None
            )
            options = choice_options(place.choices, ctx.spec.name, "city", keep)
            prompt = f"“{city}” could be several places. Which one?"
            raise NeedsChoice(Reply(blocks=(Choices(prompt, options),), ephemeral=True))
        if not place.found:
            near = f" Did you mean {listing(place.suggestions)}?" if place.suggestions else ""
            known = ", ".join(known_cities(ctx.session)) or "none yet"
            raise UserError(f"No cinemas in “{city}”.{near} Cities with cinemas: {known}.")
        cinema_ids = [c.id for c in place.cinemas]
        where = f" {'in' if place.kind == 'city' else 'at'} {place.name}"
    showings = recommend_repo.next_showings(
        ctx.session, ctx.now, ctx.now + timedelta(days=days), cinema_ids
    )
    span = "tomorrow" if days == 1 else f"the next {days} days"
    if not showings:
        return Reply(blocks=(Notice(f"Nothing is showing{where} in {span}."),), ephemeral=True)
    rec = ctx.recommender
    taste = member_taste(ctx, rec)
    rows = rec.rows_of(list(showings))
    showing_rows = np.fromiter(rows.values(), dtype=np.int64, count=len(rows))
    if taste.is_new:
        # Nothing to personalise: the community's best rated first (a damped mean, so one
        # half-star rating sinks a film below the unrated ones, and one 5 doesn't top the list).
        ranked, _ = rec.community_picks(
            limit=len(rows),
            exclude=taste.exclude,
            candidates=showing_rows,
            everything=True,
            community=ctx.community_id,
        )
    else:
        ranked = rec.rank(
            taste.seeds,
            taste.prefs,
            limit=len(rows),
            exclude=np.concatenate([taste.exclude, taste.seeds]),
            candidates=showing_rows,
            community=ctx.community_id,
        )
    # A film on the member's watchlist that is showing is the best news of all: first.
    on_list = np.array([int(rec.film_ids[r]) in taste.watchlist for r in ranked.rows], dtype=bool)
    order = np.concatenate([np.flatnonzero(on_list), np.flatnonzero(~on_list)])
    ranked = Ranked(
        *(a[order] for a in (ranked.rows, ranked.scores, ranked.collaborative, ranked.content))
    )
    prompt = f"Showing{where} in {span}, " + (
        "best rated here first" if taste.is_new else "best for you first"
    )
    keep = {k: v for k, v in args.items() if k != "page"}
    return recommendation_page(
        ctx,
        args,
        rec,
        ranked,
        taste.seeds,
        taste.prefs,
        prompt,
        keep,
        taste.stars,
        showings=showings,
        watchlist=taste.watchlist,
    )
