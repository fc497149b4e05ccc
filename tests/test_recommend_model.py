"""The recommender's parts on small hand-made data: neighbours, content, blend, filters."""

from __future__ import annotations

import numpy as np

from bot.recommend.collaborative import item_neighbours
from bot.recommend.community import Ratings
from bot.recommend.features import ContentBuilder, keywords
from bot.recommend.model import Recommender
from bot.recommend.scores import BlendWeights, preference


def _ratings(triples: list[tuple[int, int, float]], critic: bool = False) -> Ratings:
    users, rows, stars = (np.array(c) for c in zip(*triples, strict=True))
    return Ratings(users, rows, stars.astype(float), np.full(len(users), critic))


def test_films_rated_by_the_same_members_are_neighbours_both_ways() -> None:
    # Users 0-2 rate films 0 and 1; user 3 rates films 2 and 3; film 4 nobody shares.
    users = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4])
    items = np.array([0, 1, 0, 1, 0, 1, 2, 3, 4])
    nb = item_neighbours(users, items, 5, k=3, shrink=0.0, min_support=1)
    assert nb.of(0)[0].tolist() == [1] and nb.of(1)[0].tolist() == [0]
    assert nb.of(2)[0].tolist() == [3]
    # By default one member rating two films is not enough to call them alike.
    assert len(item_neighbours(users, items, 5, shrink=0.0).of(2)[0]) == 0
    assert len(nb.of(4)[0]) == 0
    assert np.isclose(nb.of(0)[1][0], 1.0)  # always together: cosine 1


def test_neighbour_lists_keep_only_the_top_k_best_first() -> None:
    # Film 0 is rated with film 1 by three users, with film 2 by two, with film 3 by one.
    pairs = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1), (3, 0), (3, 2), (4, 0), (4, 2)]
    pairs += [(5, 0), (5, 3)]
    users, items = (np.array(c) for c in zip(*pairs, strict=True))
    nb = item_neighbours(users, items, 4, k=2, shrink=1.0)
    assert nb.of(0)[0].tolist() == [1, 2]
    assert list(nb.of(0)[1]) == sorted(nb.of(0)[1], reverse=True)


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


def test_a_disliked_film_pushes_its_neighbours_down() -> None:
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
    assert liked_3.rows[0] == 2  # film 3's neighbour
    assert liked_3.collaborative[liked_3.rows.tolist().index(1)] < 0  # film 0's only neighbour


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
