"""Sustained load: a realistic mix of commands at a target rate through `Marquee.handle`.

    .venv/bin/python bench/bench_load.py [--rate 200] [--seconds 60] [--films 1000000]
    .venv/bin/python bench/bench_load.py --postgres [--pg-films 100000]   (also on PostgreSQL)
    .venv/bin/python bench/bench_load.py --core-processes 2 [--postgres]   (and through a pool)
    .venv/bin/python bench/bench_load.py --postgres --no-sqlite --processes 2

The data is bench/bench_recommend.py's (the synthetic catalogue with genres, people, cinemas,
screenings and member ratings), on a scratch copy so the writes leave the cache alone. On
PostgreSQL it is a smaller copy (`--pg-films`, 100,000 by default) loaded table by table into a
throwaway server (tests/pg.py), since loading a million films there takes longer than the run.

The mix: reviews, film cards, showtimes with `when=`, title autocomplete
(`Marquee.complete_titles`), `recommend`, `recommend like`, search, and a few writes (`review
add` by a moderator, `rate` by members). Commands run on 8 worker threads, as the adapters'
commands lane does (adapters/core_calls.py).

The schedule is open-loop: command i is issued at start + i/rate whether or not the earlier
ones have finished, and its latency runs from that scheduled time, so time spent queueing for a
worker counts. Errors: an exception, or a reply the core marks as our failure (`error` or
`busy`, adapters.core_calls.outcome_of); refusals (the asker must change something, such as an
ambiguous title) are expected and counted apart.

Per backend it prints (each row with the machine's 1-minute load average, as the machine may
be shared): a baseline (the same mix, one command at a time, no concurrency), the target run,
then the largest rate it sustains: the rate doubles from `--rate` over shorter windows
(`--step-seconds`) until p99 exceeds 100 ms or an error appears; if `--rate` itself fails, it
halves instead until a rate holds (at most `--max-steps` steps either way).
The issue's target: p99 <= 100 ms and no errors at 200 commands/s.

`--core-processes N` (either backend): after the one-process figures, the same schedules
through `CorePool` (adapters/core_pool.py, what MARQUEE_CORE_PROCESSES=N starts in `marquee
run`): the 8 command threads hand each command to one of N worker processes, each a whole
Marquee with its own indexes, on the one database. This is the product's way to use a host's
cores; the one-process run before it is the baseline.

`--processes N` (PostgreSQL only): after the one-process figures, the same schedules split
between N worker processes, each a whole Marquee with its own indexes and 8 command threads,
on the one database: how Marquee scales past one process (one interpreter runs Python on one
core at a time, whatever its threads). Command i goes to process i mod N, due at the same
moment it would be in one process.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, delete, insert, select, text  # noqa: E402

from adapters.core_calls import COMMAND_WORKERS, outcome_of  # noqa: E402
from bench.bench_recommend import BENCH_NOW, CITIES, USERS, build_recommend_db  # noqa: E402
from bench.stats import p99, peak_mb  # noqa: E402
from bot.core import Marquee  # noqa: E402
from bot.types import Actor, ChannelRef, Invocation, Role  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Base  # noqa: E402

TARGET_P99_MS = 100.0
# After the last command is issued, how long the run waits for the backlog before it gives up
# on what is left (counted as errors): keeps an overloaded step bounded in time.
DRAIN_S = 30.0
BASELINE_COMMANDS = 400
CHANNEL = ChannelRef("bench", "w", "c")
MODERATOR = Actor("bench", "mod", "Bench Moderator", Role.MODERATOR)
WHENS = ["today", "tomorrow", "this week"]
GENRES = ["drama", "comedy", "thriller", "horror", "documentary", "science-fiction"]
# Commands per 100 issued: reads dominate, as in a chat; writes are a few percent.
MIX = {
    "review": 14,
    "film": 14,
    "showtimes": 14,
    "complete": 20,
    "recommend": 8,
    "recommend like": 8,
    "search": 14,
    "review add": 2,
    "rate": 6,
}


@dataclass(frozen=True)
class Op:
    kind: str
    run: Callable[[Marquee], str]  # returns the outcome: ok, refused, error or busy


def _command(kind: str, args: dict[str, object], actor: Actor) -> Op:
    inv = Invocation(kind, args, actor, CHANNEL)  # type: ignore[arg-type]
    return Op(kind, lambda core: outcome_of(core.handle(inv)))


def _complete(prefix: str) -> Op:
    def run(core: Marquee) -> str:
        core.complete_titles(prefix)
        return "ok"

    return Op("complete", run)


def make_ops(url: str, count: int, seed: int) -> list[Op]:
    """`count` commands in the mix's proportions, on films, members and cities of the data."""
    rng = random.Random(seed)
    engine = create_engine(url)
    with engine.connect() as conn:
        top = conn.execute(text("SELECT max(id) FROM film")).scalar_one()
        ids = rng.sample(range(1, top + 1), min(top, 2000))
        films = conn.execute(
            text(f"SELECT id, title FROM film WHERE id IN ({','.join(map(str, ids))})")
        ).all()
        shown = conn.execute(text("SELECT DISTINCT film_id FROM showtime LIMIT 500")).scalars()
        shown_ids = list(shown)
    engine.dispose()
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=count)
    ops: list[Op] = []
    for i, kind in enumerate(kinds):
        film_id, title = films[rng.randrange(len(films))]
        # Most people type a title (fuzzy lookup, sometimes a choice); some pick an
        # autocomplete suggestion, which arrives as "#id".
        typed = title if rng.random() < 0.7 else f"#{film_id}"
        member = Actor("bench", f"m{rng.randrange(USERS)}", "Bench Member", Role.MEMBER)
        if kind == "review":
            ops.append(_command(kind, {"title": typed}, member))
        elif kind == "film":
            ops.append(_command(kind, {"title": typed}, member))
        elif kind == "showtimes":
            query = rng.choice(CITIES) if rng.random() < 0.6 else f"#{rng.choice(shown_ids)}"
            ops.append(_command(kind, {"query": query, "when": rng.choice(WHENS)}, member))
        elif kind == "complete":
            ops.append(_complete(title[: rng.randint(2, max(2, min(12, len(title))))]))
        elif kind == "recommend":
            args: dict[str, object] = {"genre": rng.choice(GENRES)} if rng.random() < 0.5 else {}
            ops.append(_command(kind, args, member))
        elif kind == "recommend like":
            ops.append(_command(kind, {"title": f"#{film_id}"}, member))
        elif kind == "search":
            words = title.split()
            ops.append(_command(kind, {"text": rng.choice(words) if words else title}, member))
        elif kind == "review add":
            review = {
                "film": f"#{film_id}",
                "rating": str(rng.randint(1, 10) / 2),
                "headline": f"Load test review {i}",
                "body": "Written by the load benchmark: a short review of a synthetic film.",
            }
            ops.append(_command(kind, review, MODERATOR))
        else:
            ops.append(_command("rate", {"title": f"#{film_id}", "score": "4"}, member))
    return ops


@dataclass
class Run:
    rate: float  # the schedule's rate; 0 for the one-at-a-time baseline
    latencies_ms: list[float]
    outcomes: Counter[str]
    by_kind: dict[str, list[float]]
    seconds: float  # from the first scheduled start to the last reply
    unfinished: int
    # (seconds into the run it was due, latency ms) of each command over the target p99
    slow: list[tuple[float, float]] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return (
            self.outcomes["error"]
            + self.outcomes["busy"]
            + self.outcomes["exception"]
            + self.unfinished
        )

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds > 0 else 0.0

    def passes(self) -> bool:
        return self.errors == 0 and bool(self.latencies_ms) and p99(self.latencies_ms) <= 100


def _attempt(core: Marquee, op: Op) -> str:
    try:
        return op.run(core)
    except Exception:  # noqa: BLE001 - an exception is a counted error, not the end of the run
        logging.getLogger("bench.load").exception("%s raised", op.kind)
        return "exception"


def run_serial(core: Marquee, ops: list[Op]) -> Run:
    """The baseline: each command after the previous one's reply, on this one thread."""
    latencies, outcomes, by_kind = [], Counter[str](), {}
    started = time.perf_counter()
    for op in ops:
        t = time.perf_counter()
        outcomes[_attempt(core, op)] += 1
        ms = (time.perf_counter() - t) * 1000
        latencies.append(ms)
        by_kind.setdefault(op.kind, []).append(ms)
    return Run(0, latencies, outcomes, by_kind, time.perf_counter() - started, 0)


def run_open_loop(
    core: Marquee,
    ops: list[Op],
    rate: float,
    seconds: float,
    *,
    start: float | None = None,
    share: tuple[int, int] = (0, 1),
) -> Run:
    """Issue command i at start + i/rate on a pool of the adapters' size; latency from then.

    `share` (k, n): only the commands i with i % n == k, the part of one of n processes that
    run the same schedule from the same `start`. The clock is `time.monotonic`, one clock for
    every process of the machine, so their latencies are measured alike."""
    n = max(1, int(rate * seconds))
    first, stride = share
    lock = threading.Lock()
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    by_kind: dict[str, list[float]] = {}
    last_done = [0.0]
    slow: list[tuple[float, float]] = []

    def task(op: Op, due: float) -> None:
        outcome = _attempt(core, op)
        done = time.monotonic()
        ms = (done - due) * 1000
        with lock:
            latencies.append(ms)
            outcomes[outcome] += 1
            by_kind.setdefault(op.kind, []).append(ms)
            last_done[0] = max(last_done[0], done)
            if ms > TARGET_P99_MS:
                slow.append((due - start_at, ms))

    pool = ThreadPoolExecutor(COMMAND_WORKERS, thread_name_prefix="load")
    if start is None:
        start = time.monotonic() + 0.05
    start_at = start
    futures = []
    for i in range(first, n, stride):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        futures.append(pool.submit(task, ops[i % len(ops)], due))
    _, pending = wait(futures, timeout=max(0.0, start + n / rate - time.monotonic()) + DRAIN_S)
    unfinished = sum(1 for f in pending if f.cancel())
    pool.shutdown(wait=True)  # what had started when the drain ended finishes and is counted
    with lock:
        run = Run(rate, list(latencies), Counter(outcomes), dict(by_kind), 0.0, unfinished)
        run.seconds = max(last_done[0] - start, 1e-9)
        run.slow = sorted(slow)
    return run


def merged(runs: list[Run]) -> Run:
    """The runs of processes that shared one schedule and start, as one run."""
    by_kind: dict[str, list[float]] = {}
    outcomes: Counter[str] = Counter()
    for run in runs:
        outcomes.update(run.outcomes)
        for kind, times in run.by_kind.items():
            by_kind.setdefault(kind, []).extend(times)
    return Run(
        runs[0].rate,
        [ms for run in runs for ms in run.latencies_ms],
        outcomes,
        by_kind,
        max(run.seconds for run in runs),
        sum(run.unfinished for run in runs),
        sorted(slow for run in runs for slow in run.slow),
    )


def slow_spells(run: Run, gap: float = 1.0) -> list[str]:
    """When in the run the commands over the target were due, as spells (slow commands due
    less than `gap` s apart): whether the tail is spread out or comes in bursts."""
    spells: list[list[tuple[float, float]]] = []
    for at, ms in run.slow:
        if spells and at - spells[-1][-1][0] < gap:
            spells[-1].append((at, ms))
        else:
            spells.append([(at, ms)])
    return [
        f"{s[0][0]:.1f}-{s[-1][0]:.1f} s: {len(s)} over {TARGET_P99_MS:g} ms, "
        f"worst {max(ms for _, ms in s):.0f} ms"
        for s in spells
    ]


def _summary(label: str, run: Run) -> str:
    # The 1-minute load average when the run ended: the machine may be shared, and a figure
    # taken beside other jobs says so.
    load = f"{os.getloadavg()[0]:>6.1f}"
    if not run.latencies_ms:
        return f"{label:34} no command finished{load:>36}"
    lat = run.latencies_ms
    refused = run.outcomes["refused"]
    return (
        f"{label:34}{run.throughput:>9.1f}/s{statistics.median(lat):>9.2f}{p99(lat):>9.2f}"
        f"{max(lat):>10.2f}{run.errors:>7}{refused:>8}{load}"
    )


HEADER = (
    f"{'':34}{'done':>11}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>10}{'errors':>7}{'refused':>8}"
    f"{'load':>6}"
)


def ready_core(db: Database, url: str) -> tuple[Marquee, list[Op]]:
    """A core with its indexes loaded and every code path run once, and the mix to send it."""
    core = Marquee(db, clock=lambda: BENCH_NOW)
    core.warm_up()
    ops = make_ops(url, 5000, seed=7)
    for op in ops[:50]:  # the recommendation index and every code path, before timing
        _attempt(core, op)
    # The recommender builds its index on first use; wait for it so no run pays for it.
    core.handle(Invocation("recommend", {}, Actor("bench", "m1", "Bench"), CHANNEL))
    return core, ops


RunAt = Callable[[float, float], Run]  # (rate, seconds) -> the run


def bench_backend(name: str, db: Database, args: argparse.Namespace, url: str) -> Run:
    started = time.perf_counter()
    core, ops = ready_core(db, url)
    print(f"\n== {name} ==  (warm-up {time.perf_counter() - started:.1f} s)")
    print(HEADER)
    base = run_serial(core, ops[:BASELINE_COMMANDS])
    print(_summary(f"baseline: one at a time ({len(base.latencies_ms)})", base))
    if not args.pool_only:
        measure(lambda rate, seconds: run_open_loop(core, ops, rate, seconds), base, args)
    if args.core_processes > 1:
        bench_core_pool(name, core, url, ops, base, args)
    return base


def _warm_recommendations(core: Marquee) -> None:
    core.handle(Invocation("recommend", {}, Actor("bench", "m1", "Bench"), CHANNEL))


def bench_core_pool(
    name: str, core: Marquee, url: str, ops: list[Op], base: Run, args: argparse.Namespace
) -> None:
    """The same schedules through `CorePool` (MARQUEE_CORE_PROCESSES): one Marquee whose
    commands are answered by `--core-processes` worker processes, as `marquee run` serves
    them, from the 8 command threads the adapters use."""
    from adapters.core_pool import CorePool, WorkerSpec

    started = time.perf_counter()
    pool = CorePool(core, WorkerSpec(url, fixed_now=BENCH_NOW), args.core_processes)
    try:
        pool.start()
        pool.run_in_each(_warm_recommendations)  # each worker builds its index before timing
        for op in ops[:50]:
            _attempt(pool, op)  # type: ignore[arg-type]
        warm = time.perf_counter() - started
        label = f"{name}, MARQUEE_CORE_PROCESSES={args.core_processes}"
        print(f"\n== {label} ==  (warm-up {warm:.1f} s)")
        print(HEADER)
        serial = run_serial(pool, ops[:BASELINE_COMMANDS])  # type: ignore[arg-type]
        print(_summary(f"through the pool, one at a time ({len(serial.latencies_ms)})", serial))
        measure(
            lambda rate, seconds: run_open_loop(pool, ops, rate, seconds),  # type: ignore[arg-type]
            base,
            args,
        )
    finally:
        pool.close()


def measure(run_at: RunAt, base: Run, args: argparse.Namespace) -> None:
    """The target run and the search for the largest rate sustained, printed."""
    target = run_at(args.rate, args.seconds)
    print(_summary(f"open loop {args.rate:g}/s for {args.seconds:g} s", target))
    verdict = "meets" if target.passes() else "MISSES"
    print(f"  {verdict} the target (p99 <= {TARGET_P99_MS:g} ms, 0 errors at {args.rate:g}/s)")
    print(
        f"  per command (ms):{'':13}{'alone p50':>10}{'p99':>9}"
        f"{f'at {args.rate:g}/s p50':>16}{'p99':>9}{'max':>10}"
    )
    for kind in MIX:
        alone, loaded = base.by_kind.get(kind), target.by_kind.get(kind)
        if alone and loaded:
            print(
                f"  {kind + f' ({len(loaded)})':28}{statistics.median(alone):>10.2f}"
                f"{p99(alone):>9.2f}{statistics.median(loaded):>16.2f}{p99(loaded):>9.2f}"
                f"{max(loaded):>10.2f}"
            )
    if target.errors:
        print(f"  outcomes: {dict(target.outcomes)}, unfinished {target.unfinished}")
    spells = slow_spells(target)
    if spells:
        shown = "; ".join(spells[:8]) + (f"; and {len(spells) - 8} more" if len(spells) > 8 else "")
        print(f"  commands over {TARGET_P99_MS:g} ms came due at {shown}")
    # Double from --rate while it holds; if --rate itself fails, halve until one holds.
    sustained, failed_at = 0.0, 0.0
    rate = args.rate
    for _ in range(args.max_steps):
        step = run_at(rate, args.step_seconds)
        print(_summary(f"step {rate:g}/s for {args.step_seconds:g} s", step))
        if step.passes():
            sustained = rate
            if failed_at:
                break
            rate *= 2
        else:
            failed_at = rate
            if sustained:
                break
            rate /= 2
    if sustained and failed_at:
        print(
            f"  largest rate sustained (p99 <= 100 ms, 0 errors): {sustained:g} commands/s "
            f"({failed_at:g}/s was not)"
        )
    elif sustained:
        print(f"  sustained every step up to {sustained:g}/s (stopped after {args.max_steps})")
    else:
        print(f"  no step met the target, down to {failed_at:g}/s")
    print(f"  peak memory of this process so far: {peak_mb():.0f} MB")


def _worker(url: str, conn: Connection) -> None:
    """One Marquee process of `--processes`: its own core on the shared database, running
    its share of each schedule the parent sends, until it sends None."""
    logging.basicConfig(level=logging.WARNING)
    db = Database(url)
    core, ops = ready_core(db, url)
    conn.send("ready")
    while (order := conn.recv()) is not None:
        rate, seconds, start, share = order
        conn.send(run_open_loop(core, ops, rate, seconds, start=start, share=share))
    db.dispose()


def bench_processes(name: str, url: str, base: Run, args: argparse.Namespace) -> None:
    """The same schedule split between `--processes` worker processes, each a whole Marquee
    (its own indexes, its own 8 command threads) on the one PostgreSQL database, as a
    community that outgrew one process runs it; the latencies of all of them together."""
    count = args.processes
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter, no inherited threads
    links = []
    started = time.perf_counter()
    for _ in range(count):
        mine, theirs = spawn.Pipe()
        process = spawn.Process(target=_worker, args=(url, theirs), daemon=True)
        process.start()
        links.append((process, mine))
    for process, link in links:
        if link.recv() != "ready":
            raise RuntimeError(f"worker {process.pid} did not start")
    print(f"\n== {name}, {count} processes ==  (warm-up {time.perf_counter() - started:.1f} s)")
    print(HEADER)

    def run_at(rate: float, seconds: float) -> Run:
        # A moment for every worker to get the order before the first command is due.
        start = time.monotonic() + 0.2
        for k, (_, link) in enumerate(links):
            link.send((rate, seconds, start, (k, count)))
        return merged([link.recv() for _, link in links])

    try:
        measure(run_at, base, args)
    finally:
        for process, link in links:
            link.send(None)
            process.join(timeout=30)


def copy_to(source_url: str, target: Database) -> None:
    """Every table of the models from one database into another (empty, migrated) one."""
    source = create_engine(source_url)
    with source.connect() as src, target.engine.begin() as dst:
        # The migrations seed rows of their own (the community a database without one gets):
        # the copy replaces them with the source's, which its other rows point at.
        for table in reversed(Base.metadata.sorted_tables):
            dst.execute(delete(table))
        for table in Base.metadata.sorted_tables:
            result = src.execution_options(stream_results=True).execute(select(table))
            while batch := result.mappings().fetchmany(20_000):
                dst.execute(insert(table), [dict(row) for row in batch])
        for table in Base.metadata.sorted_tables:
            if "id" in table.c and table.c.id.autoincrement in (True, "auto"):
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                    )
                )
    # A bulk load leaves the planner without statistics until autovacuum gets to it (up to a
    # minute in): without them PostgreSQL hashed whole tables for a title lookup.
    with target.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    source.dispose()


def settle_writes() -> None:
    """Let the disk take the copy just made before anything is timed: gigabytes of dirty pages
    left to the kernel's writeback stall the run's own writes (every commit) for seconds."""
    os.sync()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rate", type=float, default=200.0, help="commands per second")
    p.add_argument("--seconds", type=float, default=60.0, help="length of the target run")
    p.add_argument("--films", type=int, default=1_000_000, help="SQLite catalogue size")
    p.add_argument("--postgres", action="store_true", help="also on a throwaway PostgreSQL")
    p.add_argument("--pg-films", type=int, default=100_000, help="PostgreSQL catalogue size")
    p.add_argument("--no-sqlite", action="store_true", help="skip SQLite (with --postgres)")
    p.add_argument("--step-seconds", type=float, default=10.0, help="window of each step")
    p.add_argument("--max-steps", type=int, default=6)
    p.add_argument(
        "--core-processes",
        type=int,
        default=1,
        help="also run the schedules through a pool of this many core worker processes "
        "(MARQUEE_CORE_PROCESSES), on each backend",
    )
    p.add_argument(
        "--pool-only",
        action="store_true",
        help="with --core-processes: after the one-at-a-time baseline, only the pool's runs",
    )
    p.add_argument(
        "--processes",
        type=int,
        default=1,
        help="with --postgres: also run the schedule split between this many processes",
    )
    args = p.parse_args()
    if args.rate <= 0 or args.seconds <= 0 or args.step_seconds <= 0 or args.max_steps < 1:
        p.error("--rate, --seconds and --step-seconds must be positive, --max-steps at least 1")
    if args.core_processes < 1:
        p.error("--core-processes must be at least 1")
    if args.pool_only and args.core_processes < 2:
        p.error("--pool-only needs --core-processes 2 or more")
    if args.processes < 1 or (args.processes > 1 and not args.postgres):
        p.error("--processes must be at least 1, and more than 1 needs --postgres")
    logging.basicConfig(level=logging.WARNING)
    print(
        f"{COMMAND_WORKERS} worker threads; mix per 100 commands: "
        + ", ".join(f"{k} {v}" for k, v in MIX.items())
    )
    if not args.no_sqlite:
        cached = build_recommend_db(args.films, args.films)
        with tempfile.TemporaryDirectory() as tmp:
            scratch = Path(tmp) / "load.db"
            shutil.copyfile(cached.removeprefix("sqlite:///"), scratch)
            settle_writes()
            url = f"sqlite:///{scratch}"
            db = Database(url)
            db.migrate()  # the cache may predate a later migration
            bench_backend(f"SQLite, {args.films:,} films, {args.films:,} ratings", db, args, url)
            db.dispose()
    if args.postgres:
        from tests.pg import PostgresServer

        source = build_recommend_db(args.pg_films, args.pg_films)
        Database(source).migrate()
        server = PostgresServer.start()
        try:
            url = server.create_database("bench_load")
            db = Database(url)
            db.migrate()
            started = time.perf_counter()
            copy_to(source, db)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("CHECKPOINT")
            settle_writes()
            print(f"\nloaded {args.pg_films:,} films into PostgreSQL in ", end="")
            print(f"{time.perf_counter() - started:.0f} s (a smaller catalogue than SQLite's)")
            label = f"PostgreSQL ({server.source}), {args.pg_films:,} films and ratings"
            base = bench_backend(label, db, args, url)
            db.dispose()
            if args.processes > 1:
                bench_processes(label, url, base, args)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
