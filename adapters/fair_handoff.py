"""Idle workers handed to the threads that wait for one, in the order they asked.

`queue.Queue` is not fair to its waiters: a thread that has just put a worker back and asks
again at once usually takes it before a thread that was woken for it runs. With the adapters'
8 command threads sharing 2 core workers (adapters/core_pool.py), the threads that kept
finishing kept winning, and under load a command could wait 5–25 s behind hundreds of later
ones while the workers were never idle (bench_load). Here a returned worker goes straight to
the longest waiter, and nobody can take it in between.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class _Slot(Generic[T]):
    """Where one waiting thread is given its item."""

    def __init__(self) -> None:
        self.given = threading.Event()
        self.item: T | None = None


class FairHandoff(Generic[T]):
    """A pool of items taken first come, first served. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued = threading.Condition(self._lock)
        self._idle: deque[T] = deque()
        self._waiting: deque[_Slot[T]] = deque()

    def put(self, item: T) -> None:
        """Give `item` back: to the thread that has waited longest, or to the idle ones."""
        with self._lock:
            if self._waiting:
                slot = self._waiting.popleft()
                slot.item = item
                slot.given.set()
            else:
                self._idle.append(item)

    def get(self) -> T:
        """An idle item, waiting for one behind every thread that asked before."""
        with self._lock:
            # Nobody waits while an item is idle: `put` hands to waiters first.
            if self._idle:
                return self._idle.popleft()
            slot: _Slot[T] = _Slot()
            self._waiting.append(slot)
            self._queued.notify_all()
        slot.given.wait()
        assert slot.item is not None
        return slot.item

    def wait_for_waiters(self, count: int, timeout: float) -> bool:
        """Block until at least `count` threads wait in `get` (tests order their threads
        with it); False at `timeout`."""
        with self._queued:
            return self._queued.wait_for(lambda: len(self._waiting) >= count, timeout)
