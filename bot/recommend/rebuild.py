"""Rebuilding a big recommendation index in another process.

A build at a million films is ~50 s of numpy and Python; in a thread of the serving process it
would hold the GIL for most of that, and every command would wait on it meanwhile. So the
serving process starts a fresh interpreter (`python -m bot.recommend.rebuild`: nothing of the
parent's state, threads or connections is inherited), which opens the same database by its URL,
builds, writes the index to a file (`bot.recommend.index_file`) and reports what it built on its
stdout; the serving process then maps the file and swaps the index in. The build's memory goes
back to the system when the worker exits, so the serving process never holds a build's peak.

A plain subprocess, not `multiprocessing`: the serving process may itself be a daemonic
multiprocessing worker (adapters/core_pool.py), and those may not start children of their own.
The request (URL, password included, and the file's path) goes over the worker's stdin, never
its command line, where any user of the host could read it; then the worker waits for "go", so
the parent can hold a rebuild (`Gate`) or cancel it. A worker whose serving process has gone
finishes its build, removes its file and exits (its report has nowhere to go).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import make_url

import bot

# The folder that holds the `bot` package, for the worker's import path.
_ROOT = str(Path(bot.__file__).resolve().parent.parent)


class Gate(Protocol):
    """What a rebuild waits on before its worker builds: False cancels it (tests hold one)."""

    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass(frozen=True)
class Report:
    """What a worker built: the database's signature when it read it, and how."""

    signature: tuple[Any, ...]
    seconds: float
    pid: int
    started_at: float  # time.time() when it began reading (bot/recommend/shared_rebuild.py)


def separate_process_possible(database_url: str) -> bool:
    """Whether another process can open this database. An in-memory SQLite database (the
    tests', `sqlite://`) exists only inside the connection that made it: not from here."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return True
    database = url.database or ""
    in_memory = url.query.get("mode") == "memory" or "mode=memory" in database
    return database not in ("", ":memory:") and not in_memory


class Worker:
    """One rebuild in a child process: `start()`, then `result()` (blocks until it ends)."""

    def __init__(self, url: str, gate: Gate | None = None) -> None:
        handle, name = tempfile.mkstemp(prefix="marquee-recommend-", suffix=".idx")
        os.close(handle)
        self.path = Path(name)
        self._url = url
        self._gate = gate
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([_ROOT, *sys.path])}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bot.recommend.rebuild"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self._process.stdin is not None
        self._process.stdin.write(pickle.dumps((self._url, str(self.path))))
        self._process.stdin.flush()

    def result(self) -> Report:
        """Let the worker go (when the gate says so), wait for it (the wait releases the GIL)
        and return its report; raises if it failed or was cancelled."""
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        go = self._gate is None or self._gate.wait()
        try:
            process.stdin.write(b"go" if go else b"no")
            process.stdin.close()
        except BrokenPipeError:
            pass  # it died already: its exit code says so below
        out = process.stdout.read()
        process.stdout.close()
        process.wait()
        message: object = pickle.loads(out) if out else f"exited with code {process.returncode}"
        if not isinstance(message, Report):
            self.discard()
            raise RuntimeError(f"rebuilding the recommendation index in a process: {message}")
        return message

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def _main() -> None:
    """The worker process's whole life: read the request, build, save, report."""
    request = sys.stdin.buffer.read()
    url, path = pickle.loads(request[:-2])
    out = sys.stdout.buffer
    if request[-2:] != b"go":
        out.write(pickle.dumps("cancelled"))
        return
    # By their package names: this module runs as __main__, and the parent unpickles a
    # `bot.recommend.rebuild.Report`.
    from bot.recommend import index_file
    from bot.recommend.rebuild import Report as SentReport
    from bot.recommend.service import build_recommender
    from storage import recommend_repo
    from storage.db import Database

    # The lowest CPU priority: a rebuild is a minute of one core's work that nobody waits
    # for, and on a small host (or beside a pool of core workers, each rebuilding its own
    # index) it would otherwise take the cores the commands need.
    os.nice(19)
    try:
        db = Database(url)
        started, started_at = time.monotonic(), time.time()
        with db.session() as session:
            signature = recommend_repo.index_signature(session)
            recommender = build_recommender(session)
        db.dispose()
        index_file.save(recommender, Path(path))
        report = SentReport(tuple(signature), time.monotonic() - started, os.getpid(), started_at)
        try:
            out.write(pickle.dumps(report))
            out.flush()
        except BrokenPipeError:  # the serving process has gone: nobody will map the file
            Path(path).unlink(missing_ok=True)
    except Exception as exc:  # reported to the parent, which logs it
        out.write(pickle.dumps(f"{type(exc).__name__}: {exc}"))
        raise


if __name__ == "__main__":
    _main()
