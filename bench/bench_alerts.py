"""Showtime alerts at scale: one scheduler tick over 1,000,000 showtimes and 100,000
subscriptions, delivery throughput under Discord's limits, and (optionally) SIGKILL restarts.

    .venv/bin/python bench/bench_alerts.py [--showtimes 1000000] [--subscriptions 100000]
        [--postgres] [--restarts 0]

Data (built once, cached in bench/.cache/ for SQLite): 300 cinemas in 60 cities and 4 time
zones, 20,000 films, 40 events, showtimes over one year on quarter-hours between 10:00 and
23:45 local time, more in the evening and for popular films (Zipf). Subscriptions: 55% a film,
20% a cinema, 12% a city, 12% an event, 0.1% everything; 80% want reminders (leads from 15
minutes to a day, 60 most often), 70% announcements, 15% a digest.

Tick: `AlertScheduler` finding the alerts due in one minute — a typical minute (random minutes
of the year) and the busiest one found — median and p99 over repeats, each in a transaction
rolled back so every repeat does the same work. "find" is the scheduler's queries and matching;
"tick" adds writing the outbox rows. Baseline, in the same run: the naive per-minute loop that
reads every subscription with its leads and matches them in memory.

Delivery: an outbox fan-out to 200 channels against a fake platform that enforces Discord's
limits (5 messages / 5 s per channel, 50 requests / s per bot) and answers 429 when exceeded;
messages per second against the 50 allowed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import random
import statistics
import sys
import time
from collections import defaultdict, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, func, insert, select, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.alerts.delivery import AlertDelivery, Pacer  # noqa: E402
from bot.alerts.scheduler import CURSOR, AlertScheduler, TickReport, _Targets  # noqa: E402
from bot.notify import RateLimited  # noqa: E402
from bot.timefmt import zone  # noqa: E402
from bot.types import ChannelRef, Reply  # noqa: E402
from storage import alerts_repo  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import (  # noqa: E402
    AlertCursor,
    AlertOutbox,
    Cinema,
    Event,
    Film,
    Showtime,
    Subscription,
    SubscriptionLead,
)

CACHE = Path(__file__).parent / ".cache"
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
ZONES = ["Europe/Copenhagen", "America/New_York", "Australia/Perth", "Europe/London"]
LEADS = [(60, 50), (15, 10), (30, 12), (120, 10), (1440, 8)]  # (minutes, weight)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def build(db: Database, showtimes: int, subscriptions: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    now = YEAR_START
    t = time.perf_counter()
    with db.session() as s:
        conn = s.connection()
        cities = [(f"City {i}", f"city {i}", ZONES[i % len(ZONES)]) for i in range(60)]
        cinema_rows = []
        for i in range(300):
            city, city_norm, tz = cities[int(rng.paretovariate(1.2)) % len(cities)]
            cinema_rows.append(
                dict(
                    id=i + 1,
                    name=f"Cinema {i}",
                    norm=f"cinema {i}",
                    city=city,
                    city_norm=city_norm,
                    timezone=tz,
                )
            )
        conn.execute(insert(Cinema), cinema_rows)
        conn.execute(
            insert(Film),
            [
                dict(id=i + 1, title=f"Film {i}", created_at=now, updated_at=now)
                for i in range(20000)
            ],
        )
        conn.execute(
            insert(Event), [dict(id=i + 1, name=f"Event {i}", norm=f"event {i}") for i in range(40)]
        )
        # Showtimes follow film popularity (Zipf 0.8); subscriptions more evenly (Zipf 0.5):
        # a community follows its niche, not only the blockbusters.
        film_cum = list(itertools.accumulate(1 / (i + 1) ** 0.8 for i in range(20000)))
        sub_cum = list(itertools.accumulate(1 / (i + 1) ** 0.5 for i in range(20000)))
        hour_weights = [1, 1, 1, 2, 2, 2, 3, 5, 8, 9, 7, 4, 2, 1]  # 10:00 .. 23:00
        batch: list[dict] = []
        films = rng.choices(range(1, 20001), cum_weights=film_cum, k=showtimes)
        for n in range(showtimes):
            cinema = cinema_rows[rng.randrange(300)]
            day = rng.randrange(365)
            hour = 10 + rng.choices(range(14), hour_weights)[0]
            local = datetime(2026, 1, 1) + timedelta(
                days=day, hours=hour, minutes=15 * rng.randrange(4)
            )
            starts = local.replace(tzinfo=zone(cinema["timezone"])).astimezone(UTC)
            batch.append(
                dict(
                    film_id=films[n],
                    cinema_id=cinema["id"],
                    event_id=(rng.randrange(40) + 1) if rng.random() < 0.05 else None,
                    starts_at=starts,
                    demo=False,
                    cancelled=False,
                    created_at=now,
                    updated_at=now,
                )
            )
            if len(batch) == 50000:
                conn.execute(insert(Showtime), batch)
                batch = []
        if batch:
            conn.execute(insert(Showtime), batch)
        subs, leads = [], []
        for i in range(subscriptions):
            r = rng.random()
            if r < 0.0001:
                kind, target_id, text = "all", None, None
            elif r < 0.55:
                kind, target_id, text = (
                    "film",
                    rng.choices(range(1, 20001), cum_weights=sub_cum)[0],
                    None,
                )
            elif r < 0.75:
                kind, target_id, text = "cinema", rng.randrange(300) + 1, None
            elif r < 0.87:
                kind, target_id, text = "city", None, cities[rng.randrange(60)][1]
            else:
                kind, target_id, text = "event", rng.randrange(40) + 1, None
            kinds = [
                k
                for k, p in (("new", 0.7), ("reminder", 0.8), ("digest", 0.15))
                if rng.random() < p
            ]
            mine = (
                sorted({m for m, _ in [rng.choices(LEADS, [w for _, w in LEADS])[0]]})
                if "reminder" in kinds
                else []
            )
            if "reminder" in kinds and rng.random() < 0.2:
                mine = sorted(set(mine) | {rng.choice([15, 30, 120, 1440])})
            subs.append(
                dict(
                    id=i + 1,
                    platform="discord",
                    workspace_id=f"g{i % 5000}",
                    channel_id=f"c{i % 30000}",
                    target_kind=kind,
                    target_id=target_id,
                    target_text=text,
                    kinds=kinds,
                    reminder_leads_minutes=mine,
                    digest_local_time="09:00" if "digest" in kinds else None,
                    timezone=ZONES[i % 4],
                    next_digest_at=(now + timedelta(minutes=rng.randrange(1440)))
                    if "digest" in kinds
                    else None,
                    paused=False,
                    created_by="bench",
                    created_at=now,
                )
            )
            leads += [dict(subscription_id=i + 1, lead_minutes=m) for m in mine]
        conn.execute(insert(Subscription), subs)
        conn.execute(insert(SubscriptionLead), leads)
    with db.engine.connect() as c:
        if db.is_sqlite:
            c.exec_driver_sql("ANALYZE")
        else:
            c.exec_driver_sql("ANALYZE")
        c.commit()
    took = time.perf_counter() - t
    print(f"built {showtimes:,} showtimes, {subscriptions:,} subscriptions in {took:.0f} s")


def naive_due(session: Session, start: datetime, now: datetime) -> int:
    """Baseline: every subscription with its leads read each minute, matched in memory."""
    subs = alerts_repo.SubscriberFacts
    rows = session.execute(
        select(
            Subscription.id,
            Subscription.target_kind,
            Subscription.target_id,
            Subscription.target_text,
            Subscription.kinds,
            Subscription.platform,
            Subscription.workspace_id,
            Subscription.channel_id,
            SubscriptionLead.lead_minutes,
        ).join(SubscriptionLead, SubscriptionLead.subscription_id == Subscription.id)
    ).all()
    by_lead: dict[int, list] = defaultdict(list)
    for r in rows:
        by_lead[r[8]].append(subs(r[0], r[1], r[2], r[3], tuple(r[4] or ()), r[5], r[6], r[7]))
    found = 0
    for lead, group in by_lead.items():
        delta = timedelta(minutes=lead)
        targets = _Targets(s for s in group if "reminder" in s.kinds)
        for st in alerts_repo.showtimes_starting(session, start + delta, now + delta):
            found += len(targets.matching(st))
    return found


def _steady_digests(session: Session, minute: datetime) -> None:
    """Digest times as a running scheduler keeps them: each within the day after `minute`
    (a few due now). Rolled back with the measured transaction."""
    rows = session.execute(
        select(Subscription.id).where(Subscription.next_digest_at.is_not(None))
    ).scalars()
    session.execute(
        update(Subscription),
        [
            {"id": i, "next_digest_at": minute + timedelta(minutes=(i * 7919) % 1440 - 1)}
            for i in rows
        ],
    )


def time_tick(db: Database, minute: datetime, repeats: int) -> dict[str, float]:
    """find / tick / baseline timings (ms) for the minute ending at `minute`."""
    scheduler = AlertScheduler(db, lambda: minute)
    start = minute - timedelta(minutes=1)
    finds, ticks, naive = [], [], []
    found = 0
    for _ in range(repeats):
        with db.sessions() as session:
            _steady_digests(session, minute)
            report = TickReport(start=start, end=minute)
            t = time.perf_counter()
            due = scheduler.due_reminders(session, start, minute, report)
            scheduler.announcements(session, start, minute)
            alerts_repo.due_digests(session, minute)
            finds.append((time.perf_counter() - t) * 1000)
            found = len(due)
            session.rollback()
        with db.sessions() as session:
            _steady_digests(session, minute)
            session.execute(delete(AlertCursor))
            alerts_repo.set_cursor(session, CURSOR, start)
            t = time.perf_counter()
            scheduler.run(session, minute)
            ticks.append((time.perf_counter() - t) * 1000)
            session.rollback()
    for _ in range(max(3, repeats // 10)):
        with db.sessions() as session:
            t = time.perf_counter()
            n = naive_due(session, start, minute)
            naive.append((time.perf_counter() - t) * 1000)
            assert n >= found, (n, found)
    return {
        "alerts": found,
        "find_median": statistics.median(finds),
        "find_p99": _percentile(finds, 99),
        "tick_median": statistics.median(ticks),
        "tick_p99": _percentile(ticks, 99),
        "naive_median": statistics.median(naive),
    }


def busiest_minute(db: Database) -> datetime:
    """The reminder minute with the most due alerts, among the 30 fullest start minutes."""
    with db.sessions() as session:
        fullest = session.execute(
            select(Showtime.starts_at, func.count())
            .group_by(Showtime.starts_at)
            .order_by(func.count().desc())
            .limit(30)
        ).all()
        best, best_n = fullest[0][0], -1
        scheduler = AlertScheduler(db)
        for starts_at, _ in fullest:
            minute = starts_at.replace(tzinfo=UTC) - timedelta(minutes=60)
            report = TickReport(start=minute, end=minute)
            n = len(scheduler.due_reminders(session, minute - timedelta(minutes=1), minute, report))
            if n > best_n:
                best, best_n = minute, n
    return best


class DiscordLimitedPlatform:
    """Enforces Discord's limits like the real API: a 429 when a window is exceeded."""

    platform = "discord"

    def __init__(self) -> None:
        self.channel: dict[str, deque[float]] = defaultdict(deque)
        self.bot: deque[float] = deque()
        self.accepted = 0
        self.refused = 0

    async def post(self, channel: ChannelRef, reply: Reply) -> str:
        now = time.monotonic()
        sent = self.channel[channel.channel_id]
        for window, period, limit in ((sent, 5.0, 5), (self.bot, 1.0, 50)):
            while window and window[0] <= now - period:
                window.popleft()
            if len(window) >= limit:
                self.refused += 1
                raise RateLimited(window[0] + period - now)
        sent.append(now)
        self.bot.append(now)
        self.accepted += 1
        await asyncio.sleep(0.002)  # a round trip
        return str(self.accepted)


def delivery_throughput(tmp: Path, channels: int = 200, per_channel: int = 30) -> dict[str, float]:
    db = Database(f"sqlite:///{tmp / 'delivery.db'}")
    db.migrate()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session() as s:
        s.connection().execute(
            insert(AlertOutbox),
            [
                dict(
                    dedupe_key=f"bench|{c}|{i}",
                    kind="digest",
                    subscription_id=None,
                    platform="discord",
                    workspace_id="g",
                    channel_id=f"c{c}",
                    direct=False,
                    due_at=now,
                    status="pending",
                    attempts=0,
                    created_at=now,
                    lead_minutes=0,
                )
                for c in range(channels)
                for i in range(per_channel)
            ],
        )
    platform = DiscordLimitedPlatform()
    delivery = AlertDelivery(
        db, {"discord": platform}, lambda: now, pacer=Pacer(), claim_limit=1000
    )

    async def drain() -> float:
        t = time.perf_counter()
        while True:
            report = await delivery.run_once()
            if not report.messages and not report.released:
                break
        return time.perf_counter() - t

    elapsed = asyncio.run(drain())
    with db.session() as s:
        unsent = s.scalar(
            select(func.count()).select_from(AlertOutbox).where(AlertOutbox.status != "sent")
        )
    db.dispose()
    messages = platform.accepted
    # The best the limits allow: 50 messages at once, then 50 more each second.
    ideal = -(-messages // 50) - 1
    return {
        "messages": messages,
        "seconds": elapsed,
        "ideal": ideal,
        "of_allowed": ideal / elapsed,
        "refused": platform.refused,
        "unsent": unsent or 0,
    }


def run_backend(label: str, db: Database, repeats: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with db.sessions() as session:
        max_id = session.scalar(select(func.max(Showtime.id))) or 1
        starts = [
            session.scalar(
                select(Showtime.starts_at).where(Showtime.id == rng.randrange(1, max_id))
            )
            for _ in range(30)
        ]
    samples = {
        "any minute of the year (30 random minutes)": [
            YEAR_START + timedelta(minutes=rng.randrange(365 * 1440)) for _ in range(30)
        ],
        "a minute with reminders due (an hour before 30 random screenings)": [
            s.replace(tzinfo=UTC) - timedelta(minutes=60) for s in starts if s is not None
        ],
    }
    print(f"\n{label}: one scheduler tick (ms)")
    for name, minutes in samples.items():
        rows = [time_tick(db, minute, max(5, repeats // 5)) for minute in minutes]
        _print(f"typical: {name}", rows)
    busy = busiest_minute(db)
    _print(f"busiest minute found ({busy:%Y-%m-%d %H:%M} UTC)", [time_tick(db, busy, repeats)])


def _print(name: str, rows: list[dict[str, float]]) -> None:
    def median(key: str) -> float:
        return statistics.median(r[key] for r in rows)

    def p99(key: str) -> float:
        return _percentile([r[key] for r in rows], 99)

    most = max(r["alerts"] for r in rows)
    print(f"  {name}, median {median('alerts'):.0f} alerts (max {most:.0f}):")
    print(
        f"    find median {median('find_median'):.2f}  p99 {p99('find_p99'):.2f}"
        f" | tick with outbox writes median {median('tick_median'):.2f}"
        f"  p99 {p99('tick_p99'):.2f} | naive baseline median {median('naive_median'):.1f}"
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--showtimes", type=int, default=1_000_000)
    p.add_argument("--subscriptions", type=int, default=100_000)
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--postgres", action="store_true", help="also on a throwaway PostgreSQL server")
    p.add_argument("--restarts", type=int, default=0, help="also run N SIGKILL restarts")
    args = p.parse_args()
    logging.getLogger("bot.alerts").setLevel(logging.ERROR)  # late digests are expected here
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"alerts-{args.showtimes}-{args.subscriptions}-v2.db"
    db = Database(f"sqlite:///{path}")
    if (
        not path.exists()
        or not db.engine.connect()
        .exec_driver_sql("SELECT name FROM sqlite_master WHERE name='alert_outbox'")
        .first()
    ):
        path.unlink(missing_ok=True)
        db = Database(f"sqlite:///{path}")
        db.migrate()
        build(db, args.showtimes, args.subscriptions)
    run_backend("SQLite", db, args.repeats)
    db.dispose()
    if args.postgres:
        from tests.pg import PostgresServer

        server = PostgresServer.start()
        try:
            import psycopg

            with psycopg.connect(
                f"host=127.0.0.1 port={server.port} user=postgres dbname=postgres", autocommit=True
            ) as c:
                c.execute('CREATE DATABASE "bench_alerts"')
            pg = Database(server.url_for("bench_alerts"))
            pg.migrate()
            build(pg, args.showtimes, args.subscriptions)
            run_backend("PostgreSQL", pg, args.repeats)
            pg.dispose()
        finally:
            server.stop()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        d = delivery_throughput(Path(tmp))
    print(
        f"\ndelivery against Discord's limits: {d['messages']:.0f} messages (10 alerts each) to "
        f"200 channels in {d['seconds']:.2f} s; the limits allow it in {d['ideal']:.0f} s at best "
        f"(50 a second): {d['of_allowed']:.0%} of the allowed rate; {d['refused']:.0f} refused "
        f"with 429, {d['unsent']:.0f} left unsent"
    )
    if args.restarts:
        from bench.alerts_crash import run_restarts

        with tempfile.TemporaryDirectory() as tmp:
            out = run_restarts(
                f"sqlite:///{tmp}/crash.db", Path(tmp) / "delivered.log", args.restarts
            )
        print(
            f"\n{out.kills} SIGKILL restarts, {out.alerts} alerts: {out.duplicates} duplicates, "
            f"{out.misses} misses; {out.refused_resends} re-sent batch(es) turned away by the "
            "idempotency key"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
