"""The hybrid recommender: content similarity + collaborative filtering (EASE^R over the
most-rated films, bot/recommend/ease.py) + popularity.

A request names seeds (films and how much the member liked each: their ratings, or the one film
of `recommend like`). Three scores are computed for a bounded candidate set — the films EASE
scores above zero for the seeds, the heads of the posting lists of the seeds' strongest content
features, and the most popular films (of every community) — each scaled to at most 1 over those
candidates, and blended with `BLEND`. Nothing here reads the database: the service builds a
`Recommender` from the catalogue, and bench/eval_recommend.py builds one from MovieLens, so the
evaluation measures exactly this code.

One index serves every community. EASE, the content index and popularity are learned from all
their ratings (anonymously: they only say which films go together); what a community is shown
is its own: its statistics (`community_of`: raters, means, favourites) come from its ratings
alone, and its candidates are the shared films and its own local ones (`visible`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from bot.recommend.community import FAVOURITE_MIN_MEAN, NO_COMMUNITY, Community, Ratings
from bot.recommend.ease import Ease, fit_ease
from bot.recommend.features import ContentBuilder, ContentIndex
from bot.recommend.reasons import Reason, explain
from bot.recommend.scores import (
    BlendWeights,
    Components,
    Ranked,
    scaled,
    strongest,
    top_order,
)

# Chosen by bench/eval_recommend.py: a grid search over the weight simplex (steps of 0.1) for
# the best NDCG@10 on a validation split of MovieLens ml-latest-small's training ratings, never
# on the held-out test ratings. Rerun the script after changing the model and copy its choice.
BLEND = BlendWeights(collaborative=0.8, content=0.2, popularity=0.0)
# EASE's ridge penalty λ, chosen on the same validation split (with the blend).
EASE_LAMBDA = 200.0

# How many of the community's most popular films every request considers, so a member with few
# ratings (or none) still gets well-liked films.
POPULAR_POOL = 300
CONTENT_PER_FEATURE = 200
MAX_CF_CANDIDATES = 2000
# How many filters' results (`filtered_rows`) an index keeps: a genre's posting lists at a
# million films are hundreds of thousands of rows to mark on every request otherwise.
FILTER_CACHE = 128
# How many communities' statistics and visible films an index keeps: each is about 25 bytes a
# film (24 MB at a million films), and recomputing one is a pass over the ratings and films.
COMMUNITY_CACHE = 4

_NO_RATINGS = Ratings(*(np.zeros(0, dtype=np.int64),) * 3, np.zeros(0, dtype=bool))


class Recommender:
    """Immutable once built; safe to share between threads."""

    def __init__(
        self,
        film_ids: np.ndarray,
        content: ContentIndex,
        collaborative: Ease,
        rating_count: np.ndarray,
        critic_count: np.ndarray,
        critic_mean: np.ndarray,
        weights: BlendWeights = BLEND,
        ratings: Ratings | None = None,
        film_community: np.ndarray | None = None,
    ) -> None:
        """`ratings`: every rating with its community, for each community's statistics;
        `film_community`: per film row, the community it is local to (NO_COMMUNITY: shared)."""
        self.film_ids = film_ids
        self.ratings = ratings if ratings is not None else _NO_RATINGS
        self.film_community = (
            film_community
            if film_community is not None
            else np.full(len(film_ids), NO_COMMUNITY, dtype=np.int64)
        )
        self.content = content
        self.collaborative = collaborative
        self.rating_count = rating_count
        self.critic_count = critic_count
        self.critic_mean = critic_mean
        self.weights = weights
        top = float(np.log1p(rating_count.max())) if len(rating_count) else 0.0
        self.popularity = np.log1p(rating_count) / top if top > 0 else np.zeros(len(film_ids))
        order = np.argsort(-rating_count, kind="stable")  # ties: the lower row first
        self.popular_rows = order[: min(POPULAR_POOL, int((rating_count > 0).sum()))]
        # The index never changes, so a filter's films don't either (read-only arrays).
        self._filtered: OrderedDict[tuple[tuple[int, ...], ...], np.ndarray] = OrderedDict()
        self._filtered_lock = threading.Lock()
        # Per community id, computed on its first request: (statistics, visible films).
        self._communities: OrderedDict[int, tuple[Community, np.ndarray]] = OrderedDict()
        self._communities_lock = threading.Lock()

    @classmethod
    def build(
        cls,
        film_ids: np.ndarray,
        builder: ContentBuilder,
        ratings: Ratings,
        weights: BlendWeights = BLEND,
        lam: float = EASE_LAMBDA,
        film_community: np.ndarray | None = None,
    ) -> Recommender:
        n = len(film_ids)
        rating_count = np.bincount(ratings.rows, minlength=n).astype(np.float64)
        critic_rows = ratings.rows[ratings.critic]
        critic_count = np.bincount(critic_rows, minlength=n)
        critic_sum = np.bincount(critic_rows, weights=ratings.stars[ratings.critic], minlength=n)
        critic_mean = np.where(critic_count > 0, critic_sum / np.maximum(critic_count, 1), np.nan)
        content = builder.build(priority=rating_count)
        # A member's `rate` score before their review's stars, as in their own taste.
        first = np.argsort(np.asarray(ratings.critic, dtype=bool), kind="stable")
        collaborative = fit_ease(
            ratings.users[first], ratings.rows[first], ratings.stars[first], lam=lam
        )
        return cls(
            film_ids,
            content,
            collaborative,
            rating_count,
            critic_count,
            critic_mean,
            weights,
            ratings,
            film_community,
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

    # -- communities -----------------------------------------------------------------------

    def community_of(self, community: int) -> Community:
        """What `community`'s members think of each film, from their ratings alone."""
        return self._community(community)[0]

    def visible(self, community: int) -> np.ndarray:
        """Per film row, whether `community` may be shown it: shared, or its own local film."""
        return self._community(community)[1]

    def _community(self, community: int) -> tuple[Community, np.ndarray]:
        with self._communities_lock:
            found = self._communities.get(community)
            if found is not None:
                self._communities.move_to_end(community)
                return found
        # Computed outside the lock, so one community's first request doesn't hold up the
        # others' (two requests may both compute it: the same result).
        stats = Community.of(self.ratings.of(community), self.size)
        for a in (stats.raters, stats.mean, stats.score, stats.favourites):
            a.flags.writeable = False
        mask = (self.film_community == NO_COMMUNITY) | (self.film_community == community)
        mask.flags.writeable = False
        with self._communities_lock:
            self._communities[community] = (stats, mask)
            while len(self._communities) > COMMUNITY_CACHE:
                self._communities.popitem(last=False)
        return stats, mask

    # -- ranking ---------------------------------------------------------------------------

    def components(
        self,
        seeds: np.ndarray,
        prefs: np.ndarray,
        *,
        exclude: np.ndarray | None = None,
        candidates: np.ndarray | None = None,
        community: int | None = None,
    ) -> Components:
        """`community`, when given: only films it may be shown are candidates (None: all, for
        an index of one community such as the evaluation's)."""
        seeds, prefs = strongest(seeds, prefs)
        nb_rows, nb_scores = self.collaborative.gather(seeds, prefs)
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
        if community is not None:
            candidates = candidates[self.visible(community)[candidates]]
        cf = np.zeros(len(candidates))
        if len(nb_rows) and len(candidates):
            pos = np.minimum(np.searchsorted(nb_rows, candidates), len(nb_rows) - 1)
            hit = nb_rows[pos] == candidates
            cf[hit] = nb_scores[pos[hit]]
        content = self.content.similarity(profile, candidates)
        return Components(
            rows=candidates,
            collaborative=scaled(cf),
            content=scaled(content),
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
        community: int | None = None,
    ) -> Ranked:
        comp = self.components(
            seeds, prefs, exclude=exclude, candidates=candidates, community=community
        )
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
        community: int = NO_COMMUNITY,
    ) -> tuple[Ranked, int]:
        """For someone the index knows nothing about: `community`'s favourites, best first,
        and how many of the result are favourites (among the films it may be shown).

        Without `everything`, films that are not favourites follow only when there are none
        (then the well-rated ones, however few rated them) or when `candidates` narrows the
        list (a filter); a film the community rates below FAVOURITE_MIN_MEAN never follows.
        With `everything` (what is showing) all candidates come back, by damped mean.
        """
        com = self.community_of(community)
        pool = (
            np.arange(self.size)
            if candidates is None
            else np.unique(np.asarray(candidates, dtype=np.int64))
        )
        pool = pool[self.visible(community)[pool]]
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
        """The `limit` most popular films having at least one feature of every group (kept
        for the next request with the same filter)."""
        if not groups:
            return self.popular_rows
        key = ((limit,), *(tuple(sorted(g)) for g in groups))
        with self._filtered_lock:
            rows = self._filtered.get(key)
            if rows is not None:
                self._filtered.move_to_end(key)
                return rows
        rows = self._filter(groups, limit)
        rows.flags.writeable = False
        with self._filtered_lock:
            self._filtered[key] = rows
            while len(self._filtered) > FILTER_CACHE:
                self._filtered.popitem(last=False)
        return rows

    def _filter(self, groups: list[list[int]], limit: int) -> np.ndarray:
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
        """One reason per film of a page (see bot/recommend/reasons.py)."""
        return explain(
            self.content,
            self.collaborative,
            self.weights,
            self.critic_count,
            rows,
            seeds,
            prefs,
            collaborative,
            content,
        )
