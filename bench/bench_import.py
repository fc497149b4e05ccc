"""Bulk import at scale: a 1,000,000-row IMDb title.basics.tsv and 100,000 iCalendar events.

    .venv/bin/python bench/bench_import.py [--rows 1000000] [--events 100000]

Generates (once, cached in bench/.cache/, never committed) an IMDb-layout TSV of synthetic
films and a calendar of single screenings of the demo films at 40 cinemas in 8 zones. Each
phase runs in a fresh process so its peak memory (VmHWM) is its own:
- baseline: the csv module reading the same TSV without writing anything, and a plain line
  read of the calendar — the floor any importer stands on;
- import: `import_films` / `import_showtimes` into a new SQLite database, all-or-nothing;
- flat memory: the TSV import again at a tenth of the rows, to show peak memory does not grow
  with the file.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stats import peak_mb  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache"
ZONES = [
    "Europe/Copenhagen",
    "Europe/Oslo",
    "Australia/Perth",
    "America/New_York",
    "Asia/Tokyo",
    "Europe/London",
    "America/Sao_Paulo",
    "Africa/Nairobi",
]
SYLLABLES = "ka lo mi ne ru sa ta vi do fe gu ha jo ly mø ær öd ße no pa".split()
KINDS = ["movie"] * 8 + ["short", "tvMovie"]
GENRES = ["Drama", "Comedy", "Documentary", "Horror", "Romance", "Thriller", "Animation"]


def make_tsv(rows: int) -> Path:
    path = CACHE / f"title.basics.{rows}.tsv"
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    rng = random.Random(6)
    words = list({"".join(rng.choices(SYLLABLES, k=rng.randint(1, 4))) for _ in range(30000)})
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        out.write(
            "tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\t"
            "endYear\truntimeMinutes\tgenres\n"
        )
        for n in range(1, rows + 1):
            title = " ".join(rng.choices(words, k=rng.randint(1, 5))).title()
            original = title if rng.random() < 0.8 else " ".join(rng.choices(words, k=2)).title()
            year = str(rng.randint(1900, 2026)) if rng.random() < 0.95 else "\\N"
            runtime = str(rng.randint(5, 200)) if rng.random() < 0.8 else "\\N"
            genres = ",".join(rng.sample(GENRES, rng.randint(1, 3)))
            kind = rng.choice(KINDS)
            out.write(
                f"tt{n:08d}\t{kind}\t{title}\t{original}\t0\t{year}\t\\N\t{runtime}\t{genres}\n"
            )
    tmp.rename(path)
    return path


def make_calendar(events: int) -> Path:
    path = CACHE / f"events.{events}.ics"
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    from bot.demo_data import FILMS

    titles = sorted({f["title"] for f in FILMS} - {"Solaris"})
    rng = random.Random(7)
    start = datetime(2027, 1, 1, 12, 0)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        out.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Marquee bench//EN\r\n")
        for n in range(events):
            cinema = rng.randrange(40)
            when = start + timedelta(minutes=15 * rng.randrange(4 * 24 * 365))
            title = rng.choice(titles).replace(",", "\\,")
            out.write(
                "BEGIN:VEVENT\r\n"
                f"UID:bench-{n}@marquee.example\r\n"
                "DTSTAMP:20261101T000000Z\r\n"
                f"SUMMARY:{title}\r\n"
                f"LOCATION:Bench Cinema {cinema}\\, Bench City {cinema % 8}\r\n"
                f"DTSTART;TZID={ZONES[cinema % 8]}:{when:%Y%m%dT%H%M%S}\r\n"
                "CATEGORIES:Digital\r\n"
                f"URL:https://tickets.example/{n}\r\n"
                "END:VEVENT\r\n"
            )
        out.write("END:VCALENDAR\r\n")
    tmp.rename(path)
    return path


def phase(name: str, file: Path, db: Path) -> dict[str, float]:
    """Runs inside the fresh process."""
    started = time.perf_counter()
    cpu_started = _cpu()
    rows = 0
    if name == "baseline-tsv":
        with file.open(encoding="utf-8", newline="") as f:
            for _ in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                rows += 1
        rows -= 1
    elif name == "baseline-ics":
        with file.open(encoding="utf-8", newline="") as f:
            rows = sum(1 for line in f if line.startswith("BEGIN:VEVENT"))
    else:
        from bot.demo import load_demo
        from bot.importers.films import import_films
        from bot.importers.job import ImportJob
        from bot.importers.showtimes import import_showtimes
        from bot.resolve import TitleResolver
        from bot.types import Actor, Role
        from storage.db import Database

        database = Database(f"sqlite:///{db}")
        database.migrate()
        now = datetime(2026, 11, 24, tzinfo=UTC)
        resolver = TitleResolver()
        if name == "import-ics":
            with database.session() as session:
                load_demo(session, now)
        started, cpu_started = time.perf_counter(), _cpu()
        job = ImportJob(database, resolver, Actor("bench", "bench", "bench", Role.ADMIN), now)
        if name == "import-tsv":
            summary = import_films(job, file)
        else:
            summary = import_showtimes(job, file)
        rows = summary.created + summary.updated + summary.unchanged + summary.skipped
        assert summary.rejected == 0, summary
    seconds = time.perf_counter() - started
    cpu = _cpu() - cpu_started
    return {
        "rows": rows,
        "seconds": seconds,
        "cpu_s": cpu,
        "rows_per_s": rows / seconds,
        "peak_mb": peak_mb(),
    }


def _cpu() -> float:
    """This process's CPU seconds: on a shared machine, wall time also counts other work."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_phase(name: str, file: Path) -> dict[str, float]:
    db = CACHE / f"bench-{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--file", str(file), "--db", str(db)],
        check=True,
        capture_output=True,
        text=True,
    )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--phase")
    p.add_argument("--file", type=Path)
    p.add_argument("--db", type=Path)
    args = p.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.file, args.db)))
        return
    tsv, small_tsv = make_tsv(args.rows), make_tsv(max(1, args.rows // 10))
    ics = make_calendar(args.events)
    results = [
        ("csv module reads the TSV (baseline)", run_phase("baseline-tsv", tsv)),
        (f"import films, {args.rows // 10:,}-row TSV", run_phase("import-tsv", small_tsv)),
        (f"import films, {args.rows:,}-row TSV", run_phase("import-tsv", tsv)),
        ("plain line read of the calendar (baseline)", run_phase("baseline-ics", ics)),
        (f"import showtimes, {args.events:,} events", run_phase("import-ics", ics)),
    ]
    print(f"{'phase':46} {'rows':>10} {'seconds':>8} {'CPU s':>6} {'rows/s':>10} {'peak MB':>8}")
    for label, r in results:
        print(
            f"{label:46} {r['rows']:>10,.0f} {r['seconds']:>8.1f} {r['cpu_s']:>6.1f} "
            f"{r['rows_per_s']:>10,.0f} {r['peak_mb']:>8.0f}"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
