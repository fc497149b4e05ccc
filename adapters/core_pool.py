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

Each worker has a pipe of its own. The adapters' command threads take an idle worker (in the
order they asked: adapters/fair_handoff.py), send it the call and wait for its answer on that
pipe: one message each way and no thread between
(concurrent.futures' process pool adds a feeder and a manager thread, three wake-ups a call,
about 2 ms of latency here). Workers are started with `spawn` (a fresh interpreter: forking a
process that runs event loops and threads is unsafe). A worker that dies (killed, out of
memory) costs the command it held — answered as our failure — and is replaced.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.fair_handoff import FairHandoff
from bot.types import ChannelRef, ErrorNotice, Invocation, Reply

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from bot.core import Marquee

log = logging.getLogger("marquee.pool")

LOST_MESSAGE = "Something went wrong on Marquee's side. Nothing was changed; try again."
START_TIMEOUT = 300.0  # seconds for a worker to load its indexes (a million titles, rebuilt)


class WorkerLost(Exception):
    """The worker process ended before it answered. `delivered`: whether it had the call
    (it may have acted on it) or died before (the call can go to another worker)."""

    def __init__(self, message: str, *, delivered: bool) -> None:
        super().__init__(message)
        self.delivered = delivered


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
    # The pool's folder where the workers take turns rebuilding the recommendation index and
    # share the result (bot/recommend/shared_rebuild.py); the pool sets it when it starts.
    rebuild_folder: Path | None = None


# -- in the worker process ---------------------------------------------------------------


def _worker_main(spec: WorkerSpec, conn: Connection) -> None:
    """A worker: build the core, say so, then answer calls until told to stop (None)."""
    # Ctrl-C reaches the whole process group: the serving process shuts the pool down in
    # order, so a worker leaves that to it rather than dying mid-command.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    logging.basicConfig(level=spec.log_level)
    core = _build_core(spec)
    conn.send(os.getpid())
    while (call := conn.recv()) is not None:
        job, args = call
        try:
            conn.send((True, job(core, *args)))
        except Exception as exc:  # noqa: BLE001 - the caller re-raises it; the worker goes on
            log.exception("a pooled call failed")
            conn.send((False, f"{type(exc).__name__}: {exc}"))


def _build_core(spec: WorkerSpec) -> Marquee:
    from bot.core import Marquee, utc_now
    from storage.db import Database

    now = spec.fixed_now
    core = Marquee(
        Database(spec.database_url, read_only=spec.read_only),
        clock=(lambda: now) if now is not None else utc_now,
        title_index_dir=spec.title_index_dir,
        operators=spec.operators,
        shared_rebuilds=spec.rebuild_folder,
    )
    core.warm_up(prune=False)  # the serving process prunes; workers only read at start
    return core


def _exit_with_parent() -> None:
    """A serving process killed outright (SIGKILL, out of memory) can't stop its workers:
    they would wait for calls forever, each holding its indexes. One thread per worker waits
    for the parent to go, then ends the worker."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        wait([sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _handle(core: Marquee, inv: Invocation) -> Reply:
    return core.handle(inv)


def _complete(
    core: Marquee, text: str, limit: int, where: ChannelRef | None
) -> list[tuple[str, str]]:
    return core.complete_titles(text, limit, where)


# -- in the serving process --------------------------------------------------------------


class _Worker:
    def __init__(self, context: Any, spec: WorkerSpec) -> None:
        self.conn, theirs = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_worker_main, args=(spec, theirs), name="marquee-core", daemon=True
        )
        self.process.start()
        theirs.close()  # ours is the only end left here: its EOF means the worker is gone
        self.pid = 0

    def ready(self) -> int:
        if not self.conn.poll(START_TIMEOUT):
            raise WorkerLost("a core worker did not start in time", delivered=False)
        self.pid = int(self._recv(delivered=False))
        return self.pid

    def call(self, job: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        try:
            self.conn.send((job, args))
        except OSError as exc:
            raise WorkerLost(f"the core worker process ended: {exc}", delivered=False) from exc
        ok, value = self._recv(delivered=True)
        if not ok:
            raise RuntimeError(f"in a core worker: {value}")
        return value

    def _recv(self, *, delivered: bool) -> Any:
        try:
            return self.conn.recv()
        except (EOFError, OSError) as exc:
            raise WorkerLost("the core worker process ended", delivered=delivered) from exc

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class CorePool:
    """The `Core` of adapters/core_calls.py over `processes` worker processes. Thread-safe:
    each call has a worker to itself for its duration."""

    def __init__(self, local: Marquee, spec: WorkerSpec, processes: int) -> None:
        if processes < 2:
            raise ValueError("a pool of core processes needs at least 2")
        self.local = local
        self.spec = spec
        self.processes = processes
        self._context = multiprocessing.get_context("spawn")
        self._idle: FairHandoff[_Worker] = FairHandoff()
        self._start_lock = threading.Lock()
        self._started = False

    def start(self) -> list[int]:
        """Start every worker (each loads its indexes, all at once); their process ids."""
        with self._start_lock:
            if not self._started:
                folder = Path(tempfile.mkdtemp(prefix="marquee-pool-"))
                self.spec = replace(self.spec, rebuild_folder=folder)
                workers = [_Worker(self._context, self.spec) for _ in range(self.processes)]
                for worker in workers:
                    worker.ready()
                    self._idle.put(worker)
                self._started = True
                log.info(
                    "answering commands in %d worker processes: %s",
                    self.processes,
                    [w.pid for w in workers],
                )
        return self.run_in_each(_pid)

    def _call(self, job: Callable[..., Any], *args: Any) -> Any:
        if not self._started:
            self.start()
        for attempt in (1, 2):
            worker = self._idle.get()
            try:
                return worker.call(job, args)
            except WorkerLost as lost:
                worker = self._replace(worker)
                # A call the dead worker never had is safe to give the new one, once.
                if lost.delivered or attempt == 2:
                    raise
            finally:
                self._idle.put(worker)
        raise AssertionError("unreachable")

    def _replace(self, worker: _Worker) -> _Worker:
        log.error("core worker %d ended; starting another", worker.pid)
        worker.stop()
        fresh = _Worker(self._context, self.spec)
        fresh.ready()
        return fresh

    def run_in_each(self, job: Callable[[Marquee], Any]) -> list[Any]:
        """`job(core)` in every worker, one after another (a module-level function: it is
        pickled). Holds the whole pool meanwhile: for start-up and tests."""
        workers = [self._idle.get() for _ in range(self.processes)]
        try:
            results = []
            for i, worker in enumerate(workers):
                try:
                    results.append(worker.call(job, ()))
                except WorkerLost:
                    workers[i] = self._replace(worker)
                    raise
            return results
        finally:
            for worker in workers:
                self._idle.put(worker)

    def handle(self, inv: Invocation) -> Reply:
        from adapters.core_calls import is_bulk

        if is_bulk(inv):
            return self.local.handle(inv)  # an import: long, and serialised by its own lane
        try:
            reply: Reply = self._call(_handle, inv)
        except WorkerLost:
            return Reply(blocks=(ErrorNotice(LOST_MESSAGE),), ephemeral=True, failure="error")
        return reply

    def complete_titles(
        self, text: str, limit: int = 25, where: ChannelRef | None = None
    ) -> list[tuple[str, str]]:
        try:
            offered: list[tuple[str, str]] = self._call(_complete, text, limit, where)
        except WorkerLost:
            return []
        return offered

    def space_joined(self, platform: str, workspace_id: str, name: str) -> None:
        self.local.space_joined(platform, workspace_id, name)

    def space_left(self, platform: str, workspace_id: str) -> None:
        self.local.space_left(platform, workspace_id)

    def spaces_present(
        self, platform: str, present: Mapping[str, str], mine: Callable[[str], bool]
    ) -> tuple[list[str], list[str]]:
        return self.local.spaces_present(platform, present, mine)

    def close(self) -> None:
        """Stop every worker, after the calls they are answering."""
        with self._start_lock:
            if not self._started:
                return
            self._started = False
            for _ in range(self.processes):
                self._idle.get().stop()
            if self.spec.rebuild_folder is not None:
                shutil.rmtree(self.spec.rebuild_folder, ignore_errors=True)


def _pid(_core: Marquee) -> int:
    return os.getpid()
