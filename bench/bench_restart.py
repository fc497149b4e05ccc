"""Time to first answer after a start, at a million titles: a saved title index against a rebuild.

    .venv/bin/python bench/bench_restart.py [--films 1000000] [--runs 7]

Each run starts the real console (`marquee shell`, the composition root every adapter uses:
settings, migration check, the core, the index warm-up) as a fresh process on the cached
synthetic catalogue (bench/catalogue.py) and pipes it one misspelt `film` command; the time is
from the spawn to the line of its answer. Python's start and imports are counted too.
- saved: MARQUEE_TITLE_INDEX_DIR points at a saved copy (made by an untimed first start), which
  the start checks against the database and maps (bot/title_index_file.py);
- baseline: MARQUEE_TITLE_INDEX_DIR=off, the index rebuilt from every title row, as before.
The two kinds alternate, so a slower stretch of the machine hits both alike.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalogue import build_catalogue, catalogue_path  # noqa: E402
from bench.stats import line  # noqa: E402

MARQUEE = Path(sys.executable).with_name("marquee")
QUESTION = "film secnd victms\n"
ANSWER = "Second Victims (2025)"


def first_answer(url: str, index_dir: str) -> float:
    """Seconds from spawning the console to the line that answers QUESTION."""
    env = {**os.environ, "DATABASE_URL": url, "MARQUEE_TITLE_INDEX_DIR": index_dir}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(MARQUEE), "shell", "--no-alerts"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(QUESTION)
    proc.stdin.flush()
    for row in proc.stdout:
        if ANSWER in row:
            took = time.perf_counter() - start
            break
    else:
        raise SystemExit(f"the console never answered {QUESTION.strip()!r}")
    proc.stdin.close()
    proc.wait(timeout=60)
    return took


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--films", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=7, help="timed starts of each kind")
    args = p.parse_args()
    cached = build_catalogue(catalogue_path(args.films), args.films)
    with tempfile.TemporaryDirectory(prefix="marquee-restart-") as tmp:
        # A scratch copy: the start may write (migrations, the saved index beside it).
        db = Path(tmp) / "catalogue.db"
        shutil.copyfile(cached.removeprefix("sqlite:///"), db)
        url = f"sqlite:///{db}"
        saved = str(Path(tmp) / "titles")
        made = first_answer(url, saved)  # untimed: builds and saves the copy
        print(f"first start, building and saving the index: {made:.2f} s")
        size = sum(f.stat().st_size for f in Path(saved).iterdir()) / 2**20
        print(f"saved copy: {size:.0f} MB in {saved}")
        timed: dict[str, list[float]] = {"saved": [], "baseline": []}
        for _ in range(args.runs):
            timed["saved"].append(first_answer(url, saved) * 1000)
            timed["baseline"].append(first_answer(url, "off") * 1000)
    print(f"\ntime to first answer, {args.films:,} films, {args.runs} starts each")
    print(f"{'':46}{'median':>12}{'p99':>12}{'max':>12}")
    print(line("saved index, mapped", timed["saved"]))
    print(line("baseline: index rebuilt at start", timed["baseline"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
