"""The recommendation index of a database: built from its films and ratings, kept in memory.

Like the title index, each process holds its own copy and keeps it current: every request
compares a cheap signature of the catalogue and ratings (newest ids, review count and last edit)
with the one the index was built from. A small catalogue is rebuilt on the spot, so a rating
counts at once; a big one (a build that took more than `SYNC_BUILD_SECONDS`) is rebuilt in a
background thread while requests keep using the previous index, at most once per
`REBUILD_SPACING` × its last build time. A member's own ratings and hidden films are always read
live, so their next request reflects what they just did either way.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from array import array
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.normalize import normalize
from bot.recommend.features import ContentBuilder
from bot.recommend.model import Ratings, Recommender
from storage import recommend_repo

log = logging.getLogger(__name__)

SYNC_BUILD_SECONDS = 1.0
REBUILD_SPACING = 10.0


def build_recommender(session: Session) -> Recommender:
    """Read films, genres, credits, reviews and ratings, and build the index."""
    builder = ContentBuilder()
    ids: array[int] = array("q")
    for batch in recommend_repo.iter_films(session):
        for film_id, year, countries, languages, synopsis in batch:
            row = len(ids)
            ids.append(film_id)
            builder.add(row, "decade", str(year // 10 * 10) if year else "")
            for country in countries or ():
                builder.add(row, "country", normalize(country))
            for language in languages or ():
                builder.add(row, "language", normalize(language))
            if synopsis:
                builder.add_text(row, synopsis)
    film_ids = np.frombuffer(ids, dtype=np.int64).copy()
    builder.n_rows = len(film_ids)

    def rows_of(batch_ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        wanted = np.asarray(batch_ids, dtype=np.int64)
        pos = np.minimum(np.searchsorted(film_ids, wanted), max(0, len(film_ids) - 1))
        return pos, (film_ids[pos] == wanted) if len(film_ids) else np.zeros(len(wanted), bool)

    for batch in recommend_repo.iter_genres(session):
        rows, ok = rows_of([r[0] for r in batch])
        for (_, genre), row, known in zip(batch, rows.tolist(), ok.tolist(), strict=True):
            if known:
                builder.add(row, "genre", normalize(genre))
    for batch in recommend_repo.iter_credits(session):
        rows, ok = rows_of([r[1] for r in batch])
        for (_, _, person_id, role), row, known in zip(
            batch, rows.tolist(), ok.tolist(), strict=True
        ):
            if known:
                builder.add(row, "director" if role == "director" else "cast", str(person_id))
    users: dict[str, int] = {}
    r_users: array[int] = array("q")
    r_rows: array[int] = array("q")
    r_stars: array[float] = array("d")
    r_critic: array[int] = array("b")

    def add_ratings(batch: Any, critic: bool) -> None:
        film_col, platform_col, user_col, halves_col = (1, 2, 3, 4) if critic else (3, 1, 2, 4)
        rows, ok = rows_of([r[film_col] for r in batch])
        for r, row, known in zip(batch, rows.tolist(), ok.tolist(), strict=True):
            if not known:
                continue
            key = f"{r[platform_col]}\x00{r[user_col]}"
            r_users.append(users.setdefault(key, len(users)))
            r_rows.append(row)
            r_stars.append(r[halves_col] / 2)
            r_critic.append(1 if critic else 0)
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
    )
    return Recommender.build(film_ids, builder, ratings)


@dataclass(frozen=True)
class _Built:
    signature: tuple[Any, ...]
    recommender: Recommender
    seconds: float
    finished: float  # time.monotonic() when it was built


class RecommenderCache:
    """The current index of one database, rebuilt when its signature changes (see above)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._built: _Built | None = None
        self._building = False

    def get(self, session: Session) -> Recommender:
        signature = recommend_repo.index_signature(session)
        built = self._built
        if built is not None and built.signature == signature:
            return built.recommender
        if built is not None and built.seconds > SYNC_BUILD_SECONDS:
            self._rebuild_in_background(built)
            return built.recommender
        with self._lock:
            built = self._built
            if built is None or built.signature != signature:
                built = self._build(session, signature)
            return built.recommender

    def _build(self, session: Session, signature: tuple[Any, ...]) -> _Built:
        started = time.monotonic()
        recommender = build_recommender(session)
        finished = time.monotonic()
        built = _Built(signature, recommender, finished - started, finished)
        self._built = built
        log.info("recommendation index: %d films in %.1f s", recommender.size, built.seconds)
        return built

    def _rebuild_in_background(self, built: _Built) -> None:
        if time.monotonic() - built.finished < REBUILD_SPACING * built.seconds:
            return
        with self._lock:
            if self._building:
                return
            self._building = True

        def run() -> None:
            try:
                with Session(self._engine) as session:
                    self._build(session, recommend_repo.index_signature(session))
            except Exception:
                log.exception("rebuilding the recommendation index failed")
            finally:
                self._building = False

        threading.Thread(target=run, name="recommend-index", daemon=True).start()


_CACHES: weakref.WeakKeyDictionary[Engine, RecommenderCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def recommender_for(session: Session) -> Recommender:
    """The current recommendation index of the database `session` talks to."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    with _CACHES_LOCK:
        cache = _CACHES.get(engine)
        if cache is None:
            cache = _CACHES[engine] = RecommenderCache(engine)
    return cache.get(session)
