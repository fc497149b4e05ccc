"""What the recommendation commands know of the member: the films they rated and hid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.context import Context
from bot.recommend.model import Recommender
from bot.recommend.scores import preference
from storage import recommend_repo


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


def member_taste(ctx: Context, rec: Recommender) -> Taste:
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
