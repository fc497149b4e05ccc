"""Showtime alerts at scale: one scheduler tick over 1,000,000 showtimes and 100,000
subscriptions, delivery throughput under Discord's limits, and (optionally) SIGKILL restarts.

    .venv/bin/python bench/bench_alerts.py [--data realistic|dense] [--postgres]
        [--showtimes 1000000] [--subscriptions 100000] [--repeats 50] [--restarts 0]

Data (built once per model, cached in bench/.cache/ for SQLite; PostgreSQL is built afresh):
20,000 films, 40 events, showtimes over one year between 10:00 and 23:55 local time, more in
the evening and for popular films (Zipf 0.8), in 4 time zones. Subscriptions: 55% a film (Zipf
0.5: a community follows its niche), 20% a cinema, 12% a city, 12% an event, 0.1% everything;
reminder leads from 15 minutes to a day, 60 most often, a fifth with a second lead. The outbox
starts with a day of sent reminders, as a running bot's has history.

- realistic (default): 500 cinemas in 100 cities of Zipf-distributed size; screenings start on
  five-minute marks; each film plays a run of 2 to 10 weeks; each festival lasts 10 days in
  one city. Channels following a film or festival mostly want reminders (80%); those following
  a cinema (20%), a city (5%) or everything (10%) mostly announcements and digests. A
  subscription with reminders gets about 5 a day on average (the run prints the figure).
- dense: a stress test in the spirit of this benchmark's first model: 300 cinemas in 60
  cities, quarter-hour starts, films and festivals playing all year, and 80% of every kind of
  subscription wanting reminders (37 a day each on average): minutes with tens of thousands
  of alerts, more than Discord lets a bot post in a quarter of an hour.

Tick: `AlertScheduler.run` for the minute ending at a given time, outbox writes included:
random minutes of the year (the typical minute), minutes an hour before random screenings,
and the busiest minute found; median and p99 over repeats, each in a transaction rolled back
so every repeat does the same work. Baseline, in the same run: the naive per-minute loop that
reads every subscription with its leads and matches them in memory (its count of due
reminders must equal the tick's). Then a running scheduler: hours of ticks minute after
minute on a scratch copy (PostgreSQL: on its own database), each committed as in a bot, and
the busiest minute reached the same way.

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
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, func, insert, select, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.alerts.delivery import AlertDelivery  # noqa: E402
from bot.alerts.pacing import Pacer  # noqa: E402
from bot.alerts.scheduler import CURSOR, AlertScheduler, TickReport, _Targets  # noqa: E402
from bot.notify import RateLimited  # noqa: E402
from bot.timefmt import zone  # noqa: E402
from bot.types import ChannelRef, Reply  # noqa: E402
from storage import alert_reminders, alert_schedule, alert_subscriptions  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models_alerts import (  # noqa: E402
    AlertCursor,
    AlertOutbox,
    Subscription,
    SubscriptionLead,
)
from storage.models_catalogue import Film  # noqa: E402
from storage.models_screenings import Cinema, Event, Showtime  # noqa: E402

CACHE = Path(__file__).parent / ".cache"
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
ZONES = ["Europe/Copenhagen", "America/New_York", "Australia/Perth", "Europe/London"]
LEADS = [(60, 50), (15, 10), (30, 12), (120, 10), (1440, 8)]  # (minutes, weight)
# Every modelled channel is in the one community a fresh database has (migration 0008); the
# listings stay shared, so every subscription may hear of every screening.
COMMUNITY = 1


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass(frozen=True)
class DataModel:
    """Who follows what, and which alerts they ask for: the shape of a deployment's data."""

    name: str
    cinemas: int
    cities: int
    start_step_minutes: int  # screenings start on multiples of this
    film_runs_days: tuple[int, int]  # each film plays for a run of this many days (min, max)
    festival_days: int  # 0: event screenings spread over the year in every city
    # Per target kind: (share of subscriptions, P(new), P(reminder), P(digest)).
    targets: dict[str, tuple[float, float, float, float]]


REALISTIC = DataModel(
    name="realistic",
    cinemas=500,
    cities=100,
    start_step_minutes=5,
    film_runs_days=(14, 70),
    festival_days=10,
    targets={
        # A channel following a film or a festival wants reminders before its screenings; one
        # following a whole cinema or city mostly wants announcements and a daily digest
        # (reminders before every screening in a city would be dozens of messages a day).
        "film": (0.55, 0.7, 0.8, 0.1),
        "cinema": (0.20, 0.7, 0.2, 0.3),
        "city": (0.12, 0.7, 0.05, 0.4),
        "event": (0.12, 0.7, 0.8, 0.2),
        "all": (0.001, 0.5, 0.1, 0.5),
    },
)
# A stress test in the spirit of the first model this benchmark used: few cinemas, every kind
# of subscription as keen on reminders, films and festivals playing all year.
DENSE = DataModel(
    name="dense",
    cinemas=300,
    cities=60,
    start_step_minutes=15,
    film_runs_days=(365, 365),
    festival_days=0,
    targets={
        "film": (0.55, 0.7, 0.8, 0.15),
        "cinema": (0.20, 0.7, 0.8, 0.15),
        "city": (0.12, 0.7, 0.8, 0.15),
        "event": (0.12, 0.7, 0.8, 0.15),
        "all": (0.001, 0.7, 0.8, 0.15),
    },
)
MODELS = {m.name: m for m in (REALISTIC, DENSE)}


def build(
    db: Database, showtimes: int, subscriptions: int, model: DataModel, seed: int = 1
) -> None:
    rng = random.Random(seed)
    now = YEAR_START
    t = time.perf_counter()
    films_n, events_n = 20000, 40
    with db.session() as s:
        conn = s.connection()
        cities = [(f"City {i}", f"city {i}", ZONES[i % len(ZONES)]) for i in range(model.cities)]
        cinema_rows = []
        # City sizes follow Zipf's law: the biggest city holds about a fifth of the cinemas
        # (100 cities), most cities one or two.
        city_weights = [1 / (rank + 1) for rank in range(len(cities))]
        for i in range(model.cinemas):
            city, city_norm, tz = rng.choices(cities, city_weights)[0]
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
        by_city: dict[str, list[dict]] = defaultdict(list)
        for c in cinema_rows:
            by_city[c["city_norm"]].append(c)
        conn.execute(insert(Cinema), cinema_rows)
        conn.execute(
            insert(Film),
            [
                dict(id=i + 1, title=f"Film {i}", created_at=now, updated_at=now)
                for i in range(films_n)
            ],
        )
        conn.execute(
            insert(Event),
            [dict(id=i + 1, name=f"Event {i}", norm=f"event {i}") for i in range(events_n)],
        )
        # A festival: some days in one city; without festival days, the whole year everywhere.
        festivals = []
        for _ in range(events_n):
            city = rng.choice(list(by_city))
            first = rng.randrange(365 - max(model.festival_days, 1))
            festivals.append((by_city[city], first, model.festival_days or 365))
        # Each film plays a run of days from its release; showtimes follow its popularity
        # (Zipf 0.8), subscriptions more evenly (Zipf 0.5): a community follows its niche.
        runs = []
        for _ in range(films_n):
            length = rng.randint(*model.film_runs_days)
            runs.append((rng.randrange(max(1, 366 - length)), length))
        film_cum = list(itertools.accumulate(1 / (i + 1) ** 0.8 for i in range(films_n)))
        sub_cum = list(itertools.accumulate(1 / (i + 1) ** 0.5 for i in range(films_n)))
        hour_weights = [1, 1, 1, 2, 2, 2, 3, 5, 8, 9, 7, 4, 2, 1]  # 10:00 .. 23:00
        steps = 60 // model.start_step_minutes
        batch: list[dict] = []
        films = rng.choices(range(1, films_n + 1), cum_weights=film_cum, k=showtimes)
        for n in range(showtimes):
            film = films[n]
            event_id = None
            if rng.random() < 0.05:
                event_id = rng.randrange(events_n) + 1
                places, first, length = festivals[event_id - 1]
                cinema = rng.choice(places)
                day = first + rng.randrange(length)
            else:
                cinema = cinema_rows[rng.randrange(model.cinemas)]
                first, length = runs[film - 1]
                day = first + rng.randrange(length)
            hour = 10 + rng.choices(range(14), hour_weights)[0]
            local = datetime(2026, 1, 1) + timedelta(
                days=day, hours=hour, minutes=model.start_step_minutes * rng.randrange(steps)
            )
            starts = local.replace(tzinfo=zone(cinema["timezone"])).astimezone(UTC)
            batch.append(
                dict(
                    film_id=film,
                    cinema_id=cinema["id"],
                    event_id=event_id,
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
        kinds_of = list(model.targets)
        shares = [model.targets[k][0] for k in kinds_of]
        subs, leads = [], []
        for i in range(subscriptions):
            kind = rng.choices(kinds_of, shares)[0]
            target_id: int | None = None
            text: str | None = None
            if kind == "film":
                target_id = rng.choices(range(1, films_n + 1), cum_weights=sub_cum)[0]
            elif kind == "cinema":
                target_id = rng.randrange(model.cinemas) + 1
            elif kind == "city":
                text = rng.choice(cinema_rows)["city_norm"]  # cities with more cinemas, more
            elif kind == "event":
                target_id = rng.randrange(events_n) + 1
            _, p_new, p_reminder, p_digest = model.targets[kind]
            kinds = [
                k
                for k, p in (("new", p_new), ("reminder", p_reminder), ("digest", p_digest))
                if rng.random() < p
            ]
            mine = [rng.choices(LEADS, [w for _, w in LEADS])[0][0]] if "reminder" in kinds else []
            if mine and rng.random() < 0.2:
                mine = sorted(set(mine) | {rng.choice([15, 30, 120, 1440])})
            subs.append(
                dict(
                    id=i + 1,
                    community_id=COMMUNITY,
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
            key = alert_subscriptions.target_key(kind, target_id, text)
            leads += [
                dict(
                    community_id=COMMUNITY,
                    subscription_id=i + 1,
                    lead_minutes=m,
                    target=key,
                    platform="discord",
                    workspace_id=subs[-1]["workspace_id"],
                    channel_id=subs[-1]["channel_id"],
                )
                for m in mine
            ]
        conn.execute(insert(Subscription), subs)
        conn.execute(insert(SubscriptionLead), leads)
    with db.engine.connect() as c:
        c.exec_driver_sql("ANALYZE")
        c.commit()
    took = time.perf_counter() - t
    print(f"built {showtimes:,} showtimes, {subscriptions:,} subscriptions in {took:.0f} s")


def prefill_outbox(db: Database, day: datetime) -> int:
    """A day of reminders, already sent, so a tick writes into an outbox that has history (as
    a running bot's has) rather than into an empty table."""
    with db.session() as s:
        windows = [
            (lead, day + timedelta(minutes=lead), day + timedelta(days=1, minutes=lead))
            for lead in alert_reminders.distinct_leads(s)
        ]
        added = alert_reminders.enqueue_reminders(s, windows, day)
        s.execute(update(AlertOutbox).values(status="sent", sent_at=day + timedelta(days=1)))
    with db.engine.connect() as c:
        c.exec_driver_sql("ANALYZE")
        c.commit()
    return added


def reminders_per_subscription_day(db: Database) -> tuple[float, float]:
    """(mean, 99th percentile) of the reminders a subscription with reminders gets in an
    average day, over the year: how keen the modelled channels are."""
    screenings: dict[str, int] = defaultdict(int)
    with db.sessions() as s:
        for column, kind in (
            (Showtime.film_id, "film"),
            (Showtime.cinema_id, "cinema"),
            (Showtime.event_id, "event"),
        ):
            for key, n in s.execute(select(column, func.count()).group_by(column)):
                screenings[f"{kind}:{key}"] = n
        for city, n in s.execute(
            select(Cinema.city_norm, func.count())
            .join(Showtime, Showtime.cinema_id == Cinema.id)
            .group_by(Cinema.city_norm)
        ):
            screenings[f"city:{city}"] = n
        screenings["all"] = s.scalar(select(func.count()).select_from(Showtime)) or 0
        per_sub: dict[int, int] = defaultdict(int)
        for sub_id, target in s.execute(
            select(SubscriptionLead.subscription_id, SubscriptionLead.target)
        ):
            per_sub[sub_id] += screenings[target]
    days = [n / 365 for n in per_sub.values()]
    return statistics.mean(days), _percentile(days, 99)


def naive_due(session: Session, start: datetime, now: datetime) -> int:
    """Baseline: every subscription with its leads read each minute, matched in memory."""
    subs = alert_schedule.SubscriberFacts
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
            Subscription.community_id,
            SubscriptionLead.lead_minutes,
        ).join(SubscriptionLead, SubscriptionLead.subscription_id == Subscription.id)
    ).all()
    by_lead: dict[int, list] = defaultdict(list)
    for r in rows:
        by_lead[r[9]].append(
            subs(r[0], r[1], r[2], r[3], tuple(r[4] or ()), r[5], r[6], r[7], r[8])
        )
    found: set[tuple[str, str, str, int, int]] = set()  # once per channel, screening, lead
    for lead, group in by_lead.items():
        delta = timedelta(minutes=lead)
        targets = _Targets(s for s in group if "reminder" in s.kinds)
        for st in alert_schedule.showtimes_starting(session, start + delta, now + delta):
            found.update(
                (s.platform, s.workspace_id, s.channel_id, st.id, lead)
                for s in targets.matching(st)
            )
    return len(found)


def _steady_digests(session: Session, minute: datetime) -> None:
    """Digest times as a running scheduler keeps them: each within the day after `minute`
    (a few due now)."""
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


def time_tick(
    db: Database, minute: datetime, repeats: int, naive_runs: int = 3
) -> dict[str, float]:
    """Tick timings (ms) for the minute ending at `minute`, with the naive baseline's."""
    scheduler = AlertScheduler(db, lambda: minute)
    start = minute - timedelta(minutes=1)
    ticks, naive = [], []
    alerts = 0
    # Committed before timing, as a running bot's database would hold them: rewriting every
    # digest time inside the measured transaction made the tick pay for the harness's writes.
    with db.session() as session:
        _steady_digests(session, minute)
        session.execute(delete(AlertCursor))
        alert_schedule.set_cursor(session, CURSOR, start)
    for _ in range(repeats):
        with db.sessions() as session:
            t = time.perf_counter()
            report = scheduler.run(session, minute)
            ticks.append((time.perf_counter() - t) * 1000)
            alerts = report.enqueued
            session.rollback()
    with db.sessions() as session:  # the tick's reminders, to check against the baseline's
        reminders = scheduler.reminders(session, start, minute, TickReport(start, minute))
        session.rollback()
    for _ in range(naive_runs):
        with db.sessions() as session:
            t = time.perf_counter()
            n = naive_due(session, start, minute)
            naive.append((time.perf_counter() - t) * 1000)
    assert n == reminders, f"the tick found {reminders} reminders, the naive loop {n}"
    return {
        "alerts": alerts,
        "tick_median": statistics.median(ticks),
        "tick_p99": _percentile(ticks, 99),
        "naive_median": statistics.median(naive),
    }


def busiest_minute(db: Database) -> datetime:
    """The minute with the most reminders due, among those an hour or a quarter before the 30
    fullest start times."""
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
        for lead in (60, 15):
            minute = starts_at.replace(tzinfo=UTC) - timedelta(minutes=lead)
            with db.sessions() as session:
                start = minute - timedelta(minutes=1)
                n = scheduler.reminders(session, start, minute, TickReport(start, minute))
                session.rollback()
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
                    community_id=COMMUNITY,
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


def run_backend(
    label: str, db: Database, repeats: int, samples: int = 30, seed: int = 7
) -> datetime:
    rng = random.Random(seed)
    with db.sessions() as session:
        max_id = session.scalar(select(func.max(Showtime.id))) or 1
        starts = [
            session.scalar(
                select(Showtime.starts_at).where(Showtime.id == rng.randrange(1, max_id))
            )
            for _ in range(samples)
        ]
        outbox = session.scalar(select(func.count()).select_from(AlertOutbox))
    mean, p99 = reminders_per_subscription_day(db)
    print(
        f"\n{label}: outbox holds {outbox:,} sent alerts; a subscription with reminders gets "
        f"{mean:.1f} a day on average (p99 {p99:.0f})"
    )
    minutes = {
        f"any minute of the year ({samples} random minutes)": [
            YEAR_START + timedelta(minutes=rng.randrange(365 * 1440)) for _ in range(samples)
        ],
        f"a minute with reminders due (an hour before {samples} random screenings)": [
            s.replace(tzinfo=UTC) - timedelta(minutes=60) for s in starts if s is not None
        ],
    }
    print(f"{label}: one scheduler tick, outbox writes included (ms)")
    for name, sample in minutes.items():
        rows = [time_tick(db, minute, max(5, repeats // 5)) for minute in sample]
        _print(f"typical: {name}", rows)
    busy = busiest_minute(db)
    _print(f"busiest minute found ({busy:%Y-%m-%d %H:%M} UTC)", [time_tick(db, busy, repeats)])
    return busy


def running_ticks(db: Database, last: datetime, minutes: int) -> list[tuple[int, float]]:
    """(alerts, ms) of each tick of a scheduler running minute by minute up to `last`, each in
    its own unit of work and committed, as in a bot: what it wrote stays for the next tick."""
    first = last - timedelta(minutes=minutes)
    with db.session() as session:
        _steady_digests(session, first)
        session.execute(delete(AlertCursor))
        alert_schedule.set_cursor(session, CURSOR, first)
    out = []
    for k in range(1, minutes + 1):
        moment = first + timedelta(minutes=k)
        scheduler = AlertScheduler(db, lambda moment=moment: moment)
        t = time.perf_counter()
        report = scheduler.tick()
        out.append((report.enqueued, (time.perf_counter() - t) * 1000))
    return out


def run_running(label: str, scratch: Database, stretches: int, busy: datetime, seed: int) -> None:
    """Stretches of a running scheduler on a scratch copy of the data (ticks commit)."""
    rng = random.Random(seed)
    ticks: list[tuple[int, float]] = []
    for _ in range(stretches):
        ticks += running_ticks(
            scratch, YEAR_START + timedelta(minutes=rng.randrange(30, 365 * 1440)), 60
        )
    busiest = running_ticks(scratch, busy, 10)[-1]
    times = [ms for _, ms in ticks]
    alerts = [n for n, _ in ticks]
    with_reminders = [ms for n, ms in ticks if n > 100]
    print(f"{label}: a running scheduler, {stretches} stretches of 60 ticks, each committed (ms)")
    print(
        f"  every tick: median {statistics.median(times):.2f}  p99 {_percentile(times, 99):.2f}"
        f" (median {statistics.median(alerts):.0f} alerts, max {max(alerts)})"
    )
    if with_reminders:
        print(
            f"  ticks with over 100 alerts ({len(with_reminders)}): median "
            f"{statistics.median(with_reminders):.2f}  p99 {_percentile(with_reminders, 99):.2f}"
        )
    print(
        f"  the busiest minute ({busy:%Y-%m-%d %H:%M} UTC), after 9 ticks before it: "
        f"{busiest[1]:.2f} ({busiest[0]} alerts)"
    )


def _print(name: str, rows: list[dict[str, float]]) -> None:
    def median(key: str) -> float:
        return statistics.median(r[key] for r in rows)

    def p99(key: str) -> float:
        return _percentile([r[key] for r in rows], 99)

    most = max(r["alerts"] for r in rows)
    print(f"  {name}, median {median('alerts'):.0f} alerts (max {most:.0f}):")
    print(
        f"    tick median {median('tick_median'):.2f}  p99 {p99('tick_p99'):.2f}"
        f" | naive baseline median {median('naive_median'):.1f}"
    )


def open_cached(path: Path, showtimes: int, subscriptions: int, model: DataModel) -> Database:
    """The benchmark database, built once per data model and size."""
    db = Database(f"sqlite:///{path}")
    ready = path.exists() and (
        db.engine.connect()
        .exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name='alert_outbox'")
        .first()
    )
    if ready:
        db.migrate()  # a cache built before a later migration
        return db
    db.dispose()
    path.unlink(missing_ok=True)
    db = Database(f"sqlite:///{path}")
    db.migrate()
    build(db, showtimes, subscriptions, model)
    prefill_outbox(db, YEAR_START + timedelta(days=180))
    return db


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--showtimes", type=int, default=1_000_000)
    p.add_argument("--subscriptions", type=int, default=100_000)
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--data", choices=sorted(MODELS), default="realistic")
    p.add_argument("--no-sqlite", action="store_true", help="skip SQLite (with --postgres)")
    p.add_argument("--stretches", type=int, default=4, help="hours of a running scheduler")
    p.add_argument("--samples", type=int, default=30, help="minutes of each typical kind")
    p.add_argument("--postgres", action="store_true", help="also on a throwaway PostgreSQL server")
    p.add_argument("--restarts", type=int, default=0, help="also run N SIGKILL restarts")
    args = p.parse_args()
    model = MODELS[args.data]
    logging.getLogger("bot.alerts").setLevel(logging.ERROR)  # late digests are expected here
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"alerts-{model.name}-{args.showtimes}-{args.subscriptions}-v3.db"
    if not args.no_sqlite:
        db = open_cached(path, args.showtimes, args.subscriptions, model)
        busy = run_backend(f"SQLite, {model.name} data", db, args.repeats, args.samples)
        db.dispose()
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "scratch.db"
            shutil.copyfile(path, copy)
            scratch = Database(f"sqlite:///{copy}")
            run_running(f"SQLite, {model.name} data", scratch, args.stretches, busy, seed=11)
            scratch.dispose()
    if args.postgres:
        from tests.pg import PostgresServer

        server = PostgresServer.start()
        try:
            pg = Database(server.create_database("bench_alerts"))
            pg.migrate()
            build(pg, args.showtimes, args.subscriptions, model)
            prefill_outbox(pg, YEAR_START + timedelta(days=180))
            busy = run_backend(f"PostgreSQL, {model.name} data", pg, args.repeats, args.samples)
            run_running(f"PostgreSQL, {model.name} data", pg, args.stretches, busy, seed=11)
            pg.dispose()
        finally:
            server.stop()
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
