"""The three scores a candidate gets (collaborative, content, popularity), how they blend into
one, and the order that blend puts candidates in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# At most this many seeds count in a request; beyond it the strongest opinions are kept. High,
# because every rating informs EASE: capping MovieLens members at their 200 strongest opinions
# cost 0.04 NDCG@10, at 1,000 still 0.004 (bench/eval_recommend.py); scoring stays one
# (seeds × covered films) product, bounded by a full matrix-vector product (ease.py).
MAX_SEEDS = 5000


@dataclass(frozen=True)
class BlendWeights:
    collaborative: float
    content: float
    popularity: float


def strongest(seeds: np.ndarray, prefs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most MAX_SEEDS seeds: the strongest opinions carry the most information. The ranking
    and its reasons both use this, so a reason never names a seed the ranking left out."""
    seeds = np.asarray(seeds, dtype=np.int64)
    prefs = np.asarray(prefs, dtype=np.float64)
    if len(seeds) > MAX_SEEDS:
        keep = np.argsort(-np.abs(prefs), kind="stable")[:MAX_SEEDS]
        seeds, prefs = seeds[keep], prefs[keep]
    return seeds, prefs


def preference(stars: np.ndarray) -> np.ndarray:
    """How much a rating says "more like this": 3 stars and up pull, 2 and below push away."""
    return np.asarray(stars, dtype=np.float64) - 2.5


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


def scaled(values: np.ndarray) -> np.ndarray:
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
