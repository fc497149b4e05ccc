"""The hybrid recommender: content similarity + item-item collaborative filtering + popularity.

A request names seeds (films and how much the member liked each: their ratings, or the one film
of `recommend like`). Three scores are computed for a bounded candidate set — the seeds'
collaborative neighbours, the heads of the posting lists of the seeds' strongest content
features, and the community's most popular films — each scaled to at most 1 over those
candidates, and blended with `BLEND`. Nothing here reads the database: the service builds a
`Recommender` from the catalogue, and bench/eval_recommend.py builds one from MovieLens, so the
evaluation measures exactly this code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.recommend.collaborative import Neighbours, item_neighbours
from bot.recommend.features import ContentBuilder, ContentIndex, Profile


@dataclass(frozen=True)
class BlendWeights:
    collaborative: float
    content: float
    popularity: float


# Chosen by bench/eval_recommend.py: a grid search over the weight simplex (steps of 0.1) for
# the best NDCG@10 on a validation split of MovieLens ml-latest-small's training ratings, never
# on the held-out test ratings. Rerun the script after changing the model and copy its choice.
BLEND = BlendWeights(collaborative=0.8, content=0.2, popularity=0.0)

# How many of the community's most popular films every request considers, so a member with few
# ratings (or none) still gets well-liked films.
POPULAR_POOL = 300
CONTENT_PER_FEATURE = 200
MAX_SEEDS = 200
MAX_CF_CANDIDATES = 2000


# What makes a film a community favourite, the picks a newcomer (who has rated nothing) gets:
# enough members rated it, their mean is good, and they are ranked by a damped mean — the mean
# pulled toward the catalogue's average by DAMPING imaginary average ratings — so three 5-star
# ratings don't outrank a hundred 4.5s, and one half-star rating is never "popular".
FAVOURITE_MIN_RATERS = 3
FAVOURITE_MIN_MEAN = 3.5
DAMPING = 5.0


def preference(stars: np.ndarray) -> np.ndarray:
    """How much a rating says "more like this": 3 stars and up pull, 2 and below push away."""
    return np.asarray(stars, dtype=np.float64) - 2.5


@dataclass(frozen=True)
class Ratings:
    """Who rated which film row how many stars; `critic` marks ratings that came with a review."""

    users: np.ndarray
    rows: np.ndarray
    stars: np.ndarray
    critic: np.ndarray


@dataclass(frozen=True)
class Components:
    """The three scores of each candidate, each scaled to at most 1."""

    rows: np.ndarray
    collaborative: np.ndarray
    content: np.ndarray
    popularity: np.ndarray

    def blend(self, weights: BlendWeights) -> np.ndarray:
        return (
            weights.collaborative * self.collaborative
            + weights.content * self.content
            + weights.popularity * self.popularity
        )


@dataclass(frozen=True)
class Ranked:
    rows: np.ndarray
    scores: np.ndarray
    collaborative: np.ndarray
    content: np.ndarray


@dataclass(frozen=True)
class Community:
    """Per film row: how many members rated it and their mean, each member counted once (their
    `rate` score over their review's stars, as in their own taste)."""

    raters: np.ndarray  # int64
    mean: np.ndarray  # float64 stars, nan when nobody rated it
    score: np.ndarray  # the damped mean used for ranking
    favourites: np.ndarray  # rows that qualify, best first

    @classmethod
    def of(cls, ratings: Ratings, n: int) -> Community:
        users = np.asarray(ratings.users, dtype=np.int64)
        rows = np.asarray(ratings.rows, dtype=np.int64)
        stars = np.asarray(ratings.stars, dtype=np.float64)
        if len(rows):
            key = users * max(n, 1) + rows
            order = np.lexsort((np.asarray(ratings.critic, dtype=bool), key))  # rate first
            first = np.concatenate(([True], key[order][1:] != key[order][:-1]))
            rows, stars = rows[order][first], stars[order][first]
        raters = np.bincount(rows, minlength=n).astype(np.int64)
        sums = np.bincount(rows, weights=stars, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(raters > 0, sums / np.maximum(raters, 1), np.nan)
        prior = float(stars.mean()) if len(stars) else 0.0
        score = (DAMPING * prior + sums) / (DAMPING + raters)
        good = np.flatnonzero((raters >= FAVOURITE_MIN_RATERS) & (mean >= FAVOURITE_MIN_MEAN))
        favourites = good[np.lexsort((good, -raters[good], -score[good]))]
        return cls(raters, mean, score, favourites)


@dataclass(frozen=True)
class Reason:
    """Why a film was recommended; the handler turns it into one line with names."""

    kind: str  # director | cast | rated_with | description | critics | popular
    seed_row: int | None = None
    keys: tuple[str, ...] = ()


class Recommender:
    """Immutable once built; safe to share between threads."""

    def __init__(
        self,
        film_ids: np.ndarray,
        content: ContentIndex,
        neighbours: Neighbours,
        rating_count: np.ndarray,
        critic_count: np.ndarray,
        critic_mean: np.ndarray,
        weights: BlendWeights = BLEND,
        community: Community | None = None,
    ) -> None:
        self.film_ids = film_ids
        self.community = community or Community.of(
            Ratings(*(np.zeros(0, dtype=np.int64),) * 3, np.zeros(0, dtype=bool)), len(film_ids)
        )
        self.content = content
        self.neighbours = neighbours
        self.rating_count = rating_count
        self.critic_count = critic_count
        self.critic_mean = critic_mean
        self.weights = weights
        top = float(np.log1p(rating_count.max())) if len(rating_count) else 0.0
        self.popularity = np.log1p(rating_count) / top if top > 0 else np.zeros(len(film_ids))
        order = np.lexsort((np.arange(len(film_ids)), -rating_count))
        self.popular_rows = order[: min(POPULAR_POOL, int((rating_count > 0).sum()))]

    @classmethod
    def build(
        cls,
        film_ids: np.ndarray,
        builder: ContentBuilder,
        ratings: Ratings,
        weights: BlendWeights = BLEND,
        neighbours_per_film: int = 50,
    ) -> Recommender:
        n = len(film_ids)
        rating_count = np.bincount(ratings.rows, minlength=n).astype(np.float64)
        critic_rows = ratings.rows[ratings.critic]
        critic_count = np.bincount(critic_rows, minlength=n)
        critic_sum = np.bincount(critic_rows, weights=ratings.stars[ratings.critic], minlength=n)
        critic_mean = np.where(critic_count > 0, critic_sum / np.maximum(critic_count, 1), np.nan)
        content = builder.build(priority=rating_count)
        neighbours = item_neighbours(ratings.users, ratings.rows, n, k=neighbours_per_film)
        community = Community.of(ratings, n)
        return cls(
            film_ids,
            content,
            neighbours,
            rating_count,
            critic_count,
            critic_mean,
            weights,
            community,
        )

    # -- lookups ---------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return len(self.film_ids)

    def rows_of(self, film_ids: list[int]) -> dict[int, int]:
        """Film id → row, for the films the index knows (ids are sorted: a binary search)."""
        ids = np.asarray(film_ids, dtype=np.int64)
        pos = np.searchsorted(self.film_ids, ids)
        pos = np.minimum(pos, max(0, len(self.film_ids) - 1))
        found = (len(self.film_ids) > 0) & (self.film_ids[pos] == ids)
        return {int(f): int(p) for f, p, ok in zip(ids, pos, found, strict=True) if ok}

    def feature_id(self, key: str) -> int | None:
        return self.content.keys.get(key)

    # -- ranking ---------------------------------------------------------------------------

    def components(
        self,
        seeds: np.ndarray,
        prefs: np.ndarray,
        *,
        exclude: np.ndarray | None = None,
        candidates: np.ndarray | None = None,
    ) -> Components:
        seeds = np.asarray(seeds, dtype=np.int64)
        prefs = np.asarray(prefs, dtype=np.float64)
        if len(seeds) > MAX_SEEDS:  # the strongest opinions carry the most information
            keep = np.argsort(-np.abs(prefs), kind="stable")[:MAX_SEEDS]
            seeds, prefs = seeds[keep], prefs[keep]
        nb_rows, nb_scores = self.neighbours.gather(seeds, prefs)
        profile = self.content.profile(seeds, prefs)
        if candidates is None:
            liked = nb_rows[nb_scores > 0]
            if len(liked) > MAX_CF_CANDIDATES:
                best = np.argpartition(-nb_scores[nb_scores > 0], MAX_CF_CANDIDATES)
                liked = liked[best[:MAX_CF_CANDIDATES]]
            pool = [liked, self.content.candidates(profile, CONTENT_PER_FEATURE), self.popular_rows]
            candidates = np.unique(np.concatenate(pool).astype(np.int64))
        else:
            candidates = np.unique(np.asarray(candidates, dtype=np.int64))
        drop = seeds if exclude is None else np.concatenate([seeds, exclude])
        if len(drop):
            candidates = candidates[~np.isin(candidates, drop)]
        cf = np.zeros(len(candidates))
        if len(nb_rows) and len(candidates):
            pos = np.minimum(np.searchsorted(nb_rows, candidates), len(nb_rows) - 1)
            hit = nb_rows[pos] == candidates
            cf[hit] = nb_scores[pos[hit]]
        content = self.content.similarity(profile, candidates)
        return Components(
            rows=candidates,
            collaborative=_scaled(cf),
            content=_scaled(content),
            popularity=self.popularity[candidates],
        )

    def rank(
        self,
        seeds: np.ndarray,
        prefs: np.ndarray,
        *,
        limit: int,
        exclude: np.ndarray | None = None,
        candidates: np.ndarray | None = None,
        weights: BlendWeights | None = None,
    ) -> Ranked:
        comp = self.components(seeds, prefs, exclude=exclude, candidates=candidates)
        scores = comp.blend(weights or self.weights)
        order = top_order(scores, comp.popularity, comp.rows, limit)
        return Ranked(
            comp.rows[order], scores[order], comp.collaborative[order], comp.content[order]
        )

    def community_picks(
        self,
        *,
        limit: int,
        exclude: np.ndarray | None = None,
        candidates: np.ndarray | None = None,
        everything: bool = False,
    ) -> tuple[Ranked, int]:
        """For someone the index knows nothing about: the community's favourites, best first,
        and how many of the result are favourites.

        Without `everything`, films that are not favourites follow only when there are none
        (then the well-rated ones, however few rated them) or when `candidates` narrows the
        list (a filter); a film the community rates below FAVOURITE_MIN_MEAN never follows.
        With `everything` (what is showing) all candidates come back, by damped mean.
        """
        com = self.community
        pool = np.arange(self.size) if candidates is None else np.unique(candidates)
        if exclude is not None and len(exclude):
            pool = pool[~np.isin(pool, exclude)]
        fav = com.favourites[np.isin(com.favourites, pool)]
        if everything:
            rest = pool[~np.isin(pool, fav)]
        elif candidates is not None or len(fav) == 0:
            rest = pool[~np.isin(pool, fav)]
            unrated = com.raters[rest] == 0
            rest = rest[
                (com.mean[rest] >= FAVOURITE_MIN_MEAN) | (unrated & (candidates is not None))
            ]
        else:
            rest = np.zeros(0, dtype=np.int64)
        rest = rest[np.lexsort((rest, -com.raters[rest], -com.score[rest]))]
        rows = np.concatenate([fav, rest]).astype(np.int64)[:limit]
        zeros = np.zeros(len(rows))
        return Ranked(rows, com.score[rows], zeros, zeros), min(len(fav), len(rows))

    def filtered_rows(self, groups: list[list[int]], limit: int) -> np.ndarray:
        """The `limit` most popular films having at least one feature of every group."""
        mask: np.ndarray | None = None
        for feats in groups:
            # Marking the posting lists in a mask is linear; merging them (np.unique) would sort.
            group = np.zeros(self.size, dtype=bool)
            for feat in feats:
                group[self.content.posting(feat)] = True
            mask = group if mask is None else mask & group
        if mask is None:
            return self.popular_rows
        rows = np.flatnonzero(mask)
        if len(rows) > limit:
            rows = rows[np.argpartition(-self.rating_count[rows], limit)[:limit]]
        return rows

    # -- reasons ---------------------------------------------------------------------------

    def explain(
        self,
        rows: np.ndarray,
        seeds: np.ndarray,
        prefs: np.ndarray,
        collaborative: np.ndarray,
        content: np.ndarray,
    ) -> list[Reason]:
        """One reason per film of a page: the strongest fact linking it to the seeds.

        Works on the page's few films with whole-array operations over the seeds, so a member
        with hundreds of ratings costs no more than one with a few.
        """
        seeds = np.asarray(seeds, dtype=np.int64)
        prefs = np.asarray(prefs, dtype=np.float64)
        liked = seeds[prefs > 0][:MAX_SEEDS]
        people: dict[str, int] = {}  # a director's or actor's key → the first liked film with them
        for seed in liked.tolist():
            for key in self.content.keys_of(seed):
                if _is(key, "director") or _is(key, "cast"):
                    people.setdefault(key, seed)
        best_seed = self._best_collaborative_seeds(seeds, prefs, rows)
        w = self.weights
        reasons = []
        for row, cf, ct in zip(rows.tolist(), collaborative, content, strict=True):
            keys = self.content.keys_of(row)
            reason = None
            for kind in ("director", "cast"):
                shared = [k for k in keys if _is(k, kind) and k in people]
                if shared:
                    reason = Reason(kind, people[shared[0]], tuple(shared))
                    break
            if reason is None and cf > 0 and w.collaborative * cf >= w.content * ct:
                if row in best_seed:
                    reason = Reason("rated_with", best_seed[row])
            if reason is None and ct > 0 and len(liked):
                feats, weights = self.content.features(row)
                order = np.argsort(feats)
                closeness = self.content.similarity(
                    Profile(feats[order], weights[order].astype(np.float32)), liked
                )
                reason = Reason("description", int(liked[int(np.argmax(closeness))]), tuple(keys))
            if reason is None:
                reason = Reason("critics" if self.critic_count[row] > 0 else "popular")
            reasons.append(reason)
        return reasons

    def _best_collaborative_seeds(
        self, seeds: np.ndarray, prefs: np.ndarray, rows: np.ndarray
    ) -> dict[int, int]:
        """For each of `rows`, the seed whose neighbour list gives it the most (sim × pref)."""
        if len(seeds) == 0:
            return {}
        starts = self.neighbours.ptr[seeds]
        lens = self.neighbours.ptr[seeds + 1] - starts
        total = int(lens.sum())
        if total == 0:
            return {}
        offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total)
        nb = self.neighbours.idx[offsets].astype(np.int64)
        contrib = self.neighbours.sim[offsets] * np.repeat(prefs, lens)
        owner = np.repeat(seeds, lens)
        keep = np.isin(nb, rows) & (contrib > 0)
        nb, contrib, owner = nb[keep], contrib[keep], owner[keep]
        order = np.lexsort((-contrib, nb))
        best: dict[int, int] = {}
        for n, o in zip(nb[order].tolist(), owner[order].tolist(), strict=True):
            best.setdefault(n, o)
        return best


def _is(key: str, kind: str) -> bool:
    return key.startswith(kind + ":")


def _scaled(values: np.ndarray) -> np.ndarray:
    top = float(np.abs(values).max()) if len(values) else 0.0
    return values / top if top > 0 else values


def top_order(scores: np.ndarray, tie: np.ndarray, rows: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the `limit` best scores, best first; ties: more popular, then older."""
    if len(scores) > limit:
        cut = np.argpartition(-scores, limit - 1)[:limit] if limit > 0 else np.zeros(0, int)
    else:
        cut = np.arange(len(scores))
    order = np.lexsort((rows[cut], -tie[cut], -scores[cut]))
    return cut[order]


def seed_arrays(rows: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """(rows, preferences) from row → stars."""
    seeds = np.fromiter(rows.keys(), dtype=np.int64, count=len(rows))
    stars = np.fromiter(rows.values(), dtype=np.float64, count=len(rows))
    return seeds, preference(stars)


__all__ = [
    "BLEND",
    "BlendWeights",
    "Community",
    "Components",
    "Profile",
    "Ranked",
    "Ratings",
    "Reason",
    "Recommender",
    "preference",
    "seed_arrays",
    "top_order",
]
