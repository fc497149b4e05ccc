"""The recommender's parts on small hand-made data: EASE, content, blend, filters, reasons."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.recommend import index_file
from bot.recommend.community import NO_COMMUNITY, Ratings
from bot.recommend.ease import fit_ease
from bot.recommend.entries import postings
from bot.recommend.features import ContentBuilder, keywords
from bot.recommend.model import Recommender
from bot.recommend.scores import BlendWeights, preference


def _ratings(triples: list[tuple[int, int, float]], critic: bool = False) -> Ratings:
    users, rows, stars = (np.array(c) for c in zip(*triples, strict=True))
    return Ratings(users, rows, stars.astype(float), np.full(len(users), critic))


def test_films_rated_by_the_same_members_predict_each_other_and_never_themselves() -> None:
    # Users 0-2 rate films 0 and 1; users 3-4 rate films 2 and 3; film 4 one user only.
    users = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5])
    rows = np.array([0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 4])
    model = fit_ease(users, rows, np.full(len(users), 4.0), lam=1.0)
    assert model.rows.tolist() == [0, 1, 2, 3]  # film 4 has one rater: content ranks it
    b = model.weights
    assert np.all(np.diag(b) == 0)
    assert b[0, 1] > 0 and b[1, 0] > 0 and b[2, 3] > 0 and b[3, 2] > 0
    assert b[0, 2] == 0 and b[2, 1] == 0  # no member links the two pairs
    seen, scores = model.gather(np.array([0, 4]), np.array([2.5, 2.5]))
    assert seen[np.argmax(scores)] == 1


def test_the_model_covers_the_most_rated_films_only() -> None:
    # Film f is rated by 6 - f members (films 0-4), so film 5 has none and 4 just one.
    triples = [(u, f, 4.0) for f in range(5) for u in range(6 - f)]
    users, rows, stars = (np.array(c) for c in zip(*triples, strict=True))
    model = fit_ease(users, rows, stars, lam=1.0, max_films=3)
    assert model.rows.tolist() == [0, 1, 2]
    assert len(model.gather(np.array([3, 4, 5]), np.ones(3))[0]) == 0


def test_many_seeds_score_as_a_few_do() -> None:
    rng = np.random.default_rng(1)
    users, rows = rng.integers(0, 40, 600), rng.integers(0, 60, 600)
    model = fit_ease(users, rows, rng.integers(1, 11, 600) / 2, lam=5.0)
    seeds = model.rows[: model.size // 2]
    prefs = rng.normal(size=len(seeds))
    _, together = model.gather(seeds, prefs)  # one matrix-vector product
    parts = [model.gather(seeds[i : i + 1], prefs[i : i + 1])[1] for i in range(len(seeds))]
    assert np.allclose(together, np.sum(parts, axis=0), atol=1e-5)


def test_keywords_drop_stop_words_and_accents() -> None:
    assert keywords("The Doctor's night at a Danish hôspital") == [
        "doctor",
        "night",
        "danish",
        "hospital",
    ]


def _catalogue() -> ContentBuilder:
    b = ContentBuilder()
    # 0 and 1 share a director; 2 shares only a genre with 0; 3 is unrelated.
    b.add(0, "genre", "drama")
    b.add(0, "director", "7")
    b.add(0, "country", "denmark")
    b.add(1, "genre", "comedy")
    b.add(1, "director", "7")
    b.add(2, "genre", "drama")
    b.add(2, "country", "sweden")
    b.add(3, "genre", "horror")
    b.add(4, "genre", "drama")
    b.add(4, "country", "denmark")
    return b


def test_recommend_like_prefers_the_same_director_then_shared_features() -> None:
    rec = Recommender.build(
        np.arange(10, 15), _catalogue(), _ratings([(0, 3, 4.0)]), BlendWeights(0.0, 1.0, 0.0)
    )
    ranked = rec.rank(np.array([0]), preference(np.array([5.0])), limit=5)
    assert 0 not in ranked.rows.tolist()  # never the film itself
    assert ranked.rows[0] == 1
    assert ranked.rows.tolist().index(4) < ranked.rows.tolist().index(2)  # drama + Denmark
    (reason,) = rec.explain(
        np.array([1]), np.array([0]), np.array([2.5]), np.zeros(1), ranked.content[:1]
    )
    assert reason.kind == "director" and reason.keys == ("director:7",)


def test_a_new_member_gets_the_most_rated_films_first() -> None:
    ratings = _ratings([(u, 3, 4.0) for u in range(5)] + [(u, 2, 4.0) for u in range(2)])
    rec = Recommender.build(np.arange(5), _catalogue(), ratings)
    ranked = rec.rank(np.zeros(0, int), np.zeros(0), limit=3)
    assert ranked.rows.tolist()[:2] == [3, 2]
    nothing = np.zeros(0, int), np.zeros(0), np.zeros(1), np.zeros(1)
    assert rec.explain(np.array([3]), *nothing)[0].kind == "popular"


def test_a_disliked_film_pushes_the_films_rated_with_it_down() -> None:
    # Films 1 and 2 are each rated together with film 0 by different members.
    triples = [(u, 0, 4.0) for u in range(4)] + [(u, 1, 4.0) for u in range(2)]
    triples += [(u, 2, 4.0) for u in range(2, 4)] + [
        (9, 3, 4.0),
        (9, 2, 4.0),
        (8, 3, 4.0),
        (8, 2, 4.0),
    ]
    rec = Recommender.build(np.arange(5), ContentBuilder(), _ratings(triples))
    liked_3 = rec.rank(np.array([3, 0]), preference(np.array([5.0, 1.0])), limit=4)
    assert liked_3.rows[0] == 2  # rated with film 3
    assert liked_3.collaborative[liked_3.rows.tolist().index(1)] < 0  # rated only with film 0


def test_filters_keep_films_with_one_feature_of_every_group() -> None:
    rec = Recommender.build(np.arange(5), _catalogue(), _ratings([(0, 4, 3.0)]))
    drama = rec.feature_id("genre:drama")
    danish = rec.feature_id("country:denmark")
    swedish = rec.feature_id("country:sweden")
    assert drama is not None and danish is not None and swedish is not None
    assert sorted(rec.filtered_rows([[drama], [danish, swedish]], 10).tolist()) == [0, 2, 4]
    assert sorted(rec.filtered_rows([[drama], [danish]], 10).tolist()) == [0, 4]


def test_critics_mean_is_kept_for_reasons() -> None:
    rec = Recommender.build(
        np.arange(5), _catalogue(), _ratings([(0, 1, 4.0), (1, 1, 5.0)], critic=True)
    )
    assert rec.critic_mean[1] == 4.5 and np.isnan(rec.critic_mean[0])
    nothing = np.zeros(0, int), np.zeros(0), np.zeros(1), np.zeros(1)
    assert rec.explain(np.array([1]), *nothing)[0].kind == "critics"


def test_a_collaborative_reason_is_the_rated_film_that_added_most() -> None:
    rng = np.random.default_rng(4)
    triples = list(
        {
            (int(u), int(f)): float(s)
            for u, f, s in zip(
                rng.integers(0, 30, 500),
                rng.integers(0, 40, 500),
                rng.integers(1, 11, 500) / 2,
                strict=True,
            )
        }.items()
    )
    ratings = _ratings([(u, f, s) for (u, f), s in triples])
    rec = Recommender.build(np.arange(40), ContentBuilder(), ratings, BlendWeights(1, 0, 0))
    mine = {f: s for (u, f), s in triples if u == 0}
    seeds = np.array(list(mine))
    prefs = preference(np.array(list(mine.values())))
    ranked = rec.rank(seeds, prefs, limit=10)
    reasons = rec.explain(ranked.rows, seeds, prefs, ranked.collaborative, ranked.content)
    raters = {f: {u for (u, g), _ in triples if g == f} for f in range(40)}
    model = rec.collaborative
    named = 0
    for row, reason in zip(ranked.rows.tolist(), reasons, strict=True):
        if reason.kind != "rated_with":
            continue
        named += 1
        seed = reason.seed_row
        assert seed in mine and len(raters[seed] & raters[row]) >= 2  # checkable facts
        # No other rated film that members rated with this one added more to its score.
        col = int(np.searchsorted(model.rows, row))
        added = {
            s: preference(np.array([mine[s]]))[0]
            * model.weights[int(np.searchsorted(model.rows, s)), col]
            for s in mine
            if s in model.rows and len(raters[s] & raters[row]) >= 2
        }
        assert seed in added and added[seed] > 0 and added[seed] == max(added.values())
    assert named >= 5


def test_posting_lists_built_by_groups_of_features_match_one_sort() -> None:
    rng = np.random.default_rng(2)
    b = ContentBuilder()
    for row in range(300):
        for feat in rng.choice(40, size=int(rng.integers(0, 6)), replace=False):
            b.add(row, "genre", f"g{feat}")
    priority = rng.integers(0, 5, 300).astype(float)
    index = b.build(priority)
    by_rank = np.lexsort((np.arange(300), -priority)).astype(np.int32)
    for chunk in (1, 7, 10_000):
        grouped = postings(index.row_feat, index.row_ptr, index.post_ptr, by_rank, chunk)
        assert np.array_equal(grouped, index.post_row)
    # Each list: the films with that feature, most popular first, ties by row.
    for feat in range(len(index.keys)):
        films = index.posting(feat).tolist()
        expected = [r for r in by_rank.tolist() if feat in index.features(r)[0].tolist()]
        assert films == expected


def test_each_community_counts_its_own_ratings_and_sees_shared_and_its_own_films(
    tmp_path: Path,
) -> None:
    # Films 0-2 are shared, 3 is community 1's own, 4 community 2's. Community 1's three
    # members love film 0; community 2's three love films 1 and 4 and pan film 0.
    triples = [(u, 0, 5.0) for u in range(3)] + [(u, 3, 4.0) for u in range(3)]
    triples += [(u, f, 5.0) for u in range(3, 6) for f in (1, 4)] + [(u, 0, 1.0) for u in (3, 4)]
    base = _ratings(triples)
    owner = np.array([1 if u < 3 else 2 for u, _, _ in triples])
    ratings = Ratings(base.users, base.rows, base.stars, base.critic, owner)
    rec = Recommender.build(
        np.arange(5), _catalogue(), ratings, film_community=np.array([0, 0, 0, 1, 2])
    )
    for r in (rec, _round_trip(rec, tmp_path)):
        one, two = r.community_of(1), r.community_of(2)
        assert one.raters.tolist() == [3, 0, 0, 3, 0] and one.mean[0] == 5.0
        assert two.raters.tolist() == [2, 3, 0, 0, 3] and two.mean[0] == 1.0
        assert one.favourites.tolist() == [0, 3] and sorted(two.favourites.tolist()) == [1, 4]
        assert r.visible(1).tolist() == [True, True, True, True, False]
        assert r.visible(2).tolist() == [True, True, True, False, True]
        # The shared model links film 1 with film 4 (community 2's): community 1 gets film 1.
        for community, local, other in ((1, 3, 4), (2, 4, 3)):
            ranked = r.rank(np.array([1]), np.array([2.5]), limit=5, community=community)
            assert other not in ranked.rows.tolist(), community
            everything = r.rank(
                np.array([1]),
                np.array([2.5]),
                limit=5,
                candidates=np.arange(5),
                community=community,
            )
            assert local in everything.rows.tolist() and other not in everything.rows.tolist()
            picks, _ = r.community_picks(limit=5, community=community, everything=True)
            assert local in picks.rows.tolist() and other not in picks.rows.tolist()
        # Without a community (the evaluation's one-community data), every rating counts.
        assert r.rank(np.array([1]), np.array([2.5]), limit=5).rows.tolist()[:1] == [4]
        # Cached per community: the same arrays, read-only.
        assert r.community_of(1) is r.community_of(1) and not r.visible(1).flags.writeable


def test_one_communitys_data_keeps_the_statistics_it_had() -> None:
    """bench/eval_recommend.py's MovieLens has no communities: its ratings are all counted."""
    triples = [(u, 3, 4.0) for u in range(5)] + [(u, 2, 4.5) for u in range(3)]
    rec = Recommender.build(np.arange(5), _catalogue(), _ratings(triples))
    com = rec.community_of(NO_COMMUNITY)
    assert com.raters.tolist() == [0, 0, 3, 5, 0] and com.favourites.tolist() == [2, 3]
    assert rec.visible(NO_COMMUNITY).all()


def _round_trip(rec: Recommender, tmp_path: Path) -> Recommender:
    path = tmp_path / "index.idx"
    index_file.save(rec, path)
    return index_file.load(path)
