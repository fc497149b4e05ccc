"""Calling the core from an adapter's event loop without blocking it.

The core is synchronous (SQLAlchemy sessions, CPU-bound matching); run on the loop, a long
call would stop Discord's heartbeats and every other member's commands. Each call runs on a
worker thread instead, in one of two lanes shared by every adapter in the process:

- commands: many short calls at once;
- bulk: invocations carrying a file (imports). They may run for a long time, so they get
  their own small pool and can never occupy the workers ordinary commands need; a second
  import waits for the first (they would queue on the database's write lock anyway).

Being the one door both chat adapters use, it is also where each command is measured: one
log line (name, space, outcome, duration; never its arguments, which may hold a review's
text) and an event for the observers the composition root installs (the metrics endpoint).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ParamSpec, Protocol, TypeVar

from bot.types import AttachedFile, ChannelRef, Invocation, Reply

COMMAND_WORKERS = 8
BULK_WORKERS = 1

P = ParamSpec("P")
T = TypeVar("T")

_lock = threading.Lock()
_pools: dict[str, ThreadPoolExecutor] = {}

log = logging.getLogger("marquee.commands")

OUTCOMES = ("ok", "refused", "error", "busy")


@dataclass(frozen=True)
class CommandEvent:
    """One answered command, as logs and metrics see it: no arguments, no reply text."""

    command: str
    platform: str
    workspace_id: str
    outcome: str  # one of OUTCOMES
    seconds: float  # from the adapter's call to the reply, waiting for a worker included
    import_kind: str | None = None
    import_rows: Mapping[str, int] = field(default_factory=dict)


class Core(Protocol):
    """What every adapter (Discord, Slack, the console) needs of the core (`bot.core.Marquee`)."""

    def handle(self, inv: Invocation) -> Reply: ...

    def complete_titles(
        self, text: str, limit: int = 25, where: ChannelRef | None = None
    ) -> list[tuple[str, str]]: ...

    def space_joined(self, platform: str, workspace_id: str, name: str) -> None:
        """The bot was added to a server or installed in a workspace."""

    def space_left(self, platform: str, workspace_id: str) -> None:
        """The bot was removed from a server or uninstalled from a workspace."""

    def spaces_present(
        self, platform: str, present: Mapping[str, str], mine: Callable[[str], bool]
    ) -> tuple[list[str], list[str]]:
        """The spaces the platform says the bot is in now (after a time offline)."""


class CommandObserver(Protocol):
    def command_done(self, event: CommandEvent) -> None: ...


# Installed by the composition root for the life of `marquee run` (see `observing`); empty
# otherwise, so importing an adapter or running a test measures nothing.
_observers: list[CommandObserver] = []


@contextmanager
def observing(observer: CommandObserver) -> Iterator[CommandObserver]:
    """Tell `observer` of every command answered through this module while the block runs."""
    with _lock:
        _observers.append(observer)
    try:
        yield observer
    finally:
        with _lock:
            _observers.remove(observer)


def outcome_of(reply: Reply) -> str:
    """ok, refused (the asker must change something), error or busy (our side failed: the
    core marks those in `Reply.failure`)."""
    if reply.failure is not None:
        return reply.failure
    return "refused" if reply.is_error else "ok"


def _pool(lane: str) -> ThreadPoolExecutor:
    # Created on first use, not at import: importing an adapter starts no threads.
    with _lock:
        pool = _pools.get(lane)
        if pool is None:
            workers = BULK_WORKERS if lane == "bulk" else COMMAND_WORKERS
            pool = _pools[lane] = ThreadPoolExecutor(workers, thread_name_prefix=f"core-{lane}")
        return pool


def is_bulk(inv: Invocation) -> bool:
    """Whether the invocation carries a file to import (the long-running kind)."""
    return any(isinstance(value, AttachedFile) for value in inv.args.values())


async def call_core(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)` on a worker thread of the commands lane."""
    return await _call_in(_pool("commands"), functools.partial(fn, *args, **kwargs))


async def _call_in(pool: ThreadPoolExecutor, call: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(pool, call)


async def handle_off_loop(handle: Callable[[Invocation], Reply], inv: Invocation) -> Reply:
    """An invocation through `handle` (the adapter's guarded call of `core.handle`), in the
    lane its kind belongs to; logged and reported to the observers."""
    start = time.perf_counter()
    reply: Reply | None = None
    try:
        lane = _pool("bulk" if is_bulk(inv) else "commands")
        reply = await _call_in(lane, functools.partial(handle, inv))
        return reply
    finally:
        # A cancelled or raising call is reported as an error: it answered nobody.
        _report(inv, reply, time.perf_counter() - start)


def _report(inv: Invocation, reply: Reply | None, seconds: float) -> None:
    outcome = outcome_of(reply) if reply is not None else "error"
    imported = reply.imported if reply is not None else None
    event = CommandEvent(
        command=inv.command,
        platform=inv.channel.platform,
        workspace_id=inv.channel.workspace_id,
        outcome=outcome,
        seconds=seconds,
        import_kind=imported.kind if imported else None,
        import_rows=dict(imported.rows) if imported else {},
    )
    log.info(
        "%s in %s:%s: %s in %.1f ms",
        event.command,
        event.platform,
        event.workspace_id,
        event.outcome,
        event.seconds * 1000,
        extra={
            "event": "command",
            "command": event.command,
            "platform": event.platform,
            "workspace": event.workspace_id,
            "outcome": event.outcome,
            "duration_ms": round(event.seconds * 1000, 2),
        },
    )
    with _lock:
        observers = list(_observers)
    for observer in observers:
        try:
            observer.command_done(event)
        except Exception:  # noqa: BLE001 - a broken observer must not break the command
            log.exception("a command observer failed")
