"""Collaborative filtering: EASE^R (Steck, "Embarrassingly Shallow Autoencoders", WWW 2019) over
the community's most-rated films.

EASE learns one item × item weight matrix B, the ridge regression of every film's column of the
ratings matrix X on all the other columns: B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹, so
B's diagonal is zero (a film never predicts itself). A member's score for film j is Σᵢ xᵢ·Bᵢⱼ
over the films i they rated. On MovieLens it beats the item-kNN this replaces by a wide margin
(docs/recommendations.md), and fed stars rather than who-rated-what it does better still.

A dense B over a million films would be 4 TB, and is not needed: a film rated by one or two
members teaches the regression nothing. The model covers the `max_films` most-rated films
(those with at least MIN_RATERS raters); the content score ranks the rest, new films included.
At 2,000 films B is 16 MB of float32, and scoring a member is one (seeds × films) product.

X holds stars / 5 when the Gram matrix is fitted; a member's request weighs each seed by their
preference (stars − 2.5, `scores.preference`), so a film they disliked pushes its look-alikes
down. That pairing had the best validation NDCG@10 of the encodings tried (the measurements are
in docs/recommendations.md, "EASE on stars").

The Gram matrix is accumulated a block of members at a time (sparse block × dense block, scipy)
and inverted in place with LAPACK through scipy.linalg, in float32; B then overwrites it, so the
peak is about one K × K float32 matrix, whatever the number of ratings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg  # type: ignore[import-untyped]
import scipy.sparse  # type: ignore[import-untyped]

# 2,000 and 4,000 scored the same on MovieLens (docs/recommendations.md); 2,000 keeps B at 16 MB.
MAX_FILMS = 2000
MIN_RATERS = 2
# A reason "members who rated X also rated it" needs at least this many of them.
MIN_SUPPORT = 2
USER_BLOCK = 1000
COLUMN_SLICE = 256
# How many of the strongest contributing seeds a reason checks for shared raters.
ATTRIBUTION_TRIES = 8


@dataclass(frozen=True)
class Ease:
    """The fitted model. `rows`: the film rows it covers, sorted; `weights[a, b]`: how much
    rating film rows[a] says about film rows[b]; `raters_ptr`/`raters`: each covered film's
    raters (sorted member numbers), so a reason can check who rated both films."""

    rows: np.ndarray
    weights: np.ndarray
    raters_ptr: np.ndarray
    raters: np.ndarray

    @property
    def size(self) -> int:
        return len(self.rows)

    def columns(self, film_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions in `film_rows` of the films the model covers, their columns)."""
        film_rows = np.asarray(film_rows, dtype=np.int64)
        if self.size == 0 or len(film_rows) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.rows, film_rows), self.size - 1)
        found = np.flatnonzero(self.rows[pos] == film_rows)
        return found, pos[found]

    def gather(self, seeds: np.ndarray, prefs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every covered film's score for a member with these seeds: (rows, scores); nothing
        when no seed is covered."""
        at, cols = self.columns(seeds)
        if len(cols) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        prefs = np.asarray(prefs, dtype=np.float32)[at]
        if len(cols) * 8 < self.size:  # a few seeds: read only their rows of B
            return self.rows, (prefs @ self.weights[cols]).astype(np.float64)
        # Many: one matrix-vector product, with no (seeds × films) copy of B.
        dense = np.zeros(self.size, dtype=np.float32)
        np.add.at(dense, cols, prefs)
        return self.rows, (dense @ self.weights).astype(np.float64)

    def co_raters(self, a: int, b: int) -> int:
        """How many members rated both covered films (by column)."""
        ra = self.raters[self.raters_ptr[a] : self.raters_ptr[a + 1]]
        rb = self.raters[self.raters_ptr[b] : self.raters_ptr[b + 1]]
        if len(ra) > len(rb):
            ra, rb = rb, ra
        if len(ra) == 0:
            return 0
        # Both sorted and unique: binary searches of the shorter list in the longer, instead
        # of np.intersect1d's sort of both (a third of a page's reasons at a million ratings).
        pos = np.minimum(np.searchsorted(rb, ra), len(rb) - 1)
        return int(np.count_nonzero(rb[pos] == ra))

    def attribute(self, seeds: np.ndarray, prefs: np.ndarray, rows: np.ndarray) -> dict[int, int]:
        """For each of `rows` the model covers, the seed that adds the most to its score
        (preference × weight > 0) among those at least MIN_SUPPORT members also rated."""
        seeds = np.asarray(seeds, dtype=np.int64)
        at, seed_cols = self.columns(seeds)
        where, row_cols = self.columns(rows)
        if len(seed_cols) == 0 or len(row_cols) == 0:
            return {}
        prefs = np.asarray(prefs, dtype=np.float64)[at]
        contrib = prefs[:, None] * self.weights[np.ix_(seed_cols, row_cols)]
        best: dict[int, int] = {}
        page = np.asarray(rows)[where].tolist()
        for k, (row, col) in enumerate(zip(page, row_cols.tolist(), strict=True)):
            order = np.argsort(-contrib[:, k], kind="stable")[:ATTRIBUTION_TRIES]
            for s in order.tolist():
                if contrib[s, k] <= 0:
                    break
                if self.co_raters(int(seed_cols[s]), col) >= MIN_SUPPORT:
                    best[int(row)] = int(seeds[at[s]])
                    break
        return best


def empty_ease() -> Ease:
    return Ease(
        np.zeros(0, dtype=np.int64),
        np.zeros((0, 0), dtype=np.float32),
        np.zeros(1, dtype=np.int64),
        np.zeros(0, dtype=np.int32),
    )


def fit_ease(
    users: np.ndarray,
    rows: np.ndarray,
    stars: np.ndarray,
    *,
    lam: float,
    max_films: int = MAX_FILMS,
) -> Ease:
    """EASE^R over the `max_films` most-rated films from (member, film row, stars) triples;
    a member who rated a film twice (a rating and a review) counts once, with the first."""
    covered, members, cols, values = _covered_ratings(users, rows, stars, max_films)
    k = len(covered)
    if k == 0:
        return empty_ease()
    gram = _gram(members, cols, values, k)
    gram[np.diag_indices(k)] += lam
    # Symmetric, so its transpose is the same matrix in Fortran order: LAPACK inverts it in
    # place, and B overwrites P, so the model's one K × K float32 matrix is the only one.
    # Single precision suffices: λ bounds the condition number by (λ_max(XᵀX) + λ) / λ.
    weights = scipy.linalg.inv(gram.T, overwrite_a=True, check_finite=False).T
    del gram
    diag = np.diag(weights).copy()
    weights /= -diag[None, :]
    weights[np.diag_indices(k)] = 0.0
    by_col = np.lexsort((members, cols))
    raters_ptr = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=k), out=raters_ptr[1:])
    return Ease(covered, weights, raters_ptr, members[by_col])


def _covered_ratings(
    users: np.ndarray, rows: np.ndarray, stars: np.ndarray, max_films: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(covered film rows, and for each rating of them: member number, column, stars / 5).
    A function of its own so that its million-long temporaries are gone before the Gram."""
    users = np.asarray(users, dtype=np.int64)
    rows = np.asarray(rows, dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    if len(rows) == 0:
        return none, none.astype(np.int32), none.astype(np.int32), none.astype(np.float32)
    n_rows = int(rows.max()) + 1
    _, first = np.unique(users * n_rows + rows, return_index=True)
    counts = np.bincount(rows[first], minlength=n_rows)
    eligible = np.flatnonzero(counts >= MIN_RATERS)
    # The most-rated films, ties to the lower row, so the same ratings give the same model.
    by_count = eligible[np.lexsort((eligible, -counts[eligible]))]
    covered = np.sort(by_count[:max_films])
    del counts, eligible, by_count
    if len(covered) == 0:
        return none, none.astype(np.int32), none.astype(np.int32), none.astype(np.float32)
    pos = np.minimum(np.searchsorted(covered, rows[first]), len(covered) - 1)
    keep = covered[pos] == rows[first]
    first = first[keep]
    values = (np.asarray(stars, dtype=np.float64)[first] / 5.0).astype(np.float32)
    _, members = np.unique(users[first], return_inverse=True)
    return covered, members.astype(np.int32), pos[keep].astype(np.int32), values


def _gram(members: np.ndarray, cols: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """XᵀX (float32, k × k) of the sparse members × films matrix, a block of members at a
    time and by slices of columns, so no temporary is another k × k."""
    x = scipy.sparse.csr_matrix((values, (members, cols)), shape=(int(members.max()) + 1, k))
    gram = np.zeros((k, k), dtype=np.float32)
    for start in range(0, x.shape[0], USER_BLOCK):
        block = x[start : start + USER_BLOCK]
        block_t = block.T.tocsr()
        dense = block.toarray()
        for c in range(0, k, COLUMN_SLICE):
            gram[:, c : c + COLUMN_SLICE] += block_t @ dense[:, c : c + COLUMN_SLICE]
    return gram
