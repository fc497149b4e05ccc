"""Calling the core from an adapter's event loop without blocking it.

The core is synchronous (SQLAlchemy sessions, CPU-bound matching); run on the loop, a long
call would stop Discord's heartbeats and every other member's commands. Each call runs on a
worker thread instead, in one of two lanes shared by every adapter in the process:

- commands: many short calls at once;
- bulk: invocations carrying a file (imports). They may run for a long time, so they get
  their own small pool and can never occupy the workers ordinary commands need; a second
  import waits for the first (they would queue on the database's write lock anyway).
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from bot.types import AttachedFile, Invocation

COMMAND_WORKERS = 8
BULK_WORKERS = 1

P = ParamSpec("P")
T = TypeVar("T")

_lock = threading.Lock()
_pools: dict[str, ThreadPoolExecutor] = {}


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


async def call_core(fn: Callable[P, T], *args: P.args, bulk: bool = False, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)` on a worker thread of the commands (or bulk) lane."""
    loop = asyncio.get_running_loop()
    lane = "bulk" if bulk else "commands"
    return await loop.run_in_executor(_pool(lane), functools.partial(fn, *args, **kwargs))


async def handle_off_loop(handle: Callable[[Invocation], T], inv: Invocation) -> T:
    """An invocation through `handle` (the adapter's guarded call of `core.handle`), in the
    lane its kind belongs to."""
    return await call_core(handle, inv, bulk=is_bulk(inv))
