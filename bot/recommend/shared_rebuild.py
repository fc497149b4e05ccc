"""One recommendation rebuild at a time for several processes on one host, all taking its result.

The core pool's workers (adapters/core_pool.py) each keep a recommendation index of the same
database, and each used to rebuild its own: at 100,000 films two builds of ~4 s CPU each, and
their database reads, at the same moment, which took the cores the commands needed. Given a
folder of their own, they rebuild one at a time under a lock on a file there, and the one that
builds publishes its index file; a process that waited for the lock then maps that file
instead of building again, when it is newer than the index it has. Newer, not exactly current:
a big index already lags writes by up to its rebuild spacing (bot/recommend/index.py), and a
member's own ratings are always read live.

The folder's owner (the pool) removes it, and every file in it, when it stops. POSIX only
(`fcntl`), as the pool is.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.recommend.rebuild import Report

_LOCK = "rebuild.lock"
_LATEST = "latest.pickle"  # (Report, the index file's name in the folder)

# Builds an index file (anywhere) and says what it built.
Build = Callable[[], tuple[Report, Path]]


class SharedRebuilds:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def rebuild(self, newer_than: float, build: Build) -> tuple[Report, Path]:
        """The published index if one started building after `newer_than` (a `time.time()`),
        else `build()`'s, published for the others. Blocks while another process builds."""
        with self._locked():
            published = self._published()
            if published is not None and published[0].started_at > newer_than:
                return published
            report, built = build()
            return report, self._publish(report, built)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.folder / _LOCK).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # waits in the OS, without the GIL
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _published(self) -> tuple[Report, Path] | None:
        try:
            report, name = pickle.loads((self.folder / _LATEST).read_bytes())
        except FileNotFoundError:
            return None
        path = self.folder / name
        return (report, path) if isinstance(report, Report) and path.exists() else None

    def _publish(self, report: Report, built: Path) -> Path:
        """Move the file into the folder and name it the latest; the one it replaces goes
        (processes that mapped it keep their pages)."""
        previous = self._published()
        path = self.folder / f"index-{report.pid}-{report.started_at:.6f}.idx"
        shutil.move(built, path)  # a rename when both are on one file system
        pending = self.folder / (_LATEST + ".new")
        pending.write_bytes(pickle.dumps((report, path.name)))
        os.replace(pending, self.folder / _LATEST)
        if previous is not None and previous[1] != path:
            previous[1].unlink(missing_ok=True)
        return path
