"""The commands: rate, recommend, recommend like, recommend showing, not interested and its
undo, interested."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from bot.args import ArgError, parse_rating
from bot.cards import film_label
from bot.context import Context, UserError
from bot.film_lookup import NeedsChoice, resolve_film
from bot.normalize import normalize
from bot.paging import page_info, page_window
from bot.places import choice_options, known_cities, listing, resolve_place
from bot.recommend.features import keywords
from bot.recommend.model import Ranked, Reason, Recommender, preference
from bot.recommend.vocabulary import (
    COUNTRY_ADJECTIVES,
    ERA_WORDS,
    GENRE_SYNONYMS,
    MOOD_SYNONYMS,
    MOODS,
    REGIONS,
    country_matches,
    decades_for,
)
from bot.timefmt import local_text
from bot.types import ArgValue, Choice, Choices, Notice, Reply
from storage import recommend_repo
from storage.models import Film

PER_PAGE = 10
MAX_RESULTS = 50
FILTER_POOL = 5000  # the most popular films matching a filter that get scored for the member
DEFAULT_DAYS = 7
MAX_DAYS = 31
_TRAILING_SCORE = re.compile(r"^(?P<title>.*\S)\s+(?P<score>\d+(?:[.,]\d+)?|★+)(?:\s*/\s*5)?$")
_TRAILING_DAYS = re.compile(r"^(?P<city>.*\S)\s+(?P<days>\d+)(?:\s*days?)?$", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# rate, not interested
# ---------------------------------------------------------------------------------------------


def rate(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    title = str(args["title"]).strip()
    score = args.get("score")
    if score is None:
        # One line of text ("rate Second Victims 4.5"): the score is the last word.
        match = _TRAILING_SCORE.match(title)
        if not match:
            raise UserError(
                "Give a score from 0.5 to 5 after the title, e.g. `rate Second Victims 4.5`."
            )
        try:
            score = parse_rating(match["score"])
        except ArgError as exc:
            raise UserError(
                f"{exc} (For a title ending in a number, give the score as score=….)"
            ) from exc
        title = match["title"]
    film = resolve_film(ctx, title, arg="title", keep={"score": score})
    assert isinstance(score, int | float)  # coerce_args or parse_rating made it a number
    halves = round(float(score) * 2)
    actor = ctx.actor
    previous = recommend_repo.set_rating(
        ctx.session, actor.platform, actor.user_id, film.id, halves, ctx.now
    )
    text = f"You rated {film_label(film)} {_stars(halves / 2)}."
    if previous is not None and previous != halves:
        text += f" (It was {_stars(previous / 2)}.)"
    return Reply(blocks=(Notice(text + " Your recommendations use it now."),), ephemeral=True)


def not_interested(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    film = resolve_film(ctx, str(args["title"]), arg="title")
    actor = ctx.actor
    added = recommend_repo.add_not_interested(
        ctx.session, actor.platform, actor.user_id, film.id, ctx.now
    )
    text = (
        f"Got it: {film_label(film)} won't be recommended to you again."
        if added
        else f"{film_label(film)} is already hidden from your recommendations."
    )
    text += f" To undo: `interested #{film.id}`."
    return Reply(blocks=(Notice(text),), ephemeral=True)


def interested(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    """The undo of `not interested`."""
    film = resolve_film(ctx, str(args["title"]), arg="title")
    actor = ctx.actor
    removed = recommend_repo.remove_not_interested(
        ctx.session, actor.platform, actor.user_id, film.id
    )
    text = (
        f"Done: {film_label(film)} can be recommended to you again."
        if removed
        else f"{film_label(film)} wasn't hidden from your recommendations; nothing to undo."
    )
    return Reply(blocks=(Notice(text),), ephemeral=True)


# ---------------------------------------------------------------------------------------------
# The member's taste
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Taste:
    seeds: np.ndarray  # rows the member rated (or reviewed)
    prefs: np.ndarray
    stars: dict[int, float]  # row → stars, for reasons
    exclude: np.ndarray  # rows never to recommend: rated or hidden
    watchlist: set[int]  # film ids

    @property
    def is_new(self) -> bool:
        return len(self.seeds) == 0


def _taste(ctx: Context, rec: Recommender) -> Taste:
    member = recommend_repo.member_taste(ctx.session, ctx.actor.platform, ctx.actor.user_id)
    halves = {**member.review_ratings, **member.ratings}  # `rate` wins over a review's stars
    rows = rec.rows_of(list(halves))
    stars = {rows[f]: h / 2 for f, h in halves.items() if f in rows}
    seeds = np.fromiter(stars.keys(), dtype=np.int64, count=len(stars))
    prefs = preference(np.fromiter(stars.values(), dtype=np.float64, count=len(stars)))
    hidden_rows = list(rec.rows_of(list(member.hidden)).values())
    return Taste(
        seeds=seeds,
        prefs=prefs,
        stars=stars,
        exclude=np.asarray(hidden_rows, dtype=np.int64),
        watchlist=member.watchlist,
    )


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
    taste = _taste(ctx, rec)
    seeds, prefs = np.array([row]), preference(np.array([5.0]))
    ranked = rec.rank(
        seeds, prefs, limit=MAX_RESULTS, exclude=np.concatenate([taste.exclude, taste.seeds])
    )
    prompt = f"If you liked {film_label(film)}"
    return _listing(ctx, args, rec, ranked, seeds, prefs, prompt, {"title": f"#{film.id}"})


# ---------------------------------------------------------------------------------------------
# recommend [genre] [mood] [era] [country]
# ---------------------------------------------------------------------------------------------


def recommend(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    rec = ctx.recommender
    words = " ".join(str(args.get(k) or "") for k in ("genre", "mood", "era", "country"))
    groups, labels = _filters(rec, words)
    taste = _taste(ctx, rec)
    candidates = rec.filtered_rows(groups, FILTER_POOL) if groups else None
    if candidates is not None and len(candidates) == 0:
        return Reply(
            blocks=(Notice(f"No films in the catalogue are {' · '.join(labels)}."),),
            ephemeral=True,
        )
    scope = f": {' · '.join(labels)}" if labels else ""
    if taste.is_new:
        ranked, favourites = rec.community_picks(
            limit=MAX_RESULTS, exclude=taste.exclude, candidates=candidates
        )
        prompt = _newcomer_prompt(scope, favourites, len(ranked.rows))
    else:
        ranked = rec.rank(
            taste.seeds,
            taste.prefs,
            limit=MAX_RESULTS,
            exclude=taste.exclude,
            candidates=candidates,
        )
        prompt = f"Recommended for you{scope}"
    keep: dict[str, ArgValue] = {k: v for k, v in args.items() if k != "page"}
    return _listing(ctx, args, rec, ranked, taste.seeds, taste.prefs, prompt, keep, taste.stars)


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


def known_words(rec: Recommender) -> str:
    genres = sorted(k.split(":", 1)[1] for k in rec.content.keys.with_prefix("genre:"))
    return (
        f"Genres: {', '.join(genres) or 'none yet'}. Moods: {', '.join(MOODS)}. "
        f"Eras: a decade (1970s, 90s) or {', '.join(ERA_WORDS)}. "
        f"Countries: a country or its adjective (danish, japanese) or {', '.join(REGIONS)}."
    )


def _filters(rec: Recommender, text: str) -> tuple[list[list[int]], list[str]]:
    """Each word (or two-word phrase) of `text` as a group of features a film must have one of."""
    words = [w for w in normalize(text).replace(",", " ").split() if w]
    groups: list[list[int]] = []
    labels: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(words):
        for size in (3, 2, 1):
            phrase = " ".join(words[i : i + size])
            if len(words) - i < size:
                continue
            found = _classify(rec, phrase)
            if found is not None:
                groups.append(found[0])
                labels.append(found[1])
                i += size
                break
        else:
            unknown.append(words[i])
            i += 1
    if unknown:
        raise UserError(
            f"I don't know {', '.join(f'“{w}”' for w in unknown)} as a genre, mood, era or "
            f"country. {known_words(rec)}"
        )
    return groups, labels


def _classify(rec: Recommender, phrase: str) -> tuple[list[int], str] | None:
    """A phrase (already normalised: "feel-good" arrives as "feel good") as features."""

    def ids(keys: list[str]) -> list[int]:
        return [f for k in keys if (f := rec.feature_id(k)) is not None]

    dashed = phrase.replace(" ", "-")
    genre = _GENRES.get(phrase, phrase)
    if rec.feature_id(f"genre:{genre}") is not None:
        return ids([f"genre:{genre}"]), genre
    mood_name = next(
        (_MOODS[p] for p in (phrase, dashed, phrase.replace(" ", "")) if p in _MOODS), None
    )
    if mood_name is not None:
        mood = MOODS[mood_name]
        keys = [f"genre:{normalize(g)}" for g in mood.genres]
        keys += [f"keyword:{normalize(k)}" for k in mood.keywords]
        return ids(keys), mood_name
    decades = decades_for(dashed)
    if decades is not None:
        label = dashed if dashed in ERA_WORDS else f"{decades[0]}s"
        return ids([f"decade:{d}" for d in decades]), label
    countries = country_matches(phrase)
    if countries:
        return ids([f"country:{c}" for c in countries]), phrase
    return None


# The vocabulary's words as they look after `normalize` (no hyphens, no accents).
_GENRES = {normalize(k): normalize(v) for k, v in GENRE_SYNONYMS.items()}
_MOODS = {**{m: m for m in MOODS}, **MOOD_SYNONYMS}


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
    taste = _taste(ctx, rec)
    rows = rec.rows_of(list(showings))
    showing_rows = np.fromiter(rows.values(), dtype=np.int64, count=len(rows))
    if taste.is_new:
        # Nothing to personalise: the community's best rated first (a damped mean, so one
        # half-star rating sinks a film below the unrated ones, and one 5 doesn't top the list).
        ranked, _ = rec.community_picks(
            limit=len(rows), exclude=taste.exclude, candidates=showing_rows, everything=True
        )
    else:
        ranked = rec.rank(
            taste.seeds,
            taste.prefs,
            limit=len(rows),
            exclude=np.concatenate([taste.exclude, taste.seeds]),
            candidates=showing_rows,
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
    return _listing(
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


# ---------------------------------------------------------------------------------------------
# Rendering: a page of films, each with one line saying why
# ---------------------------------------------------------------------------------------------


def _listing(
    ctx: Context,
    args: dict[str, ArgValue],
    rec: Recommender,
    ranked: Ranked,
    seeds: np.ndarray,
    prefs: np.ndarray,
    prompt: str,
    keep: dict[str, ArgValue],
    stars: dict[int, float] | None = None,
    *,
    showings: dict[int, int] | None = None,
    watchlist: set[int] | None = None,
) -> Reply:
    if len(ranked.rows) == 0:
        return Reply(
            blocks=(Notice("Nothing to recommend yet: rate a few films with `rate`."),),
            ephemeral=True,
        )
    page, offset, pages = page_window(args, len(ranked.rows), PER_PAGE)
    window = range(offset, min(offset + PER_PAGE, len(ranked.rows)))
    ids = [int(rec.film_ids[ranked.rows[i]]) for i in window]
    times = recommend_repo.get_showtimes(
        ctx.session, [showings[f] for f in ids] if showings else []
    )
    page_rows = np.asarray([ranked.rows[i] for i in window], dtype=np.int64)
    reasons = rec.explain(
        page_rows,
        seeds,
        prefs,
        ranked.collaborative[offset : offset + len(page_rows)],
        ranked.content[offset : offset + len(page_rows)],
    )
    # One query for the page's films and the rated films its reasons name.
    named = {r.seed_row for r in reasons if r.seed_row is not None}
    films = recommend_repo.films_for_listing(
        ctx.session, ids + [int(rec.film_ids[r]) for r in named]
    )
    seed_films = {r: films[int(rec.film_ids[r])] for r in named if int(rec.film_ids[r]) in films}
    options = []
    for reason, film_id in zip(reasons, ids, strict=True):
        film = films.get(film_id)
        if film is None:  # removed since the index was built
            continue
        why = _reason_text(rec, reason, film, seed_films, stars)
        if watchlist and film_id in watchlist:
            why = "on your watchlist"
        if showings:
            st = times.get(showings[film_id])
            if st is not None:
                why += f" · {local_text(st.starts_at, st.cinema.timezone)}, {st.cinema.name}"
            options.append(Choice(film_label(film), "showtimes", {"query": f"#{film_id}"}, why))
        else:
            options.append(Choice(film_label(film), "film", {"title": f"#{film_id}"}, why))
    return Reply(
        blocks=(Choices(prompt, tuple(options)),),
        page=page_info(ctx, keep, page, pages),
    )


def _reason_text(
    rec: Recommender,
    reason: Reason,
    film: Film,
    seed_films: dict[int, Film],
    stars: dict[int, float] | None,
) -> str:
    seed = seed_films.get(reason.seed_row) if reason.seed_row is not None else None
    personal = stars is not None
    if reason.kind in ("director", "cast"):
        person_ids = {int(k.split(":", 1)[1]) for k in reason.keys}
        names = [c.person.name for c in film.credits if c.person_id in person_ids]
        name = names[0] if names else "someone you liked"
        if reason.kind == "director":
            return (
                f"same director as {seed.title}: {name}"
                if personal and seed
                else (f"same director ({name})")
            )
        return f"with {name}, as in {seed.title}" if personal and seed else f"also with {name}"
    if reason.kind == "rated_with" and seed is not None:
        if personal and stars and reason.seed_row in stars:
            return f"because you rated {seed.title} {_stars(stars[reason.seed_row])}"
        return f"members who rated {seed.title} also rated it"
    if reason.kind == "description":
        text = _describe(film, seed)
        if text:
            return text
    return community_reason(rec, film)


def community_reason(rec: Recommender, film: Film) -> str:
    """What the community thinks of it, from the same counts the ranking used: "rated 4.3★ by
    12 members" (each member once; critics' reviews count as their ratings)."""
    row = rec.rows_of([film.id]).get(film.id)
    raters = int(rec.community.raters[row]) if row is not None else 0
    if raters == 0:  # nobody here has rated it: say what it is instead
        return _describe(film, None) or "not rated here yet"
    mean = float(rec.community.mean[row])
    return f"rated {_number(round(mean, 1))}★ by {raters} member{'s' if raters != 1 else ''}"


def _describe(film: Film, seed: Film | None) -> str:
    """ "Danish hospital drama": country adjective, a shared keyword, a (shared) genre."""
    genres = [normalize(g.genre) for g in film.genres]
    seed_genres = {normalize(g.genre) for g in seed.genres} if seed else set()
    genre = next((g for g in genres if g in seed_genres), genres[0] if genres else "")
    countries = [normalize(c) for c in film.countries or ()]
    adjective = next((COUNTRY_ADJECTIVES[c] for c in countries if c in COUNTRY_ADJECTIVES), "")
    subject = ""
    if seed is not None and film.synopsis and seed.synopsis:
        seed_words = set(keywords(seed.synopsis))
        subject = next((w for w in keywords(film.synopsis) if w in seed_words), "")
    if not (adjective or subject):
        return f"another {genre}" if genre else ""
    return " ".join(p for p in (adjective, subject, genre or "film") if p)


def _stars(value: float) -> str:
    return f"{_number(value)}★"


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
