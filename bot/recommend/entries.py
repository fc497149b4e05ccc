"""Array helpers of the content index's build (`bot.recommend.features`): a million films hold
about eight million (film, feature) entries, so every int64 copy of them is 64 MB, and these
work on them a chunk at a time or in place to keep the build's peak down."""

from __future__ import annotations

import numpy as np


def chunks(n: int, chunk: int = 1 << 20) -> list[slice]:
    """Slices of a million entries: bounds the temporaries of entry-wise arithmetic."""
    return [slice(start, start + chunk) for start in range(0, n, chunk)]


def split_keys(key: np.ndarray, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """(key // stride, key % stride) as int32, a chunk at a time (no int64 temporaries)."""
    rows = np.empty(len(key), dtype=np.int32)
    feats = np.empty(len(key), dtype=np.int32)
    for part in chunks(len(key)):
        rows[part], feats[part] = np.divmod(key[part], stride)
    return rows, feats


def term_weights(entries: np.ndarray, at: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The term weight of each entry (by its key): `values` where listed in `at` (sorted),
    else 1.0."""
    out = np.ones(len(entries), dtype=np.float32)
    if len(at) and len(entries):
        pos = np.minimum(np.searchsorted(at, entries), len(at) - 1)
        found = at[pos] == entries
        out[found] = values[pos[found]]
    return out


def postings(
    feats: np.ndarray,
    row_ptr: np.ndarray,
    post_ptr: np.ndarray,
    by_rank: np.ndarray,
    chunk: int = 1 << 20,
) -> np.ndarray:
    """The posting lists laid end to end (int32 film rows): each feature's films by rank
    (`by_rank`: rows best first), for entries sorted by film (`row_ptr`, `feats`).

    Built a group of features holding about `chunk` entries at a time, each group sorted by one
    int64 key (feature, rank): an entry-long key would be 64 MB at a million films, a fresh
    allocation the C library takes from the system while the freed 32 MB arrays before it stay
    in its heap (so the peak, not the work, is what this bounds).
    """
    n_rows = len(by_rank)
    rank = np.empty(n_rows, dtype=np.int32)
    rank[by_rank] = np.arange(n_rows, dtype=np.int32)
    post_row = np.empty(len(feats), dtype=np.int32)
    n_feats = len(post_ptr) - 1
    firsts = np.searchsorted(post_ptr, np.arange(0, len(feats), chunk), side="right") - 1
    bounds = np.unique(np.concatenate([firsts, [n_feats]]))
    for f0, f1 in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        at = np.flatnonzero((feats >= f0) & (feats < f1))
        owner = np.searchsorted(row_ptr, at, side="right") - 1
        key = feats[at].astype(np.int64) * max(1, n_rows) + rank[owner]
        key.sort()
        post_row[post_ptr[f0] : post_ptr[f1]] = by_rank[key % max(1, n_rows)]
    return post_row


def counts_by(values: np.ndarray, n: int) -> np.ndarray:
    """np.bincount by chunks: it converts int32 input to int64, a 64 MB copy in one go."""
    counts = np.zeros(n, dtype=np.int64)
    for part in chunks(len(values)):
        counts += np.bincount(values[part], minlength=n)
    return counts


def row_sums(rows: np.ndarray, w: np.ndarray, n_rows: int) -> np.ndarray:
    """Σ w² per row, a chunk of entries at a time: np.bincount converts its weights to float64,
    a 64 MB copy of eight million entries in one go."""
    sums = np.zeros(n_rows, dtype=np.float64)
    for part in chunks(len(rows)):
        sums += np.bincount(rows[part], weights=w[part] * w[part], minlength=n_rows)
    return sums
