"""The recommendation index of one database, kept in memory and current; `Marquee` owns one
and hands it to handlers through the Context, as it does the title index.

Every request compares a cheap signature of the catalogue and ratings (newest ids, review count
and last edit) with the one the index was built from. A small catalogue is rebuilt on the spot,
so a rating counts at once; a big one (a build that took more than `SYNC_BUILD_SECONDS`) is
rebuilt in a separate process (`bot.recommend.rebuild`) while requests keep using the previous
index at full speed, at most once per `REBUILD_SPACING` × its last build time. A member's own
ratings and hidden films are always read live, so their next request reflects what they just
did either way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.recommend import index_file
from bot.recommend.model import Recommender
from bot.recommend.rebuild import Gate, Report, Worker, separate_process_possible
from bot.recommend.service import build_recommender
from bot.recommend.shared_rebuild import SharedRebuilds
from storage import recommend_repo

log = logging.getLogger(__name__)

SYNC_BUILD_SECONDS = 1.0
REBUILD_SPACING = 10.0

# Opens a unit of work of the same database (`Database.session`): the fallback thread rebuild
# can't borrow a request's session, which closes when the request ends.
SessionFactory = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class _Built:
    signature: tuple[Any, ...]
    recommender: Recommender
    seconds: float
    pid: int | None  # the process that built it, when not this one
    started_at: float  # time.time() when its build began reading


class RecommendationIndex:
    """The current index, rebuilt when its signature changes (see above). Thread-safe.

    `sync_build_seconds` and `rebuild_spacing` are the module's constants unless a test says
    otherwise; `gate`, when given, holds each background rebuild until it is set. `shared`,
    a folder of the processes that share this database on this host (the core pool's): their
    background rebuilds take turns there and each takes the last one's index when it is newer
    than its own (bot/recommend/shared_rebuild.py).
    """

    def __init__(
        self,
        open_session: SessionFactory,
        *,
        sync_build_seconds: float = SYNC_BUILD_SECONDS,
        rebuild_spacing: float = REBUILD_SPACING,
        gate: Gate | None = None,
        shared: Path | None = None,
    ) -> None:
        self._open_session = open_session
        self._shared = SharedRebuilds(shared) if shared is not None else None
        self._sync_seconds = sync_build_seconds
        self._spacing = rebuild_spacing
        self._gate = gate
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._built: _Built | None = None
        self._building = False
        self._next_rebuild = 0.0  # time.monotonic() before which no rebuild starts

    def current(self, session: Session) -> Recommender:
        """The index as of `session`'s view of the database (or, while a big one is being
        rebuilt in the background, the previous one)."""
        built = self._built
        if built is not None and built.seconds > self._sync_seconds and self._resting():
            # A big index is rebuilt in the background at most every `REBUILD_SPACING` × its
            # build time, so until then (or while one is being built) the signature, five
            # aggregates read for every request, could change nothing.
            return built.recommender
        signature = recommend_repo.index_signature(session)
        if built is not None and built.signature == signature:
            return built.recommender
        if built is not None and built.seconds > self._sync_seconds:
            self._rebuild_in_background(session)
            return built.recommender
        with self._lock:
            built = self._built
            if built is None or built.signature != signature:
                started, started_at = time.monotonic(), time.time()
                recommender = build_recommender(session)
                seconds = time.monotonic() - started
                built = _Built(signature, recommender, seconds, None, started_at)
                self._swap(built)
            return built.recommender

    def _resting(self) -> bool:
        """Whether no background rebuild could start now: one is running, or the last one
        finished less than its spacing ago."""
        return self._building or time.monotonic() < self._next_rebuild

    @property
    def building(self) -> bool:
        return self._building

    @property
    def built_by(self) -> int | None:
        """The process id that built the current index, when another process did."""
        return self._built.pid if self._built else None

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no background rebuild is running; False if one still is at `timeout`."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._building, timeout)

    def _swap(self, built: _Built) -> None:
        """Callers hold the lock."""
        self._built = built
        self._next_rebuild = time.monotonic() + self._spacing * built.seconds
        log.info("recommendation index: %d films in %.1f s", built.recommender.size, built.seconds)

    def _rebuild_in_background(self, session: Session) -> None:
        with self._lock:
            if self._building or time.monotonic() < self._next_rebuild:
                return
            self._building = True
        url = session.get_bind().engine.url.render_as_string(hide_password=False)
        try:
            if separate_process_possible(url):
                target: Callable[[], None] = lambda: self._rebuild_elsewhere(url)  # noqa: E731
            else:
                # An in-memory SQLite database (the tests') exists only in this process's
                # connection: no other process can open it, so a thread builds instead, holding
                # the GIL while it does. Such databases are small.
                target = self._build_in_thread
            threading.Thread(target=target, name="recommend-index", daemon=True).start()
        except Exception:
            log.exception("could not start rebuilding the recommendation index")
            self._done(None)

    def _rebuild_elsewhere(self, url: str) -> None:
        """Build in another process (or take the shared folder's newer index), then map the
        file. Runs on its own thread, which waits in the OS, not holding the GIL."""
        built = None
        try:
            if self._shared is None:
                report, path = self._build_in_process(url)
            else:
                ours = self._built.started_at if self._built else 0.0
                report, path = self._shared.rebuild(ours, lambda: self._build_in_process(url))
            recommender = index_file.load(path)
            if self._shared is None:
                # Mapped, the file's pages stay until the index is dropped; its name can go now
                # (on Windows a mapped file can't be deleted: it then stays in the temp folder).
                _remove(path)
            built = _Built(
                report.signature, recommender, report.seconds, report.pid, report.started_at
            )
        except Exception:
            log.exception("rebuilding the recommendation index failed")
        self._done(built)

    def _build_in_process(self, url: str) -> tuple[Report, Path]:
        worker = Worker(url, self._gate)
        worker.start()
        try:
            return worker.result(), worker.path
        except Exception:
            _remove(worker.path)
            raise

    def _build_in_thread(self) -> None:
        built = None
        try:
            with self._open_session() as session:
                signature = recommend_repo.index_signature(session)
                started, started_at = time.monotonic(), time.time()
                recommender = build_recommender(session)
                seconds = time.monotonic() - started
                built = _Built(signature, recommender, seconds, None, started_at)
        except Exception:
            log.exception("rebuilding the recommendation index failed")
        self._done(built)

    def _done(self, built: _Built | None) -> None:
        with self._changed:
            if built is not None:
                self._swap(built)
            else:  # failed: try again after the usual spacing, not on the next request
                self._next_rebuild = time.monotonic() + self._spacing * (
                    self._built.seconds if self._built else 0.0
                )
            self._building = False
            self._changed.notify_all()


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.warning("could not remove %s", path)
