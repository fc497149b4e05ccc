"""Rebuilding a big recommendation index in another process.

A build at a million films is ~50 s of numpy and Python; in a thread of the serving process it
would hold the GIL for most of that, and every command would wait on it meanwhile. So the
serving process starts a fresh interpreter (`spawn`: nothing of the parent's state, threads or
open connections is inherited), which opens the same database by its URL, builds, writes the
index to a file (`bot.recommend.index_file`) and reports what it built through a pipe; the
serving process then maps the file and swaps the index in. Its memory goes back to the system
when it exits, so the serving process never holds a build's peak.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import URL

_SPAWN = multiprocessing.get_context("spawn")


class Gate(Protocol):
    """What the worker waits on before it builds (a multiprocessing Event; tests hold it)."""

    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass(frozen=True)
class Report:
    """What a worker built: the database's signature when it read it, and how."""

    signature: tuple[Any, ...]
    seconds: float
    pid: int


def separate_process_possible(url: URL) -> bool:
    """Whether another process can open this database. An in-memory SQLite database (the
    tests', `sqlite://`) exists only inside the connection that made it: not from here."""
    if url.get_backend_name() != "sqlite":
        return True
    database = url.database or ""
    in_memory = url.query.get("mode") == "memory" or "mode=memory" in database
    return database not in ("", ":memory:") and not in_memory


def new_event() -> Gate:
    """An event the worker can wait on (made in the spawn context it is passed to)."""
    event: Gate = _SPAWN.Event()
    return event


class Worker:
    """One rebuild in a spawned process: `start()`, then `result()` (blocks until it ends)."""

    def __init__(self, url: URL, gate: Gate | None = None) -> None:
        handle, name = tempfile.mkstemp(prefix="marquee-recommend-", suffix=".idx")
        os.close(handle)
        self.path = Path(name)
        self._receive, send = _SPAWN.Pipe(duplex=False)
        self._send: Connection | None = send
        self._process = _SPAWN.Process(
            target=_build_to_file,
            args=(url.render_as_string(hide_password=False), str(self.path), send, gate),
            name="marquee-recommend-build",
            daemon=True,  # ends with the serving process
        )

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def start(self) -> None:
        self._process.start()
        assert self._send is not None
        self._send.close()  # the child's copy is the one that writes; EOF if it dies
        self._send = None

    def result(self) -> Report:
        """Wait for the worker (the wait releases the GIL) and return its report; raises if
        it failed, with what it said."""
        try:
            message = self._receive.recv()
        except EOFError:
            self._process.join()
            message = f"exited with code {self._process.exitcode}"
        finally:
            self._receive.close()
            self._process.join()
        if not isinstance(message, Report):
            self.discard()
            raise RuntimeError(f"rebuilding the recommendation index in a process: {message}")
        return message

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def _build_to_file(url: str, path: str, send: Connection, gate: Gate | None) -> None:
    """The worker process's whole life: build from the database at `url`, save to `path`."""
    # Imported here, in the child: the parent has them already, and this module stays light.
    from bot.recommend import index_file
    from bot.recommend.service import build_recommender
    from storage import recommend_repo
    from storage.db import Database

    try:
        if gate is not None:
            gate.wait()
        db = Database(url)
        started = time.monotonic()
        with db.session() as session:
            signature = recommend_repo.index_signature(session)
            recommender = build_recommender(session)
        db.dispose()
        index_file.save(recommender, Path(path))
        send.send(Report(tuple(signature), time.monotonic() - started, os.getpid()))
    except BaseException as exc:  # reported to the parent, which logs it
        send.send(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        send.close()
