"""Many communities on one shared catalogue (issue #14): 10,000 communities against one.

    .venv/bin/python bench/bench_communities.py [--films 1000000] [--communities 10000]
        [--reviews 1000000] [--ratings 1000000] [--queries 200] [--rounds 3] [--quick]

Builds (once, cached in bench/.cache/) two copies of bench/catalogue.py's synthetic catalogue,
at the current schema: "many", with `--communities` communities (one Discord server each), and
"one", the single-community baseline. Both hold the same rows: reviews and member ratings whose
community follows Zipf's law (s = 1.1) over the communities' ranks (community 1 the busiest),
a few alert subscriptions per community (bench/bench_alerts.py's shapes) and shared showtimes;
in "one" every owned row is community 1's. Then, for each database in a fresh process of its
own (so the memory figures are its own):
- `Marquee.handle` round trip of `review <title>` in the busiest, a median and a tail
  community (titles of films reviewed there, padded with random ones), by one of its members;
- title resolution: `core.resolver.resolve` of misspelt titles in a session scoped to that
  community (bench/bench_titles.py's misspellings);
- one alert tick for minutes an hour before random screenings (bench_alerts' `time_tick`,
  rolled back after each repeat, checked against its naive loop);
- the process's resident memory after warm-up and its peak: the title index is shared, so
  neither may grow with the number of communities.
"One" runs the same titles and minutes in its one community. Each database gets `--rounds`
processes, taken in turn, and their timings are pooled: the cores are shared. The issue's
target: medians and p99s within 10% of the single community's, and no more memory.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402

from bench.bench_alerts import LEADS, REALISTIC, YEAR_START, ZONES, prefill_outbox  # noqa: E402
from bench.catalogue import CACHE, build_catalogue  # noqa: E402
from bench.stats import p99, peak_mb  # noqa: E402
from bot.timefmt import zone  # noqa: E402
from storage import alert_subscriptions  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models_alerts import Subscription, SubscriptionLead  # noqa: E402
from storage.models_catalogue import Film, Review  # noqa: E402
from storage.models_communities import Community, Space  # noqa: E402
from storage.models_members import MemberRating  # noqa: E402
from storage.models_screenings import Cinema, Showtime  # noqa: E402

ZIPF_S = 1.1
SUBSCRIPTIONS_PER_COMMUNITY = 5
SHOWTIME_FILMS = 20_000  # screenings are of the catalogue's first films (Zipf 0.8)
CINEMAS, CITIES = 200, 40
MEMBERS_PER_COMMUNITY = 300  # raters are drawn from this many members of each community
BATCH = 50_000
TARGET = 0.10  # the issue: within 10% of the single community


def rss_mb() -> float:
    """This process's resident memory now (VmRSS); stats.peak_mb is the high-water mark."""
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    return peak_mb()


def guild(community_id: int) -> str:
    return f"g{community_id}"


def community_ranks(rng: np.random.Generator, communities: int, n: int) -> np.ndarray:
    """`n` community ids (1 = rank 1), Zipf-distributed with exponent ZIPF_S."""
    weights = 1.0 / np.arange(1, communities + 1) ** ZIPF_S
    return rng.choice(communities, size=n, p=weights / weights.sum()) + 1


def migrated_catalogue(films: int) -> Path:
    """bench/catalogue.py's catalogue, built afresh at the current schema (same seed, same
    titles). Its shared cache may predate migration 0008, which fails on it (the report of
    this benchmark's first run says why), so this one is built under a name of its own."""
    path = CACHE / f"communities-base-{films}.db"
    build_catalogue(path, films)
    return path


def _insert(db: Database, model: type, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        with db.session() as session:
            session.execute(insert(model), rows[start : start + BATCH])


def _communities(db: Database, n: int, now: datetime) -> None:
    with db.session() as session:
        # Community 1 (migration 0008's) already holds the demo rows: it gets the first server.
        session.execute(update(Community).values(awaiting_space=False, name="Community 1"))
    _insert(
        db,
        Community,
        [
            dict(id=i, name=f"Community {i}", settings={}, created_at=now, awaiting_space=False)
            for i in range(2, n + 1)
        ],
    )
    _insert(
        db,
        Space,
        [
            dict(
                platform="discord",
                external_id=guild(i),
                name=f"Server {i}",
                community_id=i,
                joined_at=now,
            )
            for i in range(1, n + 1)
        ],
    )


def _reviews_and_ratings(
    db: Database, sizes: argparse.Namespace, owner: np.ndarray, many: bool, now: datetime
) -> None:
    """Reviews, then ratings; `owner` holds each row's community in "many" (reviews first)."""
    rng = np.random.default_rng(5)
    with db.sessions() as session:
        top = session.scalar(select(func.max(Film.id))) or 1
    # Popular films get more reviews (Zipf 0.8 over a shuffled catalogue).
    popularity = 1.0 / np.arange(1, top + 1) ** 0.8
    films = (
        rng.permutation(top)[
            rng.choice(top, size=sizes.reviews + sizes.ratings, p=popularity / popularity.sum())
        ]
        + 1
    )
    halves = rng.integers(1, 11, size=sizes.reviews + sizes.ratings)
    members = rng.integers(0, MEMBERS_PER_COMMUNITY, size=sizes.reviews + sizes.ratings)
    reviews = [
        dict(
            community_id=int(owner[i]) if many else 1,
            film_id=int(films[i]),
            author_name=f"Critic {members[i]}",
            author_platform="discord",
            author_user_id=f"m{owner[i]}_{members[i]}",
            rating_halves=int(halves[i]),
            headline=f"Bench review {i}",
            body="A short review of a synthetic film, written by the communities benchmark.",
            spoiler=False,
            published_at=now,
            updated_at=now,
            version=1,
        )
        for i in range(sizes.reviews)
    ]
    _insert(db, Review, reviews)
    del reviews
    seen: set[tuple[int, int, int]] = set()
    ratings = []
    for i in range(sizes.reviews, sizes.reviews + sizes.ratings):
        key = (int(owner[i]), int(members[i]), int(films[i]))
        if key in seen:  # one rating per member and film
            continue
        seen.add(key)
        ratings.append(
            dict(
                community_id=key[0] if many else 1,
                platform="discord",
                # Member ids carry their community, so "one" holds the same distinct ratings.
                user_id=f"m{key[0]}_{key[1]}",
                film_id=key[2],
                rating_halves=int(halves[i]),
                rated_at=now,
            )
        )
    _insert(db, MemberRating, ratings)


def _listings(db: Database, showtimes: int, now: datetime) -> int:
    """Shared cinemas and showtimes (community NULL), as the operators' importer writes them;
    returns the first cinema's id."""
    rng = random.Random(3)
    with db.sessions() as session:
        first = (session.scalar(select(func.max(Cinema.id))) or 0) + 1  # after the demo's
    cinemas = [
        dict(
            id=first + i,
            name=f"Bench Cinema {i}",
            norm=f"bench cinema {i}",
            city=f"Bench City {i % CITIES}",
            city_norm=f"bench city {i % CITIES}",
            timezone=ZONES[i % len(ZONES)],
        )
        for i in range(CINEMAS)
    ]
    _insert(db, Cinema, cinemas)
    cum = list(itertools.accumulate(1 / (i + 1) ** 0.8 for i in range(SHOWTIME_FILMS)))
    films = rng.choices(range(1, SHOWTIME_FILMS + 1), cum_weights=cum, k=showtimes)
    rows = []
    for film in films:
        cinema = rng.randrange(CINEMAS)
        local = datetime(2026, 1, 1) + timedelta(
            days=rng.randrange(365), hours=10 + rng.randrange(14), minutes=5 * rng.randrange(12)
        )
        starts = local.replace(tzinfo=zone(ZONES[cinema % len(ZONES)])).astimezone(UTC)
        rows.append(
            dict(
                film_id=film,
                cinema_id=first + cinema,
                starts_at=starts,
                demo=False,
                cancelled=False,
                created_at=now,
                updated_at=now,
            )
        )
    _insert(db, Showtime, rows)
    return first


def _subscriptions(db: Database, communities: int, many: bool, first_cinema: int) -> None:
    """A few subscriptions per community, of bench_alerts' realistic kinds and leads."""
    rng = random.Random(4)
    kinds_of = list(REALISTIC.targets)
    shares = [REALISTIC.targets[k][0] for k in kinds_of]
    cum = list(itertools.accumulate(1 / (i + 1) ** 0.5 for i in range(SHOWTIME_FILMS)))
    with db.sessions() as session:
        first = (session.scalar(select(func.max(Subscription.id))) or 0) + 1
    subs, leads = [], []
    for i in range(communities * SUBSCRIPTIONS_PER_COMMUNITY):
        home = i // SUBSCRIPTIONS_PER_COMMUNITY + 1
        kind = rng.choices(kinds_of, shares)[0]
        target_id, text = None, None
        if kind == "film":
            target_id = rng.choices(range(1, SHOWTIME_FILMS + 1), cum_weights=cum)[0]
        elif kind == "cinema":
            target_id = first_cinema + rng.randrange(CINEMAS)
        elif kind == "city":
            text = f"bench city {rng.randrange(CITIES)}"
        elif kind == "event":
            kind, target_id = "cinema", first_cinema + rng.randrange(CINEMAS)  # no festivals here
        _, p_new, p_reminder, p_digest = REALISTIC.targets[kind]
        kinds = [
            k
            for k, p in (("new", p_new), ("reminder", p_reminder), ("digest", p_digest))
            if rng.random() < p
        ]
        mine = [rng.choices(LEADS, [w for _, w in LEADS])[0][0]] if "reminder" in kinds else []
        zone = ZONES[i % len(ZONES)]
        # The same servers and channels in both databases: only the community differs.
        where = dict(community_id=home if many else 1, platform="discord", workspace_id=guild(home))
        channel = f"c{home}_{i % SUBSCRIPTIONS_PER_COMMUNITY}"
        subs.append(
            dict(
                id=first + i,
                **where,
                channel_id=channel,
                target_kind=kind,
                target_id=target_id,
                target_text=text,
                kinds=kinds,
                reminder_leads_minutes=mine,
                digest_local_time="09:00" if "digest" in kinds else None,
                timezone=zone,
                next_digest_at=YEAR_START + timedelta(minutes=rng.randrange(1440))
                if "digest" in kinds
                else None,
                paused=False,
                created_by="bench",
                created_at=YEAR_START,
            )
        )
        key = alert_subscriptions.target_key(kind, target_id, text)
        leads += [
            dict(
                **where,
                subscription_id=first + i,
                lead_minutes=m,
                target=key,
                channel_id=channel,
            )
            for m in mine
        ]
    _insert(db, Subscription, subs)
    _insert(db, SubscriptionLead, leads)


def build_variant(sizes: argparse.Namespace, many: bool) -> Path:
    name = "many" if many else "one"
    path = CACHE / (
        f"communities-{name}-{sizes.films}-{sizes.communities}-{sizes.reviews}-"
        f"{sizes.ratings}-{sizes.showtimes}-v1.db"
    )
    if path.exists():
        return path
    started = time.perf_counter()
    base = migrated_catalogue(sizes.films)
    tmp = path.with_suffix(f".building-{os.getpid()}")
    shutil.copyfile(base, tmp)
    db = Database(f"sqlite:///{tmp}")
    now = datetime.now(UTC)
    _communities(db, sizes.communities if many else 1, now)
    # The same draw for both: "one" has the same rows, every one community 1's.
    owner = community_ranks(
        np.random.default_rng(9), sizes.communities, sizes.reviews + sizes.ratings
    )
    _reviews_and_ratings(db, sizes, owner, many, now)
    cinema_ids = _listings(db, sizes.showtimes, now)
    _subscriptions(db, sizes.communities, many, cinema_ids)
    prefill_outbox(db, YEAR_START + timedelta(days=180))
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    tmp.rename(path)
    print(f"built {name} in {time.perf_counter() - started:.0f} s → {path.name}")
    return path


def make_plan(many: Path, sizes: argparse.Namespace, seed: int) -> dict[str, object]:
    """Titles per tier (films reviewed in that community first), misspelt queries, minutes."""
    from bench.bench_titles import misspell

    rng = random.Random(seed)
    db = Database(f"sqlite:///{many}")
    tiers = {}
    with db.sessions() as session:
        top = session.scalar(select(func.max(Film.id))) or 1
        for tier, cid in (
            ("busiest", 1),
            ("median", max(1, sizes.communities // 2)),
            ("tail", sizes.communities),
        ):
            reviewed = list(
                session.scalars(select(Review.film_id).where(Review.community_id == cid).distinct())
            )
            picked = rng.sample(reviewed, min(len(reviewed), sizes.queries))
            picked += rng.sample(range(1, top + 1), sizes.queries - len(picked))
            query = select(Film.id, Film.title).where(Film.id.in_(picked))
            titles = {film: title for film, title in session.execute(query)}
            chosen = [titles[f] for f in picked if f in titles]
            tiers[tier] = {
                "community": cid,
                "reviewed": len(reviewed),
                "titles": chosen,
                "misspelt": [misspell(rng, t) for t in chosen],
            }
        count = session.scalar(select(func.count()).select_from(Showtime)) or 1
        offset = session.scalar(select(func.min(Showtime.id))) or 1
        minutes = []
        for _ in range(sizes.tick_minutes):
            starts = session.scalar(
                select(Showtime.starts_at).where(Showtime.id == offset + rng.randrange(count))
            )
            if starts is not None:
                minutes.append((starts.replace(tzinfo=UTC) - timedelta(minutes=60)).isoformat())
    db.dispose()
    return {"tiers": tiers, "minutes": minutes, "repeats": sizes.repeats}


def phase(path: Path, plan: dict, many: bool) -> dict[str, object]:
    from bench.bench_alerts import time_tick
    from bot.core import Marquee
    from bot.types import Actor, ChannelRef, Invocation, Role
    from storage.community_scope import Scope, set_scope

    logging.getLogger("bot.alerts").setLevel(logging.ERROR)
    core = Marquee(Database(f"sqlite:///{path}"))
    started = time.perf_counter()
    core.warm_up()
    out: dict[str, object] = {"warm_up_s": time.perf_counter() - started, "rss_mb": rss_mb()}
    for tier, spec in plan["tiers"].items():
        cid = spec["community"] if many else 1
        where = ChannelRef("discord", guild(cid), "c1")
        member = Actor("discord", f"m{cid}_1", "Bench Member", Role.MEMBER)
        for title in spec["titles"][:5]:  # the first command of a member records them
            core.handle(Invocation("review", {"title": title}, member, where))
        handle, resolve = [], []
        for title in spec["titles"]:
            t = time.perf_counter()
            core.handle(Invocation("review", {"title": title}, member, where))
            handle.append((time.perf_counter() - t) * 1000)
        for query in spec["misspelt"]:
            t = time.perf_counter()
            with core.db.session() as session:
                set_scope(session, Scope(cid))
                core.resolver.resolve(session, query)
            resolve.append((time.perf_counter() - t) * 1000)
        out[f"handle {tier}"] = handle
        out[f"resolve {tier}"] = resolve
    ticks, alerts = [], []
    for minute in plan["minutes"]:
        row = time_tick(core.db, datetime.fromisoformat(minute), plan["repeats"], naive_runs=1)
        ticks.append(row["tick_median"])
        alerts.append(row["alerts"])
    out["tick"] = ticks
    out["alerts"] = statistics.median(alerts) if alerts else 0
    out["peak_mb"] = peak_mb()
    return out


def run_phase(path: Path, plan_file: Path, many: bool) -> dict:
    command = [sys.executable, __file__, "--phase", str(path), "--plan", str(plan_file)]
    result = subprocess.run(
        command + (["--many"] if many else []), check=True, capture_output=True, text=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def report(one: dict, many: dict, plan: dict, sizes: argparse.Namespace) -> None:
    tiers = plan["tiers"]
    print(
        f"\n{sizes.films:,} films, {sizes.reviews:,} reviews, {sizes.ratings:,} ratings; "
        f"{sizes.communities:,} communities against 1; {sizes.rounds} rounds, alternating"
    )
    for tier, spec in tiers.items():
        print(
            f"  {tier}: community {spec['community']} ({spec['reviewed']:,} films reviewed "
            f"there), {len(spec['titles'])} titles"
        )
    print(
        f"\n{'':34}{'one: median':>12}{'p99':>9}{'many: median':>14}{'p99':>9}"
        f"{'ratio med':>11}{'p99':>7}"
    )
    worst = 0.0
    rows = [f"{kind} {tier}" for kind in ("handle", "resolve") for tier in tiers] + ["tick"]
    for key in rows:
        a, b = one[key], many[key]
        med = statistics.median(b) / statistics.median(a)
        tail = p99(b) / p99(a)
        worst = max(worst, med)
        label = {"handle": "review <title>", "resolve": "resolve (misspelt)"}.get(
            key.split()[0], f"alert tick ({many['alerts']:.0f} alerts, ms)"
        )
        label += f" {key.split()[1]}" if " " in key else ""
        print(
            f"{label:34}{statistics.median(a):>10.2f}ms{p99(a):>7.2f}ms"
            f"{statistics.median(b):>12.2f}ms{p99(b):>7.2f}ms{med:>10.2f}x{tail:>6.2f}x"
        )
    print(
        f"\nmemory after warm-up: one {one['rss_mb']:.0f} MB, many {many['rss_mb']:.0f} MB; "
        f"peak: one {one['peak_mb']:.0f} MB, many {many['peak_mb']:.0f} MB; "
        f"warm-up {one['warm_up_s']:.1f} s / {many['warm_up_s']:.1f} s"
    )
    verdict = "within" if worst <= 1 + TARGET else "OUTSIDE"
    print(f"worst median ratio {worst:.2f}x: {verdict} the issue's {TARGET:.0%}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--films", type=int, default=1_000_000)
    p.add_argument("--communities", type=int, default=10_000)
    p.add_argument("--reviews", type=int, default=1_000_000)
    p.add_argument("--ratings", type=int, default=1_000_000)
    p.add_argument("--showtimes", type=int, default=200_000)
    p.add_argument("--queries", type=int, default=200, help="titles per community tier")
    p.add_argument("--tick-minutes", type=int, default=20)
    p.add_argument("--repeats", type=int, default=10, help="repeats of each minute's tick")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--rounds", type=int, default=3, help="fresh processes per database, taken in turn"
    )
    p.add_argument("--quick", action="store_true", help="20k films, 100 communities: a smoke run")
    p.add_argument("--phase", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--plan", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--many", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, json.loads(args.plan.read_text()), args.many)))
        return
    if args.quick:
        args.films, args.communities, args.reviews, args.ratings = 20_000, 100, 20_000, 20_000
        args.showtimes, args.queries, args.tick_minutes, args.repeats = 20_000, 50, 3, 3
        args.rounds = 1
    CACHE.mkdir(exist_ok=True)
    many_db, one_db = build_variant(args, many=True), build_variant(args, many=False)
    plan = make_plan(many_db, args, args.seed)
    plan_file = many_db.with_suffix(f".plan-{args.seed}.json")
    plan_file.write_text(json.dumps(plan))
    runs: dict[bool, list[dict]] = {False: [], True: []}
    for round_ in range(args.rounds):
        # Alternate which goes first, so drift in what else the machine runs hits both.
        for many in (False, True) if round_ % 2 == 0 else (True, False):
            runs[many].append(run_phase(many_db if many else one_db, plan_file, many))
    report(pooled(runs[False]), pooled(runs[True]), plan, args)


def pooled(runs: list[dict]) -> dict:
    """Every round's timings together; the largest memory and warm-up of any round."""
    out = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, list):
            out[key] = [t for run in runs for t in run[key]]
        else:
            out[key] = max(run[key] for run in runs)
    return out


if __name__ == "__main__":
    main()
