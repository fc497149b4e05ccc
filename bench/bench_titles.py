"""Title resolution at a million titles: Marquee's resolver against brute-force rapidfuzz.

    .venv/bin/python bench/bench_titles.py [--films 1000000] [--queries 1000] [--no-postgres]

Builds (once, cached in bench/.cache/) a synthetic catalogue, makes misspelt queries from real
catalogue titles (one or two edits, sometimes typed without accents), and measures each side in
its own fresh process, so each one's peak memory is its own:
- marquee: `TitleResolver.resolve` as a command runs it (a unit of work per query, scoped to a
  community: the exact B-tree lookup, the trigram index, which keeps the titles the community
  sees, and the prefix lookup when nothing scored near-exactly), after building the index;
- baseline: rapidfuzz `process.extractOne` with `fuzz.ratio` over all pre-normalised titles
  held in memory (the strongest brute force; `WRatio` is slower and misranks short titles);
- pg_trgm: the same normalised titles COPYed into a throwaway PostgreSQL server (tests/pg.py)
  with a GIN `gin_trgm_ops` index, each query answered by `norm % q ORDER BY similarity DESC
  LIMIT 10` at similarity thresholds 0.5 and 0.3 (`--no-postgres` skips it). Its memory lives
  in the server, so instead of a peak RSS the table gives the GIN index's size on disk.
Top-1 accuracy: the first film offered has the title the query was made from.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from anyascii import anyascii  # noqa: E402

from bench.catalogue import build_catalogue, catalogue_path  # noqa: E402
from bench.stats import peak_mb, timing  # noqa: E402
from bot.normalize import normalize  # noqa: E402


def misspell(rng: random.Random, title: str) -> str:
    text = title
    for _ in range(rng.choice([1, 1, 2])):
        if len(text) < 4:
            break
        i = rng.randrange(1, len(text) - 1)
        op = rng.choice(["delete", "insert", "substitute", "transpose"])
        letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
        if op == "delete":
            text = text[:i] + text[i + 1 :]
        elif op == "insert":
            text = text[:i] + letter + text[i:]
        elif op == "substitute":
            text = text[:i] + letter + text[i + 1 :]
        else:
            text = text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]
    if rng.random() < 0.5:
        text = anyascii(text)  # typed on a keyboard without the accents
    return text.lower() if rng.random() < 0.5 else text


def make_queries(url: str, count: int, seed: int) -> list[dict[str, str]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        top = conn.execute(text("SELECT max(id) FROM film_title")).scalar_one()
        rng = random.Random(seed)
        ids = rng.sample(range(1, top + 1), count)
        rows = conn.execute(
            text(f"SELECT id, title FROM film_title WHERE id IN ({','.join(map(str, ids))})")
        ).all()
    engine.dispose()
    return [{"query": misspell(rng, t), "expected": normalize(t)} for _, t in rows]


def phase_marquee(url: str, queries: list[dict[str, str]]) -> dict[str, object]:
    from bot.core import Marquee
    from storage import communities, film_queries
    from storage.community_scope import Scope, set_scope
    from storage.db import Database

    core = Marquee(Database(url))
    started = time.perf_counter()
    core.warm_up()
    load_s = time.perf_counter() - started
    with core.db.session() as session:
        # A command resolves inside its community's scope: the demo's community, whose local
        # films the index must keep apart from every other community's.
        scope = Scope(communities.first_community(session))
    times, correct, answers = [], 0, []
    for q in queries:
        t0 = time.perf_counter()
        with core.db.session() as session:
            set_scope(session, scope)
            res = core.resolver.resolve(session, q["query"])
        times.append((time.perf_counter() - t0) * 1000)
        answers.append(res.film_id or (res.choices or res.suggestions or [None])[0])
    with core.db.session() as session:
        films = film_queries.get_films(session, [a for a in answers if a])
        for q, a in zip(queries, answers, strict=True):
            correct += a is not None and normalize(films[a].title) == q["expected"]
    return {
        **timing(times),
        "accuracy": correct / len(queries),
        "peak_mb": peak_mb(),
        "index_load_s": load_s,
        "titles": len(core.resolver.index),
    }


def phase_baseline(url: str, queries: list[dict[str, str]]) -> dict[str, object]:
    from rapidfuzz import fuzz, process
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        norms = [r[0] for r in conn.execute(text("SELECT norm FROM film_title"))]
    engine.dispose()
    times, correct = [], 0
    for q in queries:
        t0 = time.perf_counter()
        best = process.extractOne(normalize(q["query"]), norms, scorer=fuzz.ratio)
        times.append((time.perf_counter() - t0) * 1000)
        correct += best is not None and best[0] == q["expected"]
    return {**timing(times), "accuracy": correct / len(queries), "peak_mb": peak_mb()}


PG_THRESHOLDS = (0.5, 0.3)


def phase_postgres(url: str, queries: list[dict[str, str]]) -> dict[str, object]:
    import psycopg
    from sqlalchemy import create_engine, text

    from tests.pg import PostgresServer

    engine = create_engine(url)
    with engine.connect() as conn:
        norms = [r[0] for r in conn.execute(text("SELECT norm FROM film_title"))]
    engine.dispose()
    server = PostgresServer.start()
    try:
        server.create_database("titles")
        dsn = f"host=127.0.0.1 port={server.port} user=postgres dbname=titles"
        with psycopg.connect(dsn, autocommit=True) as conn:
            started = time.perf_counter()
            conn.execute("CREATE EXTENSION pg_trgm")
            conn.execute("CREATE TABLE title (id serial PRIMARY KEY, norm text NOT NULL)")
            with conn.cursor().copy("COPY title (norm) FROM STDIN") as copy:
                for norm in norms:
                    copy.write_row((norm,))
            del norms
            # The default 64 MB makes the GIN build spill to disk many times over.
            conn.execute("SET maintenance_work_mem = '512MB'")
            conn.execute("CREATE INDEX title_norm_trgm ON title USING gin (norm gin_trgm_ops)")
            conn.execute("ANALYZE title")
            load_s = time.perf_counter() - started
            index_mb = conn.execute("SELECT pg_relation_size('title_norm_trgm')").fetchone()[0]
            results: dict[str, object] = {"load_s": load_s, "index_mb": index_mb / 2**20}
            sql = (
                "SELECT norm FROM title WHERE norm %% %s"
                " ORDER BY similarity(norm, %s) DESC LIMIT 10"
            )
            for threshold in PG_THRESHOLDS:
                conn.execute(f"SET pg_trgm.similarity_threshold = {threshold}")
                times, correct = [], 0
                for q in queries:
                    norm = normalize(q["query"])
                    t0 = time.perf_counter()
                    rows = conn.execute(sql, (norm, norm), prepare=True).fetchall()
                    times.append((time.perf_counter() - t0) * 1000)
                    correct += bool(rows) and rows[0][0] == q["expected"]
                results[str(threshold)] = {**timing(times), "accuracy": correct / len(queries)}
    finally:
        server.stop()
    return results


def run_phase(name: str, url: str, queries_file: Path) -> dict[str, object]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--phase",
            name,
            "--url",
            url,
            "--queries-file",
            str(queries_file),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--films", type=int, default=1_000_000)
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument(
        "--baseline-queries",
        type=int,
        default=None,
        help="queries for the brute-force baseline (default: the same set)",
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--no-postgres", action="store_true", help="skip the PostgreSQL pg_trgm baseline"
    )
    p.add_argument("--phase", choices=["marquee", "baseline", "postgres"], help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--queries-file", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.phase:
        queries = json.loads(args.queries_file.read_text())
        phases = {"marquee": phase_marquee, "baseline": phase_baseline, "postgres": phase_postgres}
        result = phases[args.phase](args.url, queries)
        print(json.dumps(result))
        return

    url = build_catalogue(catalogue_path(args.films), args.films)
    queries = make_queries(url, args.queries, args.seed)
    qfile = catalogue_path(args.films).with_suffix(f".queries-{args.seed}.json")
    qfile.write_text(json.dumps(queries))
    bfile = qfile
    if args.baseline_queries:
        bfile = qfile.with_suffix(".baseline.json")
        bfile.write_text(json.dumps(queries[: args.baseline_queries]))
    print(f"{args.films:,} synthetic films + demo; {len(queries)} misspelt queries, e.g.")
    for q in queries[:3]:
        print(f"   {q['query']!r}  (from {q['expected']!r})")
    mq = run_phase("marquee", url, qfile)
    base = run_phase("baseline", url, bfile)
    pg = None if args.no_postgres else run_phase("postgres", url, qfile)
    print()
    print(f"{'':34}{'median':>10}{'p99':>10}{'top-1':>9}{'peak RSS':>11}")
    print(
        f"{'Marquee resolver (SQLite + index)':34}{mq['median_ms']:>8.2f}ms{mq['p99_ms']:>8.2f}ms"
        f"{mq['accuracy']:>9.1%}{mq['peak_mb']:>8.0f} MB"
    )
    print(
        f"{'brute force rapidfuzz ratio':34}{base['median_ms']:>8.2f}ms{base['p99_ms']:>8.2f}ms"
        f"{base['accuracy']:>9.1%}{base['peak_mb']:>8.0f} MB"
    )
    if pg is not None:
        for threshold in PG_THRESHOLDS:
            row = pg[str(threshold)]
            label = f"PostgreSQL pg_trgm GIN, sim >= {threshold}"
            print(
                f"{label:34}{row['median_ms']:>8.2f}ms{row['p99_ms']:>8.2f}ms"
                f"{row['accuracy']:>9.1%}{'(server)':>11}"
            )
        print(
            f"pg_trgm: COPY + GIN index built in {pg['load_s']:.1f} s; "
            f"index {pg['index_mb']:.0f} MB on disk"
        )
    print(
        f"\nspeed-up at the median: {base['median_ms'] / mq['median_ms']:.0f}x; "
        f"index of {mq['titles']:,} titles loaded in {mq['index_load_s']:.1f} s"
    )


if __name__ == "__main__":
    main()
