"""A page of recommended films, each with one line saying why."""

from __future__ import annotations

import numpy as np

from bot.context import Context
from bot.normalize import normalize
from bot.paging import page_info, page_window
from bot.recommend.features import keywords
from bot.recommend.model import Recommender
from bot.recommend.reasons import Reason
from bot.recommend.scores import Ranked
from bot.recommend.vocabulary import COUNTRY_ADJECTIVES
from bot.timefmt import local_text
from bot.types import ArgValue, Choice, Choices, Notice, Reply, film_label
from storage import recommend_repo
from storage.recommend_repo import ListedFilm

PER_PAGE = 10


def recommendation_page(
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
    # One query for the page's films and the rated films its reasons name, one for their
    # genres, and one for the people a reason names, only when one does.
    named = {r.seed_row for r in reasons if r.seed_row is not None}
    films = recommend_repo.listed_films(ctx.session, ids + [int(rec.film_ids[r]) for r in named])
    seed_films = {r: films[int(rec.film_ids[r])] for r in named if int(rec.film_ids[r]) in films}
    people = [
        (film_id, int(k.split(":", 1)[1]))
        for reason, film_id in zip(reasons, ids, strict=True)
        if reason.kind in ("director", "cast")
        for k in reason.keys
    ]
    credited = recommend_repo.credited_names(
        ctx.session, [f for f, _ in people], [p for _, p in people]
    )
    options = []
    for reason, film_id in zip(reasons, ids, strict=True):
        film = films.get(film_id)
        if film is None:  # removed since the index was built
            continue
        why = _reason_text(
            rec, ctx.community_id, reason, film, seed_films, stars, credited.get(film_id, [])
        )
        if watchlist and film_id in watchlist:
            why = "on your watchlist"
        if showings:
            st = times.get(showings[film_id])
            if st is not None:
                why += f" · {local_text(st.starts_at, st.timezone)}, {st.cinema}"
            options.append(
                Choice(
                    film_label(film.title, film.year), "showtimes", {"query": f"#{film_id}"}, why
                )
            )
        else:
            options.append(
                Choice(film_label(film.title, film.year), "film", {"title": f"#{film_id}"}, why)
            )
    return Reply(
        blocks=(Choices(prompt, tuple(options)),),
        page=page_info(ctx, keep, page, pages),
    )


def _reason_text(
    rec: Recommender,
    community: int,
    reason: Reason,
    film: ListedFilm,
    seed_films: dict[int, ListedFilm],
    stars: dict[int, float] | None,
    credited: list[tuple[int, str]],
) -> str:
    seed = seed_films.get(reason.seed_row) if reason.seed_row is not None else None
    personal = stars is not None
    if reason.kind in ("director", "cast"):
        person_ids = {int(k.split(":", 1)[1]) for k in reason.keys}
        names = [name for person_id, name in credited if person_id in person_ids]
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
            return f"because you rated {seed.title} {stars_text(stars[reason.seed_row])}"
        return f"members who rated {seed.title} also rated it"
    if reason.kind == "description":
        text = _describe(film, seed)
        if text:
            return text
    return community_reason(rec, community, film)


def community_reason(rec: Recommender, community: int, film: ListedFilm) -> str:
    """What `community` thinks of it, from the same counts the ranking used: "rated 4.3★ by
    12 members" (each of its members once; critics' reviews count as their ratings; other
    communities' ratings never)."""
    row = rec.rows_of([film.id]).get(film.id)
    stats = rec.community_of(community)
    raters = int(stats.raters[row]) if row is not None else 0
    if raters == 0:  # nobody here has rated it: say what it is instead
        return _describe(film, None) or "not rated here yet"
    mean = float(stats.mean[row])
    return f"rated {_number(round(mean, 1))}★ by {raters} member{'s' if raters != 1 else ''}"


def _describe(film: ListedFilm, seed: ListedFilm | None) -> str:
    """ "Danish hospital drama": country adjective, a shared keyword, a (shared) genre."""
    genres = [normalize(g) for g in film.genres]
    seed_genres = {normalize(g) for g in seed.genres} if seed else set()
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


def stars_text(value: float) -> str:
    return f"{_number(value)}★"


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
