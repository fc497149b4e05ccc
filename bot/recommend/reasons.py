"""Why a film was recommended: the strongest fact linking it to the member's seeds (a shared
director or actor, the rated film that added most to its collaborative score and that members
rated together with it, a similar description), one per film of a page."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.recommend.ease import Ease
from bot.recommend.features import KIND_WEIGHT, ContentIndex, Profile
from bot.recommend.scores import MAX_SEEDS, BlendWeights, strongest

# How many of the member's best-liked films are searched for a shared director or actor.
PEOPLE_SEEDS = 200
# Kinds by their number in `ContentIndex.kinds`: people are found by feature id, and a key is
# spelt out as a string only for the reason given.
_KIND = {kind: i for i, kind in enumerate(KIND_WEIGHT)}


@dataclass(frozen=True)
class Reason:
    """Why a film was recommended; the handler turns it into one line with names."""

    kind: str  # director | cast | rated_with | description | critics | popular
    seed_row: int | None = None
    keys: tuple[str, ...] = ()


def explain(
    index: ContentIndex,
    cf_model: Ease,
    blend: BlendWeights,
    critic_count: np.ndarray,
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
    people: dict[int, int] = {}  # a director's or actor's feature → the first liked film with them
    # Only the best-liked films: enough to find shared people.
    best_liked = liked[np.argsort(-prefs[prefs > 0][:MAX_SEEDS], kind="stable")[:PEOPLE_SEEDS]]
    is_person = np.isin(np.arange(len(_KIND)), [_KIND["director"], _KIND["cast"]])
    for seed in best_liked.tolist():
        feats = index.features(seed)[0]
        for feat in feats[is_person[index.kinds[feats]]].tolist():
            people.setdefault(feat, seed)
    best_seed = cf_model.attribute(*strongest(seeds, prefs), rows)
    w = blend
    reasons = []
    for row, cf, ct in zip(rows.tolist(), collaborative, content, strict=True):
        feats = index.features(row)[0]
        row_kinds = index.kinds[feats].tolist()
        reason = None
        for kind in ("director", "cast"):
            shared = [
                f
                for f, k in zip(feats.tolist(), row_kinds, strict=True)
                if k == _KIND[kind] and f in people
            ]
            if shared:
                reason = Reason(kind, people[shared[0]], tuple(index.keys[f] for f in shared))
                break
        if reason is None and cf > 0 and w.collaborative * cf >= w.content * ct:
            if row in best_seed:
                reason = Reason("rated_with", best_seed[row])
        if reason is None and ct > 0 and len(liked):
            feats, weights = index.features(row)
            order = np.argsort(feats)
            closeness = index.similarity(
                Profile(feats[order], weights[order].astype(np.float32)), liked
            )
            seed = int(liked[int(np.argmax(closeness))])
            reason = Reason("description", seed, tuple(index.keys_of(row)))
        if reason is None:
            reason = Reason("critics" if critic_count[row] > 0 else "popular")
        reasons.append(reason)
    return reasons
