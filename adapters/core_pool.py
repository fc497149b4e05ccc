"""The core in several processes, so one Marquee uses every core of its host.

A command is mostly Python (SQLAlchemy's ORM, matching, building the reply), and one process
runs Python on one core at a time whatever its threads: on a 2-core host a single process
tops out near one command per 7 ms. `CorePool` answers `handle` and `complete_titles` in
`MARQUEE_CORE_PROCESSES` worker processes instead, each a whole `Marquee` on the same
database (its own title index, mapped from the saved copy when there is one, and its own
recommendation index). It is the `Core` the chat adapters are given; everything else — the
alert loop, joining and leaving spaces, imports (long, and one at a time anyway) — stays on
the serving process's own `Marquee`.

The workers agree because the database does: every command is its own transaction, and
each worker's indexes look for other processes' writes as they do with several Marquee
processes on one PostgreSQL (bot/resolve.py, bot/recommend/index.py). The one lag: a title
added through one worker is matched *fuzzily* by the others after at most
`bot.resolve.REFRESH_INTERVAL`; its exact title is found at once (a database lookup).

Workers are started with `spawn` (a fresh interpreter: forking a process that runs event
loops and threads is unsafe). A worker that dies (killed, out of memory) costs the commands
it held — each answered as our failure — and the pool starts afresh for the next ones.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.types import ChannelRef, ErrorNotice, Invocation, Reply

if TYPE_CHECKING:
    from multiprocessing.synchronize import Barrier

    from bot.core import Marquee

log = logging.getLogger("marquee.pool")

# The worker's own core, made by `_start_worker` when the pool starts the process, and the
# barrier its pool's `start` meets at (a process inherits it; it can't travel with a call).
_core: Marquee | None = None
_barrier: Barrier | None = None

LOST_MESSAGE = "Something went wrong on Marquee's side. Nothing was changed; try again."


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker needs to build its core: picklable, since it crosses to a new process."""

    database_url: str
    read_only: bool | None = None
    title_index_dir: Path | None = None
    operators: frozenset[str] = frozenset()
    # A fixed "now" for every command (benchmarks replaying a dated data set); None: the clock.
    fixed_now: datetime | None = None
    log_level: int = logging.WARNING


def _start_worker(spec: WorkerSpec, barrier: Barrier) -> None:
    """The worker's initializer: its core, with the title and person indexes loaded."""
    global _core, _barrier
    _barrier = barrier
    # Ctrl-C reaches the whole process group: the serving process shuts the pool down in
    # order, so a worker leaves that to it rather than dying mid-command.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    from bot.core import Marquee, utc_now
    from storage.db import Database

    logging.basicConfig(level=spec.log_level)
    now = spec.fixed_now
    _core = Marquee(
        Database(spec.database_url, read_only=spec.read_only),
        clock=(lambda: now) if now is not None else utc_now,
        title_index_dir=spec.title_index_dir,
        operators=spec.operators,
    )
    _core.warm_up(prune=False)  # the serving process prunes; workers only read at start


def _exit_with_parent() -> None:
    """A serving process killed outright (SIGKILL, out of memory) can't shut its pool down:
    its workers would wait for calls forever, each holding its indexes. One thread per worker
    waits for the parent to go, then ends the worker."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        wait([sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _pid(_core: Marquee) -> int:
    return os.getpid()


def _worker_core() -> Marquee:
    if _core is None:
        raise RuntimeError("not a core worker process")
    return _core


def _handle(inv: Invocation) -> Reply:
    return _worker_core().handle(inv)


def _complete(text: str, limit: int, where: ChannelRef | None) -> list[tuple[str, str]]:
    return _worker_core().complete_titles(text, limit, where)


def _run_in_each(job: Callable[[Marquee], Any]) -> Any:
    # Each worker blocks here until all have taken one of these calls, so no worker takes two.
    if _barrier is None:
        raise RuntimeError("not a core worker process")
    _barrier.wait()
    return job(_worker_core())


class CorePool:
    """The `Core` of adapters/core_calls.py over `processes` worker processes."""

    def __init__(self, local: Marquee, spec: WorkerSpec, processes: int) -> None:
        if processes < 2:
            raise ValueError("a pool of core processes needs at least 2")
        self.local = local
        self.spec = spec
        self.processes = processes
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.processes,
            mp_context=self._context,
            initializer=_start_worker,
            initargs=(self.spec, self._context.Barrier(self.processes)),
        )

    def _submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        with self._lock:
            try:
                return self._executor.submit(fn, *args)
            except BrokenExecutor:
                # A worker died since the last call: start afresh rather than refuse forever.
                log.error("a core worker process died; starting the pool again")
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._new_executor()
                return self._executor.submit(fn, *args)

    def start(self) -> list[int]:
        """Start every worker now (each loads its indexes) rather than on the first commands;
        their process ids."""
        pids: list[int] = self.run_in_each(_pid)
        log.info("answering commands in %d worker processes: %s", len(pids), pids)
        return pids

    def run_in_each(self, job: Callable[[Marquee], Any]) -> list[Any]:
        """`job(core)` once in every worker (a module-level function: it is pickled)."""
        futures = [self._submit(_run_in_each, job) for _ in range(self.processes)]
        return [f.result() for f in futures]

    def handle(self, inv: Invocation) -> Reply:
        from adapters.core_calls import is_bulk

        if is_bulk(inv):
            return self.local.handle(inv)  # an import: long, and serialised by its own lane
        try:
            result: Reply = self._submit(_handle, inv).result()
        except BrokenExecutor:
            log.exception("command %r: its core worker process died", inv.command)
            return Reply(blocks=(ErrorNotice(LOST_MESSAGE),), ephemeral=True, failure="error")
        return result

    def complete_titles(
        self, text: str, limit: int = 25, where: ChannelRef | None = None
    ) -> list[tuple[str, str]]:
        try:
            result: list[tuple[str, str]] = self._submit(_complete, text, limit, where).result()
        except BrokenExecutor:
            log.exception("autocomplete: its core worker process died")
            return []
        return result

    def space_joined(self, platform: str, workspace_id: str, name: str) -> None:
        self.local.space_joined(platform, workspace_id, name)

    def space_left(self, platform: str, workspace_id: str) -> None:
        self.local.space_left(platform, workspace_id)

    def spaces_present(
        self, platform: str, present: Mapping[str, str], mine: Callable[[str], bool]
    ) -> tuple[list[str], list[str]]:
        return self.local.spaces_present(platform, present, mine)

    def close(self) -> None:
        with self._lock:
            self._executor.shutdown(wait=True, cancel_futures=True)
