"""Alert delivery under SIGKILL and with several workers: counts duplicates and misses.

    .venv/bin/python bench/alerts_crash.py [--restarts 100] [--platform both|discord|slack]
    .venv/bin/python bench/alerts_crash.py --workers 2      (on a PostgreSQL it starts)

A setup fills a database with channels subscribed to everything and screenings announced at
once (a fan-out of several hundred alerts in dozens of messages). A worker process then
delivers them to a fake platform that appends each accepted message, with its alert ids, to a
log file — one write() per message, so a message is in the log exactly when the platform took
it. The harness kills the worker with SIGKILL at a random moment of the fan-out, restarts it,
and repeats; the last worker runs to the end. From the log it counts alerts delivered twice and
alerts never delivered.

Two platforms, one run each:
- discord: the fake platform deduplicates on the message's idempotency key like Discord's
  message nonce (`enforce_nonce`); the batches it turned away are counted too: that is how
  many duplicates a platform without such a key would have shown (crashes between its accept
  and our mark).
- slack: the real SlackNotifier (slack-sdk over HTTP) posts to the test suite's fake Slack,
  served by this harness on 127.0.0.1 so it outlives the workers. Like Slack it accepts every
  post; the notifier itself must find a re-sent batch in the channel's history (by the batch
  key in the message metadata) and not post it again. Duplicates are counted from the fake's
  history: messages per batch key, times the alerts in that batch.

Each worker generation runs its clock ten minutes after the previous one's, so the leases a
killed worker held have expired for its successor without anyone waiting in real time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from bot.alerts.delivery import AlertDelivery  # noqa: E402
from bot.alerts.scheduler import AlertScheduler  # noqa: E402
from bot.notify import Notifier  # noqa: E402
from bot.types import ChannelRef, Reply  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models_alerts import AlertOutbox, Subscription  # noqa: E402
from storage.models_catalogue import Film  # noqa: E402
from storage.models_screenings import Cinema, Showtime  # noqa: E402

T0 = datetime(2025, 7, 20, 2, 0, tzinfo=UTC)
GENERATION_STEP = timedelta(minutes=10)
# The one community a fresh database has (migration 0008); the cinema and screenings are shared.
COMMUNITY = 1


def setup(url: str, channels: int, showtimes: int, platform: str = "fake") -> int:
    """A fresh schema, `channels` subscriptions to everything, `showtimes` new screenings, and
    one scheduler tick that records their announcements. Returns the number of alerts."""
    db = Database(url)
    db.migrate()
    with db.session() as session:
        cinema = Cinema(
            name="Luna Leederville",
            norm="luna leederville",
            city="Perth",
            city_norm="perth",
            timezone="Australia/Perth",
        )
        film = Film(title="Second Victims", year=2025, created_at=T0, updated_at=T0)
        session.add_all([cinema, film])
        session.flush()
        for i in range(channels):
            session.add(
                Subscription(
                    community_id=COMMUNITY,
                    platform=platform,
                    workspace_id="w",
                    channel_id=f"C{i:04d}",
                    target_kind="all",
                    kinds=["new"],
                    reminder_leads_minutes=[],
                    created_by="bench",
                    created_at=T0,
                )
            )
        for i in range(showtimes):
            starts = T0 + timedelta(days=5, minutes=15 * i)
            session.add(
                Showtime(
                    film_id=film.id,
                    cinema_id=cinema.id,
                    starts_at=starts,
                    created_at=T0,
                    updated_at=T0,
                )
            )
    AlertScheduler(db, lambda: T0 + timedelta(minutes=1)).tick()
    with db.session() as session:
        total = session.scalar(select(func.count()).select_from(AlertOutbox)) or 0
    db.dispose()
    return total


class LogPlatform:
    """A fake platform: appends each accepted message to a log; optional nonce dedupe."""

    platform = "fake"

    def __init__(self, log_path: Path, *, dedupe: bool) -> None:
        self.log_path = log_path
        self.dedupe = dedupe
        self.seen: set[str] = set()
        if dedupe and log_path.exists():
            for line in log_path.read_text().splitlines():
                self.seen.add(json.loads(line)["key"])
        self.fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    async def post(self, channel: ChannelRef, reply: Reply) -> str:
        assert reply.delivery is not None
        key = reply.delivery.key
        await asyncio.sleep(0.001)  # a platform's round trip, so kills land mid fan-out
        if self.dedupe and key in self.seen:
            print("refused-duplicate", flush=True)
            return key
        entry = {
            "key": key,
            "channel": channel.channel_id,
            "ids": list(reply.delivery.alert_ids),
            "pid": os.getpid(),
        }
        os.write(self.fd, (json.dumps(entry) + "\n").encode())
        self.seen.add(key)
        print("posted", flush=True)
        return key


class Announcing:
    """Wraps a real notifier: says "posted" after each post, so the harness can time kills."""

    def __init__(self, inner: Notifier) -> None:
        self.inner = inner
        self.platform = inner.platform

    async def post(self, channel: ChannelRef, reply: Reply) -> str:
        message_id = await self.inner.post(channel, reply)
        print("posted", flush=True)
        return message_id


async def work(
    url: str,
    log_path: Path,
    generation: int,
    dedupe: bool,
    wait_go: bool,
    slack_url: str | None = None,
) -> None:
    db = Database(url)
    notifier: Notifier = LogPlatform(log_path, dedupe=dedupe)
    if slack_url:
        from slack_sdk.web.async_client import AsyncWebClient

        from adapters.slack.notifier import SlackNotifier

        client = AsyncWebClient(token=SLACK_TOKEN, base_url=slack_url)
        notifier = Announcing(SlackNotifier(client))
    if wait_go:  # start together with the other workers: the harness says when
        print("ready", flush=True)
        sys.stdin.readline()
    offset = T0 + timedelta(minutes=2) + generation * GENERATION_STEP

    def clock() -> datetime:
        return offset

    delivery = AlertDelivery(
        db,
        {notifier.platform: notifier},
        clock,
        claim_limit=50,
        worker=f"g{generation}-{os.getpid()}",
    )
    while True:
        await delivery.run_once()
        with db.session() as session:
            pending = session.scalar(
                select(func.count()).select_from(AlertOutbox).where(AlertOutbox.status == "pending")
            )
        if not pending:
            break
    print("done", flush=True)
    db.dispose()


@dataclass
class Outcome:
    alerts: int
    kills: int
    duplicates: int
    misses: int
    refused_resends: int


def count(url: str, log_path: Path) -> tuple[int, int]:
    delivered: Counter[int] = Counter()
    for line in log_path.read_text().splitlines():
        delivered.update(json.loads(line)["ids"])
    db = Database(url)
    with db.session() as session:
        expected = set(session.scalars(select(AlertOutbox.id)))
    db.dispose()
    duplicates = sum(n - 1 for n in delivered.values() if n > 1)
    misses = len(expected - set(delivered))
    return duplicates, misses


def _spawn(
    url: str,
    log_path: Path,
    generation: int,
    dedupe: bool,
    wait_go: bool = False,
    slack_url: str | None = None,
) -> subprocess.Popen[str]:
    args = [sys.executable, __file__, "--worker", "--database-url", url, "--log", str(log_path)]
    args += ["--generation", str(generation)] + ([] if dedupe else ["--no-dedupe"])
    args += ["--slack-url", slack_url] if slack_url else []
    args += ["--wait-go"] if wait_go else []
    stdin = subprocess.PIPE if wait_go else None
    return subprocess.Popen(args, stdin=stdin, stdout=subprocess.PIPE, text=True)


def run_restarts(
    url: str, log_path: Path, restarts: int, *, seed: int = 5, slack: FakeSlackThread | None = None
) -> Outcome:
    """Kill a worker `restarts` times mid fan-out, then let one finish; count from the log (or,
    on Slack, from the fake Slack's channel history)."""
    # Enough messages that every kill lands mid fan-out (a kill comes after 1-8 posts).
    platform = "slack" if slack else "fake"
    alerts = setup(url, channels=30, showtimes=max(25, 2 * restarts), platform=platform)
    slack_url = slack.api_url if slack else None
    rng = random.Random(seed)
    refused = kills = generation = 0
    finished = False
    while not finished:
        target = rng.randint(1, 8) if kills < restarts else None
        child = _spawn(url, log_path, generation, dedupe=True, slack_url=slack_url)
        assert child.stdout is not None
        posted = 0
        for line in child.stdout:
            word = line.strip()
            refused += word == "refused-duplicate"
            posted += word == "posted"
            if target is not None and posted >= target:
                child.send_signal(signal.SIGKILL)
                kills += 1
                break
        child.stdout.close()
        code = child.wait()
        generation += 1
        if code == 0:
            finished = True  # ran to the end ("done"): everything is delivered
        elif code != -signal.SIGKILL:
            raise RuntimeError(f"worker generation {generation} failed with {code}")
    if slack is not None:
        duplicates, misses, refused = slack.count(url)
    else:
        duplicates, misses = count(url, log_path)
    return Outcome(alerts, kills, duplicates, misses, refused)


SLACK_TOKEN = "xoxb-fake-bot-token"


class FakeSlackThread:
    """The suite's fake Slack, served on its own event loop in a thread of the harness."""

    def __init__(self) -> None:
        import threading

        from tests.slack_adapter.fake_slack import FakeSlack

        self.fake = FakeSlack(bot_token=SLACK_TOKEN)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result(10)
        self.api_url = self.fake.api_url

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def count(self, url: str) -> tuple[int, int, int]:
        """(duplicate alerts, alerts never posted, re-sent batches looked up in history)."""
        posted: Counter[str] = Counter()
        for messages in list(self.fake.history.values()):
            for message in messages:
                posted[message["metadata"]["event_payload"]["batch_key"]] += 1
        db = Database(url)
        with db.session() as session:
            rows = session.execute(select(AlertOutbox.id, AlertOutbox.batch_key)).all()
        db.dispose()
        per_batch = Counter(key for _, key in rows)
        duplicates = sum((n - 1) * per_batch[key] for key, n in posted.items() if n > 1)
        misses = sum(1 for _, key in rows if key not in posted)
        looked = len(self.fake.calls_to("conversations.history"))
        return duplicates, misses, looked


def run_parallel(url: str, log_path: Path, workers: int = 2) -> tuple[int, int, int]:
    """`workers` processes deliver one fan-out at once (no platform dedupe): (alerts, dup, miss)."""
    alerts = setup(url, 30, 25)
    children = [_spawn(url, log_path, 0, dedupe=False, wait_go=True) for _ in range(workers)]
    for child in children:
        assert child.stdout is not None and child.stdin is not None
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError("a worker did not start")
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.close()
    for child in children:
        assert child.stdout is not None
        child.stdout.read()
        child.stdout.close()
        if child.wait() != 0:
            raise RuntimeError("a worker failed")
    duplicates, misses = count(url, log_path)
    return alerts, duplicates, misses


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--restarts", type=int, default=100)
    p.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    p.add_argument(
        "--workers", type=int, default=0, help="instead: N workers sharing one PostgreSQL"
    )
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--log", help=argparse.SUPPRESS)
    p.add_argument("--generation", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--no-dedupe", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--wait-go", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--slack-url", help=argparse.SUPPRESS)
    p.add_argument("--platform", choices=("both", "discord", "slack"), default="both")
    args = p.parse_args()
    if args.worker:
        dedupe = not args.no_dedupe
        asyncio.run(
            work(
                args.database_url,
                Path(args.log),
                args.generation,
                dedupe,
                args.wait_go,
                args.slack_url,
            )
        )
        return 0
    if args.workers:
        return parallel_on_postgres(args.workers)
    ok = True
    for platform in ("discord", "slack") if args.platform == "both" else (args.platform,):
        slack = FakeSlackThread() if platform == "slack" else None
        try:
            with tempfile.TemporaryDirectory() as tmp:
                url = args.database_url or f"sqlite:///{tmp}/crash.db"
                out = run_restarts(url, Path(tmp) / "delivered.log", args.restarts, slack=slack)
        finally:
            if slack is not None:
                slack.stop()
        how = (
            "look(s) at a channel's history for re-sent batches before posting them"
            if slack
            else "batch re-send(s) after a crash between the platform's accept and our mark, "
            "turned away by the idempotency key"
        )
        print(
            f"{platform}: {out.kills} SIGKILL restarts, {out.alerts} alerts: "
            f"{out.duplicates} duplicates, {out.misses} misses; {out.refused_resends} {how}"
        )
        ok = ok and out.duplicates == 0 and out.misses == 0
    return 0 if ok else 1


def parallel_on_postgres(workers: int) -> int:
    """`workers` processes share one fan-out on a throwaway PostgreSQL server."""
    from tests.pg import PostgresServer

    server = PostgresServer.start()
    try:
        url = server.create_database("crash")
        with tempfile.TemporaryDirectory() as tmp:
            log_path = Path(tmp) / "delivered.log"
            alerts, duplicates, misses = run_parallel(url, log_path, workers)
            pids = {json.loads(line)["pid"] for line in log_path.read_text().splitlines()}
    finally:
        server.stop()
    print(
        f"{workers} workers on one PostgreSQL, {alerts} alerts: {duplicates} duplicates, "
        f"{misses} misses; {len(pids)} of the workers posted"
    )
    return 0 if duplicates == 0 and misses == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
