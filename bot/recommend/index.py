"""The recommendation index of one database, kept in memory and current; `Marquee` owns one
and hands it to handlers through the Context, as it does the title index.

Every request compares a cheap signature of the catalogue and ratings (newest ids, review count
and last edit) with the one the index was built from. A small catalogue is rebuilt on the spot,
so a rating counts at once; a big one (a build that took more than `SYNC_BUILD_SECONDS`) is
rebuilt in a background thread while requests keep using the previous index, at most once per
`REBUILD_SPACING` × its last build time. A member's own ratings and hidden films are always read
live, so their next request reflects what they just did either way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.recommend.model import Recommender
from bot.recommend.service import build_recommender
from storage import recommend_repo

log = logging.getLogger(__name__)

SYNC_BUILD_SECONDS = 1.0
REBUILD_SPACING = 10.0

# Opens a unit of work of the same database (`Database.session`): the background rebuild
# can't borrow a request's session, which closes when the request ends.
SessionFactory = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class _Built:
    signature: tuple[Any, ...]
    recommender: Recommender
    seconds: float
    finished: float  # time.monotonic() when it was built


class RecommendationIndex:
    """The current index, rebuilt when its signature changes (see above). Thread-safe."""

    def __init__(self, open_session: SessionFactory) -> None:
        self._open_session = open_session
        self._lock = threading.Lock()
        self._built: _Built | None = None
        self._building = False

    def current(self, session: Session) -> Recommender:
        """The index as of `session`'s view of the database (or, while a big one is being
        rebuilt in the background, the previous one)."""
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
                with self._open_session() as session:
                    self._build(session, recommend_repo.index_signature(session))
            except Exception:
                log.exception("rebuilding the recommendation index failed")
            finally:
                self._building = False

        threading.Thread(target=run, name="recommend-index", daemon=True).start()
