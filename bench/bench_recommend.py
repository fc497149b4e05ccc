"""`recommend like` and `recommend showing` at a million films and a million ratings.

    .venv/bin/python bench/bench_recommend.py [--films 1000000] [--ratings 1000000] [--queries 300]

Builds (once, cached in bench/.cache/) a copy of bench/catalogue.py's synthetic catalogue with
what recommendations need: 1-3 genres per film from 20, a country and language, a director
(150,000 of them, ~7 films each) and two cast members (from 300,000), 20 cinemas in 10 cities
with 3,000 screenings over the 14 days after BENCH_NOW, and a million member ratings by 20,000
members whose choice of films is Zipf-distributed, as real ratings are.

Then, in a fresh process (so its peak memory is its own), it builds the recommendation index
and times:
- marquee: the whole command through `Marquee.handle` (a unit of work, the title lookup, the
  member's ratings, ranking, reasons, the films of the page), for members with ratings;
- model: the same ranking without the database (index lookups only);
- baseline: the same model scoring every film in the catalogue (a brute-force scan instead of
  EASE's positive scores and the posting-list heads);
- `recommend` (no filter, and with a genre) through `Marquee.handle`;
- `recommend like` again while the index is rebuilt in the background: in a separate process
  (what the bot does), and with --compare-thread also in a thread of the serving process (what
  it did before, and still does for an in-memory database), each build awaited to its swap.

Each table row carries the 1-minute load average when it was measured: the machine may be
shared, and a figure from a busy machine is not one from a quiet one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalogue import build_catalogue, catalogue_path  # noqa: E402
from bench.stats import peak_mb, timing  # noqa: E402
from bot.normalize import normalize  # noqa: E402

BENCH_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
GENRES = (
    "drama comedy thriller romance crime documentary horror action adventure animation "
    "family fantasy history mystery music science-fiction war western biography sport"
).split()
COUNTRIES = [
    ("Denmark", "Danish"),
    ("Norway", "Norwegian"),
    ("Sweden", "Swedish"),
    ("Finland", "Finnish"),
    ("France", "French"),
    ("Germany", "German"),
    ("Italy", "Italian"),
    ("Spain", "Spanish"),
    ("Japan", "Japanese"),
    ("South Korea", "Korean"),
    ("United States", "English"),
    ("United Kingdom", "English"),
    ("Poland", "Polish"),
    ("Mexico", "Spanish"),
    ("India", "Hindi"),
]
DIRECTORS, ACTORS = 150_000, 300_000
USERS = 20_000
# A brute-force scan takes seconds at a million films: fewer samples (its p99 is their maximum).
BASELINE_QUERIES = 30
CITIES = [
    "Aarhus",
    "Bergen",
    "Lyon",
    "Osaka",
    "Leeds",
    "Austin",
    "Turin",
    "Kraków",
    "Malmö",
    "Pune",
]


def recommend_db_path(films: int, ratings: int) -> Path:
    return catalogue_path(films).with_name(f"recommend-{films}-{ratings}.db")


def build_recommend_db(films: int, ratings: int) -> str:
    path = recommend_db_path(films, ratings)
    if path.exists():
        return f"sqlite:///{path}"
    base = catalogue_path(films)
    build_catalogue(base, films)
    tmp = path.with_suffix(".building")
    shutil.copyfile(base, tmp)
    started = time.perf_counter()
    from storage.db import Database

    db = Database(f"sqlite:///{tmp}")
    db.migrate()  # the cached catalogue may predate newer migrations
    db.dispose()
    rng = np.random.default_rng(3)
    con = sqlite3.connect(tmp)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    first = con.execute("SELECT max(id) FROM film").fetchone()[0] - films + 1
    ids = np.arange(first, first + films, dtype=np.int64)
    # Genres: Zipf-ish popularity, 1-3 per film.
    weights = 1 / np.arange(1, len(GENRES) + 1)
    weights /= weights.sum()
    n_genres = rng.choice([1, 2, 3], size=films, p=[0.4, 0.4, 0.2])
    genre_rows = set()
    for k in (1, 2, 3):
        chosen = ids[n_genres >= k]
        picks = rng.choice(len(GENRES), size=len(chosen), p=weights)
        genre_rows.update(zip(chosen.tolist(), picks.tolist(), strict=True))
    con.executemany(
        "INSERT INTO film_genre (film_id, genre) VALUES (?, ?)",
        ((f, GENRES[g]) for f, g in genre_rows),
    )
    country = rng.integers(0, len(COUNTRIES), size=films)
    con.executemany(
        "UPDATE film SET countries = ?, languages = ? WHERE id = ?",
        (
            (json.dumps([COUNTRIES[c][0]]), json.dumps([COUNTRIES[c][1]]), int(f))
            for f, c in zip(ids, country, strict=True)
        ),
    )
    person0 = (con.execute("SELECT max(id) FROM person").fetchone()[0] or 0) + 1
    con.executemany(
        "INSERT INTO person (id, name, norm) VALUES (?, ?, ?)",
        (
            (person0 + i, f"Bench Person {i}", f"bench person {i}")
            for i in range(DIRECTORS + ACTORS)
        ),
    )
    director = rng.integers(0, DIRECTORS, size=films)
    cast = rng.integers(DIRECTORS, DIRECTORS + ACTORS, size=(films, 2))
    credits = [
        (int(f), person0 + int(d), "director", 0) for f, d in zip(ids, director, strict=True)
    ]
    for pos in (0, 1):
        credits += [
            (int(f), person0 + int(c), "cast", pos) for f, c in zip(ids, cast[:, pos], strict=True)
        ]
    con.executemany(
        "INSERT OR IGNORE INTO credit (film_id, person_id, role, position) VALUES (?, ?, ?, ?)",
        credits,
    )
    del credits
    # Ratings: members rate 5-500 films (log-normal), films chosen Zipf over a shuffled catalogue.
    per_user = np.clip(rng.lognormal(3.4, 0.9, size=USERS), 5, 500)
    per_user = np.round(per_user / per_user.sum() * ratings * 1.02).astype(np.int64)
    order = rng.permutation(ids)
    zipf = np.minimum(rng.zipf(1.3, size=int(per_user.sum())) - 1, films - 1)
    users = np.repeat(np.arange(USERS), per_user)
    pairs = np.unique(users * (films + 1) + np.searchsorted(ids, order[zipf]))[:ratings]
    r_users, r_rows = pairs // (films + 1), pairs % (films + 1)
    stars = np.clip(np.round(rng.normal(3.6, 0.9, size=len(pairs)) * 2), 1, 10).astype(int)
    rated_at = _sql_time(BENCH_NOW - timedelta(days=30))
    # The community migration 0008 made for a database without one: the bench's first space
    # joins it, so these members' ratings are that community's.
    community = con.execute("SELECT min(id) FROM community").fetchone()[0]
    con.executemany(
        "INSERT INTO member_rating (platform, user_id, film_id, rating_halves, rated_at, "
        "community_id) VALUES ('bench', ?, ?, ?, ?, ?)",
        (
            (f"m{u}", int(ids[r]), int(s), rated_at, community)
            for u, r, s in zip(r_users.tolist(), r_rows.tolist(), stars.tolist(), strict=True)
        ),
    )
    # Cinemas and screenings: popular films are screened more often.
    cinema0 = con.execute("SELECT max(id) FROM cinema").fetchone()[0] + 1
    con.executemany(
        "INSERT INTO cinema (id, name, norm, city, city_norm, timezone) VALUES (?, ?, ?, ?, ?, ?)",
        (
            (cinema0 + i, f"Bench Kino {i}", f"bench kino {i}", c, normalize(c), "UTC")
            for i, c in enumerate(CITIES * 2)
        ),
    )
    shown = order[np.minimum(rng.zipf(1.2, size=3000) - 1 + 50, films - 1)]
    now_naive = BENCH_NOW
    con.executemany(
        "INSERT INTO showtime (film_id, cinema_id, starts_at, demo, cancelled, created_at, "
        "updated_at) VALUES (?, ?, ?, 0, 0, ?, ?)",
        (
            (
                int(f),
                cinema0 + int(rng.integers(0, 2 * len(CITIES))),
                _sql_time(now_naive + timedelta(minutes=int(rng.integers(60, 14 * 24 * 60)))),
                _sql_time(now_naive),
                _sql_time(now_naive),
            )
            for f in shown
        ),
    )
    con.commit()
    con.close()
    tmp.rename(path)
    print(f"built the recommendation bench data in {time.perf_counter() - started:.0f} s → {path}")
    return f"sqlite:///{path}"


def _sql_time(at: datetime) -> str:
    """UTC as SQLAlchemy stores it on SQLite, so range queries compare like with like."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _load() -> float:
    return os.getloadavg()[0]


def measure(url: str, queries: int, compare_thread: bool) -> dict[str, object]:
    """Runs in a fresh process: build the index, then time the commands and the model."""
    from bot.core import Marquee
    from bot.handlers import recommend  # noqa: F401 (imported to warm the module)
    from bot.recommend.index import RecommendationIndex
    from bot.types import Actor, ChannelRef, Invocation, Role
    from storage.db import Database

    db = Database(url)
    core = Marquee(db, clock=lambda: BENCH_NOW)
    # Rebuilds without the usual spacing, so the rebuild timed below starts when asked.
    core.recommendations = RecommendationIndex(db.session, rebuild_spacing=0)
    before_build = peak_mb()  # the interpreter, its libraries and the core, before the index
    started = time.perf_counter()
    with db.session() as session:
        rec = core.recommendations.current(session)
    build_s = time.perf_counter() - started
    # The build's own peak (the figure the 500 MB budget is about), before the brute-force
    # baselines below allocate their whole-catalogue score arrays.
    build_peak = peak_mb()
    rng = np.random.default_rng(11)
    rated = np.flatnonzero(rec.rating_count > 0)
    # Half the seeds popular films, half any film with a rating.
    like_rows = np.concatenate(
        [
            rec.popular_rows[rng.integers(0, len(rec.popular_rows), queries // 2)],
            rated[rng.integers(0, len(rated), queries - queries // 2)],
        ]
    )
    channel = ChannelRef("bench", "w", "c")
    members = [
        Actor("bench", f"m{int(u)}", "Bench", Role.MEMBER) for u in rng.integers(0, USERS, queries)
    ]
    cities = [CITIES[int(i)] for i in rng.integers(0, len(CITIES), queries)]
    out: dict[str, object] = {"build_s": build_s, "films": rec.size, "build_peak_mb": build_peak}
    out["before_build_mb"] = before_build
    out["cf_films"] = rec.collaborative.size
    likes = [
        Invocation("recommend like", {"title": f"#{int(rec.film_ids[row])}"}, member, channel)
        for row, member in zip(like_rows, members, strict=True)
    ]
    genres = ["drama", "comedy", "horror", "western", "war"]
    commands = {
        "like_command": likes,
        "showing_command": [
            Invocation("recommend showing", {"city": city, "days": 7}, member, channel)
            for city, member in zip(cities, members, strict=True)
        ],
        "recommend_command": [Invocation("recommend", {}, m, channel) for m in members],
        "genre_command": [
            Invocation("recommend", {"genre": genres[i % len(genres)]}, m, channel)
            for i, m in enumerate(members)
        ],
    }
    for name, invocations in commands.items():
        out[name] = _timed(core, invocations)
    from bot.recommend.scores import preference

    everything = np.arange(rec.size, dtype=np.int64)
    one = preference(np.array([5.0]))
    for name, candidates in (("like_model", None), ("like_baseline", everything)):
        times = []
        for row in like_rows[: queries if candidates is None else min(queries, BASELINE_QUERIES)]:
            t = time.perf_counter()
            rec.rank(np.array([row]), one, limit=50, candidates=candidates)
            times.append((time.perf_counter() - t) * 1000)
        out[name] = timing(times)
    # The showing baseline: score the member against every film, then keep what is showing.
    with db.session() as session:
        from storage import place_queries, recommend_repo

        cinemas = place_queries.cinemas_in_city(session, normalize(CITIES[0]))
        showings = recommend_repo.next_showings(
            session, BENCH_NOW, BENCH_NOW + timedelta(days=7), [c.id for c in cinemas]
        )
        showing_rows = np.array(sorted(rec.rows_of(list(showings)).values()), dtype=np.int64)
        tastes = []
        for member in members[:BASELINE_QUERIES]:
            halves = recommend_repo.member_ratings(session, "bench", member.user_id)
            rows = rec.rows_of(list(halves))
            tastes.append(
                (
                    np.array([rows[f] for f in halves]),
                    preference(np.array([h / 2 for h in halves.values()])),
                )
            )
    for name, scan in (("showing_model", False), ("showing_baseline", True)):
        times = []
        for seeds, prefs in tastes:
            t = time.perf_counter()
            if scan:
                ranked = rec.rank(seeds, prefs, limit=rec.size, candidates=everything)
                ranked.rows[np.isin(ranked.rows, showing_rows)]
            else:
                rec.rank(seeds, prefs, limit=len(showing_rows), candidates=showing_rows)
            times.append((time.perf_counter() - t) * 1000)
        out[name] = timing(times)
    out["peak_mb"] = peak_mb()
    out["rebuild_process"] = _during_rebuild(core, likes)
    if compare_thread:
        import bot.recommend.index as index_module

        # The fallback an in-memory database gets: the same rebuild in a thread.
        index_module.separate_process_possible = lambda url: False  # type: ignore[assignment]
        out["rebuild_thread"] = _during_rebuild(core, likes)
    return out


def _timed(core: object, invocations: list[object]) -> dict[str, float]:
    from bot.core import Marquee
    from bot.types import Invocation

    assert isinstance(core, Marquee)
    times: list[float] = []
    for inv in invocations:
        assert isinstance(inv, Invocation)
        t = time.perf_counter()
        reply = core.handle(inv)
        times.append((time.perf_counter() - t) * 1000)
        assert not reply.is_error, reply
    return {**timing(times), "load": _load()}


def _during_rebuild(core: object, likes: list[object]) -> dict[str, object]:
    """`recommend like` while the index is rebuilt in the background, as it is after a rating
    arrives: the commands answered during the build, and the build awaited to its swap."""
    from dataclasses import replace

    from bot.core import Marquee

    assert isinstance(core, Marquee)
    index = core.recommendations
    built = index._built  # noqa: SLF001 (the bench marks it stale: the database stays as cached)
    assert built is not None
    index._built = replace(built, signature=("stale",))  # noqa: SLF001
    started = time.perf_counter()
    times: list[float] = []
    rounds = 0
    while rounds == 0 or index.building:
        rounds += 1
        for inv in likes:
            from bot.types import Invocation

            assert isinstance(inv, Invocation)
            t = time.perf_counter()
            reply = core.handle(inv)
            times.append((time.perf_counter() - t) * 1000)
            assert not reply.is_error, reply
            if not index.building:
                break
    build_s = time.perf_counter() - started
    load = _load()
    assert index.wait_idle(600), "the rebuild did not finish"
    return {
        **timing(times),
        "load": load,
        "commands": len(times),
        "seconds": build_s,
        "other_process": index.built_by not in (None, os.getpid()),
        "peak_mb": peak_mb(),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--films", type=int, default=1_000_000)
    p.add_argument("--ratings", type=int, default=1_000_000)
    p.add_argument("--queries", type=int, default=300)
    p.add_argument(
        "--compare-thread",
        action="store_true",
        help="also time commands during a rebuild in a thread (the in-memory fallback)",
    )
    p.add_argument("--measure", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.queries, args.compare_thread)))
        return
    url = build_recommend_db(args.films, args.ratings)
    out = subprocess.run(
        [sys.executable, __file__, "--measure", url, "--queries", str(args.queries)]
        + (["--compare-thread"] if args.compare_thread else []),
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"{result['films']:,} films, {args.ratings:,} ratings; index built in "
        f"{result['build_s']:.1f} s (EASE over the {result['cf_films']:,} most-rated films); "
        f"peak memory {result['build_peak_mb']:.0f} MB after the build "
        f"({result['before_build_mb']:.0f} MB before it), "
        f"{result['peak_mb']:.0f} MB after the brute-force baselines"
    )
    print(f"{'what':<52}{'median ms':>11}{'p99 ms':>9}{'load':>6}")
    rows = [
        ("recommend like: command (Marquee.handle)", "like_command"),
        ("recommend like: model (index)", "like_model"),
        ("recommend like: baseline (scan every film)", "like_baseline"),
        ("recommend showing: command (Marquee.handle)", "showing_command"),
        ("recommend showing: model (showing films)", "showing_model"),
        ("recommend showing: baseline (scan, filter)", "showing_baseline"),
        ("recommend: command (Marquee.handle)", "recommend_command"),
        ("recommend <genre>: command (Marquee.handle)", "genre_command"),
        ("recommend like, index rebuilt in a process", "rebuild_process"),
        ("recommend like, index rebuilt in a thread", "rebuild_thread"),
    ]
    for label, key in rows:
        if key not in result:
            continue
        s = result[key]
        load = f"{s['load']:>6.1f}" if "load" in s else ""
        print(f"{label:<52}{s['median_ms']:>11.2f}{s['p99_ms']:>9.2f}{load}")
    for key, how in (("rebuild_process", "a process"), ("rebuild_thread", "a thread")):
        if key in result:
            s = result[key]
            print(
                f"rebuilt in {how}: {s['commands']} commands answered during the "
                f"{s['seconds']:.1f} s build; built by another process: {s['other_process']}; "
                f"serving process peak {s['peak_mb']:.0f} MB"
            )


if __name__ == "__main__":
    main()
