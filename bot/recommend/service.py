"""Builds the recommendation index from a database's films, credits, reviews and ratings
(`bot.recommend.index` keeps it current)."""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from bot.normalize import normalize
from bot.recommend.community import NO_COMMUNITY, Ratings
from bot.recommend.features import ContentBuilder
from bot.recommend.model import Recommender
from storage import recommend_repo


def build_recommender(session: Session) -> Recommender:
    """Read films, genres, credits, reviews and ratings, and build the index."""
    with recommend_repo.bulk_reads(session):
        return _build(session)


def _build(session: Session) -> Recommender:
    builder = ContentBuilder()
    ids: array[int] = array("q")
    # Each film's community (NO_COMMUNITY: shared), so a community is never shown another's.
    owners: array[int] = array("q")
    for batch in recommend_repo.iter_films(session):
        for film_id, year, countries, languages, synopsis, community_id in batch:
            row = len(ids)
            ids.append(film_id)
            owners.append(community_id or NO_COMMUNITY)
            builder.add(row, "decade", str(year // 10 * 10) if year else "")
            for country in countries or ():
                builder.add(row, "country", normalize(country))
            for language in languages or ():
                builder.add(row, "language", normalize(language))
            if synopsis:
                builder.add_text(row, synopsis)
    film_ids = np.frombuffer(ids, dtype=np.int64).copy()
    film_community = np.frombuffer(owners, dtype=np.int64).copy()
    del ids, owners
    builder.n_rows = len(film_ids)

    def rows_of(batch_ids: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        wanted = np.asarray(batch_ids, dtype=np.int64)
        pos = np.minimum(np.searchsorted(film_ids, wanted), max(0, len(film_ids) - 1))
        return pos, (film_ids[pos] == wanted) if len(film_ids) else np.zeros(len(wanted), bool)

    for batch in recommend_repo.iter_genres(session):
        rows, ok = rows_of([r[0] for r in batch])
        for (_, genre), row, known in zip(batch, rows.tolist(), ok.tolist(), strict=True):
            if known:
                builder.add(row, "genre", normalize(genre))
    # Two million credits at a million films: as arrays of person ids, never as strings.
    for batch in recommend_repo.iter_credits(session):
        n = len(batch)
        rows, ok = rows_of(np.fromiter((r[1] for r in batch), dtype=np.int64, count=n))
        people = np.fromiter((r[2] for r in batch), dtype=np.int64, count=n)
        directs = np.fromiter((r[3] == "director" for r in batch), dtype=bool, count=n)
        for kind, mask in (("director", ok & directs), ("cast", ok & ~directs)):
            builder.add_ids(kind, rows[mask], people[mask])
    users: dict[str, int] = {}
    r_users: array[int] = array("q")
    r_rows: array[int] = array("q")
    r_stars: array[float] = array("d")
    r_critic: array[int] = array("b")
    # Each rating's community: the model learns from all of them, a community's statistics
    # count its own alone.
    r_community: array[int] = array("q")

    def add_ratings(batch: Any, critic: bool) -> None:
        film_col, platform_col, user_col, halves_col, community_col = (
            (1, 2, 3, 4, 7) if critic else (3, 1, 2, 4, 5)
        )
        rows, ok = rows_of([r[film_col] for r in batch])
        for r, row, known in zip(batch, rows.tolist(), ok.tolist(), strict=True):
            if not known:
                continue
            key = f"{r[platform_col]}\x00{r[user_col]}"
            r_users.append(users.setdefault(key, len(users)))
            r_rows.append(row)
            r_stars.append(r[halves_col] / 2)
            r_critic.append(1 if critic else 0)
            r_community.append(r[community_col] or NO_COMMUNITY)
            if critic:
                builder.add_text(row, f"{r[5]} {r[6]}")

    for batch in recommend_repo.iter_reviews(session):
        add_ratings(batch, critic=True)
    for batch in recommend_repo.iter_member_ratings(session):
        add_ratings(batch, critic=False)
    ratings = Ratings(
        users=np.frombuffer(r_users, dtype=np.int64),
        rows=np.frombuffer(r_rows, dtype=np.int64),
        stars=np.frombuffer(r_stars, dtype=np.float64),
        critic=np.frombuffer(r_critic, dtype=np.int8).astype(bool),
        community=np.frombuffer(r_community, dtype=np.int64),
    )
    return Recommender.build(film_ids, builder, ratings, film_community=film_community)
