"""Other writers during a long import: members rate films while 100,000 events are imported.

    .venv/bin/python bench/bench_import_lock.py [--events 100000]

Imports the cached calendar of bench_import.py (bench/.cache/) into a fresh SQLite database
with the demo catalogue, in a thread, while the main thread runs `rate` through the core
again and again. Prints how long the import took, how long it held SQLite's write lock (its
write step), and the rates' latency beside the same commands with no import running; every
rate must succeed (busy_timeout is 5 s).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_import import make_calendar  # noqa: E402
from bench.stats import line  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    events = parser.parse_args().events

    from bot.core import Marquee
    from bot.demo import load_demo
    from bot.importers.job import PLANNED, WRITING, ImportJob
    from bot.importers.showtimes import import_showtimes
    from bot.types import Actor, ChannelRef, Invocation, Role
    from storage.db import Database

    calendar = make_calendar(events)
    folder = tempfile.mkdtemp(prefix="marquee-bench-")
    database = Database(f"sqlite:///{folder}/lock.db")
    database.migrate()
    now = datetime(2026, 11, 24, tzinfo=UTC)
    with database.session() as session:
        load_demo(session, now)
    core = Marquee(database)
    member = Actor("bench", "rater", "Rater", Role.MEMBER)
    channel = ChannelRef("bench", "w", "c")

    def rate(i: int) -> tuple[float, bool]:
        started = time.perf_counter()
        args = {"title": "Persona", "score": 3 + i % 2}
        reply = core.handle(Invocation("rate", args, member, channel))  # type: ignore[arg-type]
        return (time.perf_counter() - started) * 1000, reply.is_error

    baseline = [rate(i)[0] for i in range(200)]
    marks: dict[str, float] = {}
    job = ImportJob(
        database,
        core.resolver,
        Actor("bench", "bench", "bench", Role.ADMIN),
        now,
        stage=lambda name: marks.setdefault(name, time.perf_counter()),
    )
    outcome: dict[str, object] = {}

    def run() -> None:
        outcome["summary"] = import_showtimes(job, calendar)
        marks["done"] = time.perf_counter()

    started = time.perf_counter()
    importer = threading.Thread(target=run)
    importer.start()
    during: list[float] = []
    errors = 0
    i = 0
    while importer.is_alive():
        took, failed = rate(i)
        during.append(took)
        errors += failed
        i += 1
    importer.join()
    summary = outcome["summary"]
    print(f"{events:,} events: {summary.created:,} created in {marks['done'] - started:.1f} s")  # type: ignore[attr-defined]
    print(f"  reading and checking (no write lock): {marks[PLANNED] - started:.1f} s")
    print(f"  write step (holds the write lock):    {marks['done'] - marks[WRITING]:.2f} s")
    print(f"{'':46}{'median':>12}{'p99':>12}{'max':>12}")
    print(line("rate, no import running", baseline))
    print(line(f"rate during the import ({len(during)} calls)", during))
    print(f"rates refused during the import: {errors}")


if __name__ == "__main__":
    main()
