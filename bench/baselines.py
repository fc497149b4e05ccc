"""Two strong collaborative baselines for bench/eval_recommend.py, in numpy: EASE^R and item-kNN.

Both read a binary user × film matrix X (1 where the user rated the film in the training part,
whatever the stars: the implicit-feedback setting both were published for) and score every film
for every user of X at once, so a whole hyper-parameter grid is evaluated in seconds.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def interactions(users: np.ndarray, rows: np.ndarray, n_users: int, n_items: int) -> np.ndarray:
    x = np.zeros((n_users, n_items), dtype=np.float32)
    x[users, rows] = 1.0
    return x


def ease_scores(x: np.ndarray, lam: float) -> np.ndarray:
    """EASE^R (Steck, WWW 2019): scores X·B with B = I − P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹.

    B's diagonal is zero by construction (1 − P_jj / P_jj), so no film recommends itself. The
    items × items inverse is never formed: with fewer users than films, Woodbury's identity gives
    P = (I − Xᵀ A⁻¹ X) / λ with A = λI + XXᵀ (users × users), hence X·P = A⁻¹X and
    diag(P)_j = (1 − x_jᵀ A⁻¹ x_j) / λ. Exactly the same scores as the primal closed form, for a
    671 × 671 solve instead of a 9,000 × 9,000 inverse.
    """
    x64 = x.astype(np.float64)
    a = x64 @ x64.T
    a[np.diag_indices_from(a)] += lam
    xp = np.linalg.solve(a, x64)  # X·P
    diag_p = (1.0 - (x64 * xp).sum(axis=0)) / lam
    return (x64 - xp / diag_p).astype(np.float32)


def knn_scores(x: np.ndarray, ks: list[int], shrink: float) -> Iterator[tuple[int, np.ndarray]]:
    """Item-kNN: (k, scores X·W) for each k, W_ij = sim(i, j) for film j's k most similar films i.

    sim is the cosine between two films' sets of raters with a shrink term in the denominator,
    co / (sqrt(n_i n_j) + shrink), which discounts pairs of rarely rated films; the diagonal is
    zero. The neighbours are ranked once for the largest k and cut for the smaller ones.
    """
    counts = x.sum(axis=0)
    sim = x.T @ x
    norms = np.sqrt(counts)
    denom = norms[:, None] * norms[None, :] + np.float32(shrink)
    np.divide(sim, denom, out=sim, where=denom > 0)
    sim[denom == 0] = 0.0
    del denom
    np.fill_diagonal(sim, 0.0)
    n = sim.shape[0]
    k_max = min(max(ks), n - 1)
    top = np.argpartition(-sim, k_max - 1, axis=0)[:k_max]
    cols = np.arange(n)
    top = np.take_along_axis(top, np.argsort(-sim[top, cols], axis=0, kind="stable"), axis=0)
    for k in sorted(ks):
        w = np.zeros_like(sim)
        w[top[:k], cols] = sim[top[:k], cols]
        yield k, x @ w


def top_k(scores: np.ndarray, exclude: np.ndarray, k: int) -> np.ndarray:
    """Each row's `k` best columns, best first, never one of `exclude` (a boolean mask)."""
    masked = np.where(exclude, -np.inf, scores)
    cut = np.argpartition(-masked, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(masked, cut, axis=1), axis=1, kind="stable")
    return np.take_along_axis(cut, order, axis=1)


def als_scores(
    x: np.ndarray, factors: int, regularization: float, alpha: float, seed: int = 0
) -> np.ndarray | None:
    """Implicit-feedback matrix factorisation (Hu, Koren & Volinsky, ICDM 2008) with the
    `implicit` library's ALS (an optional bench dependency): X ≈ U·Vᵀ with confidence 1 + αX.
    None when `implicit` is not installed."""
    try:
        from implicit.cpu.als import AlternatingLeastSquares  # type: ignore[import-untyped]
        from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
    except ImportError:
        return None
    model = AlternatingLeastSquares(
        factors=factors,
        regularization=regularization,
        alpha=alpha,
        iterations=15,
        num_threads=1,  # the bench machine is shared; one thread also keeps it reproducible
        random_state=seed,
    )
    model.fit(csr_matrix(x), show_progress=False)
    return np.asarray(model.user_factors @ model.item_factors.T, dtype=np.float32)
