"""What a community as a whole thinks of each film: who rated it, their mean, and which films
are its favourites (the picks for a member who has rated nothing).

One index serves every community (its models learn from all their ratings), but these figures
are each community's own: a member is never shown what another community rated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# What makes a film a community favourite, the picks a newcomer (who has rated nothing) gets:
# enough members rated it, their mean is good, and they are ranked by a damped mean — the mean
# pulled toward the catalogue's average by DAMPING imaginary average ratings — so three 5-star
# ratings don't outrank a hundred 4.5s, and one half-star rating is never "popular".
FAVOURITE_MIN_RATERS = 3
FAVOURITE_MIN_MEAN = 3.5
DAMPING = 5.0


# The community of ratings and films that belong to none in particular: shared films, and
# every rating of a data set with one community (bench/eval_recommend.py's MovieLens).
NO_COMMUNITY = 0


@dataclass(frozen=True)
class Ratings:
    """Who rated which film row how many stars; `critic` marks ratings that came with a review,
    `community` the community each was given in (None: all NO_COMMUNITY)."""

    users: np.ndarray
    rows: np.ndarray
    stars: np.ndarray
    critic: np.ndarray
    community: np.ndarray | None = field(default=None)

    def communities(self) -> np.ndarray:
        """Each rating's community id (int64)."""
        if self.community is None:
            return np.full(len(self.rows), NO_COMMUNITY, dtype=np.int64)
        return np.asarray(self.community, dtype=np.int64)

    def of(self, community: int) -> Ratings:
        """The ratings given in `community` alone."""
        if self.community is None:
            return self if community == NO_COMMUNITY else self._take(np.zeros(0, dtype=np.int64))
        return self._take(np.flatnonzero(self.communities() == community))

    def _take(self, at: np.ndarray) -> Ratings:
        return Ratings(
            self.users[at],
            self.rows[at],
            self.stars[at],
            self.critic[at],
            None if self.community is None else self.community[at],
        )


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
