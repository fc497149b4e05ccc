"""Item-item collaborative filtering: each film's nearest films by who rated them.

Similarity is the cosine between two films' sets of raters, shrunk towards zero when few members
rated both (Sarwar et al. 2001; Deshpande & Karypis 2004): sim(i, j) = co / sqrt(n_i n_j) *
co / (co + shrink). Only each film's top `k` neighbours are kept, so scoring a member touches
at most k films per film they rated. Pairs are counted with numpy over users in chunks; a
member's contribution is capped at `max_per_user` films (a seeded sample), which bounds the
work at a million ratings without losing the signal of ordinary members.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PAIR_CHUNK = 4_000_000


@dataclass(frozen=True)
class Neighbours:
    """Each film's top neighbours, by row: `idx[ptr[r]:ptr[r+1]]`, best first, with `sim`."""

    ptr: np.ndarray
    idx: np.ndarray
    sim: np.ndarray

    def of(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.ptr[row], self.ptr[row + 1]
        return self.idx[a:b], self.sim[a:b]

    def gather(self, rows: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Σ over `rows` of weight × similarity, per neighbour: (neighbour rows, scores)."""
        rows = np.asarray(rows, dtype=np.int64)
        starts = self.ptr[rows]
        lens = self.ptr[rows + 1] - starts
        total = int(lens.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total)
        nb = self.idx[offsets]
        contrib = self.sim[offsets] * np.repeat(weights, lens)
        uniq, inverse = np.unique(nb, return_inverse=True)
        return uniq.astype(np.int64), np.bincount(inverse, weights=contrib)


def empty_neighbours(n_items: int) -> Neighbours:
    return Neighbours(
        np.zeros(n_items + 1, dtype=np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32)
    )


def item_neighbours(
    users: np.ndarray,
    items: np.ndarray,
    n_items: int,
    *,
    k: int = 50,
    shrink: float = 5.0,
    max_per_user: int = 150,
    min_support: int = 2,
    seed: int = 0,
) -> Neighbours:
    """Top-`k` neighbours of every film from (user, film row) pairs (duplicates ignored)."""
    if len(users) == 0:
        return empty_neighbours(n_items)
    pairs = np.unique(np.asarray(users, np.int64) * n_items + np.asarray(items, np.int64))
    users, items = pairs // n_items, pairs % n_items
    counts = np.bincount(items, minlength=n_items).astype(np.float64)
    users, items = _cap_per_user(users, items, max_per_user, seed)
    keys, co = _co_counts(users, items, n_items)
    # One member rating two films is an anecdote, not evidence that they are alike.
    supported = co >= min_support
    keys, co = keys[supported], co[supported]
    if len(keys) == 0:
        return empty_neighbours(n_items)
    i, j = keys // n_items, keys % n_items
    sim = co / np.sqrt(counts[i] * counts[j]) * (co / (co + shrink))
    a = np.concatenate([i, j])
    b = np.concatenate([j, i])
    s = np.concatenate([sim, sim])
    order = np.lexsort((b, -s, a))
    a, b, s = a[order], b[order], s[order]
    group_start = np.searchsorted(a, a, side="left")
    keep = (np.arange(len(a)) - group_start) < k
    a, b, s = a[keep], b[keep], s[keep]
    ptr = np.zeros(n_items + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n_items), out=ptr[1:])
    return Neighbours(ptr, b.astype(np.int32), s.astype(np.float32))


def _cap_per_user(
    users: np.ndarray, items: np.ndarray, cap: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(users)), users))
    users, items = users[order], items[order]
    rank = np.arange(len(users)) - np.searchsorted(users, users, side="left")
    keep = rank < cap
    return users[keep], items[keep]


def _co_counts(users: np.ndarray, items: np.ndarray, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """(i * n_items + j for i < j, number of users who rated both), from user-sorted pairs."""
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    sizes = np.diff(np.r_[starts, len(users)])
    triu: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    partial_keys: list[np.ndarray] = []
    partial_counts: list[np.ndarray] = []
    buffer: list[np.ndarray] = []
    buffered = 0
    for start, size in zip(starts.tolist(), sizes.tolist(), strict=True):
        if size < 2:
            continue
        if size not in triu:
            triu[size] = np.triu_indices(size, 1)
        a, b = triu[size]
        rated = np.sort(items[start : start + size])
        buffer.append(rated[a] * n_items + rated[b])
        buffered += len(a)
        if buffered >= PAIR_CHUNK:
            keys, cnt = np.unique(np.concatenate(buffer), return_counts=True)
            partial_keys.append(keys)
            partial_counts.append(cnt)
            buffer, buffered = [], 0
    if buffer:
        keys, cnt = np.unique(np.concatenate(buffer), return_counts=True)
        partial_keys.append(keys)
        partial_counts.append(cnt)
    if not partial_keys:
        return np.zeros(0, np.int64), np.zeros(0)
    if len(partial_keys) == 1:
        return partial_keys[0], partial_counts[0].astype(np.float64)
    keys, inverse = np.unique(np.concatenate(partial_keys), return_inverse=True)
    return keys, np.bincount(inverse, weights=np.concatenate(partial_counts).astype(np.float64))
