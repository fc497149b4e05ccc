"""Idle core workers go to the command threads in the order they asked (adapters/fair_handoff.py):
with `queue.Queue`, a thread that had just given a worker back took it again ahead of the
threads already waiting, and under load a command waited seconds behind later ones."""

from __future__ import annotations

import threading

from adapters.fair_handoff import FairHandoff

DEADLINE = 10.0  # seconds; only a failure waits this long


def _taker(pool: FairHandoff[str], name: str, got: list[tuple[str, str]]) -> threading.Thread:
    thread = threading.Thread(target=lambda: got.append((name, pool.get())), daemon=True)
    thread.start()
    return thread


def test_waiting_threads_are_served_in_the_order_they_asked() -> None:
    pool: FairHandoff[str] = FairHandoff()
    pool.put("worker")
    held = pool.get()
    got: list[tuple[str, str]] = []
    threads = []
    for count, name in enumerate("abc", start=1):
        threads.append(_taker(pool, name, got))
        assert pool.wait_for_waiters(count, DEADLINE)
    for thread in threads:
        pool.put(held)
        thread.join(DEADLINE)
        held = got[-1][1]
    assert [name for name, _ in got] == ["a", "b", "c"]


def test_a_returned_worker_goes_to_the_waiter_not_to_whoever_asks_next() -> None:
    pool: FairHandoff[str] = FairHandoff()
    pool.put("worker")
    held = pool.get()
    got: list[tuple[str, str]] = []
    first = _taker(pool, "waiting", got)
    assert pool.wait_for_waiters(1, DEADLINE)
    pool.put(held)  # handed to the waiting thread here, before it even runs
    late = _taker(pool, "late", got)
    first.join(DEADLINE)
    assert got == [("waiting", "worker")]
    assert pool.wait_for_waiters(1, DEADLINE)  # the late one queues behind
    pool.put("worker")
    late.join(DEADLINE)
    assert got[-1] == ("late", "worker")


def test_an_idle_worker_is_taken_at_once() -> None:
    pool: FairHandoff[int] = FairHandoff()
    for worker in (1, 2):
        pool.put(worker)
    assert [pool.get(), pool.get()] == [1, 2]
