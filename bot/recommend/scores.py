"""The three scores a candidate gets (collaborative, content, popularity), how they blend into
one, and the order that blend puts candidates in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# At most this many seeds count in a request; beyond it the strongest opinions are kept.
MAX_SEEDS = 200


@dataclass(frozen=True)
class BlendWeights:
    collaborative: float
    content: float
    popularity: float


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
