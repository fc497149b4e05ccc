"""Graceful shutdown: SIGTERM mid fan-out, then a restart, and every alert arrives once.

The worker below is `marquee run` without Discord and Slack: the same shutdown path
(`serve_until_stopped`: signal handlers, the alert loop drained first, the platforms closed
after) and the same alert loop (`run_forever`), delivering to the fake platform of
bench/alerts_crash.py, which logs each accepted message and says "posted" on stdout. The
harness sends SIGTERM when it has read the Nth "posted", so the signal lands mid fan-out.

The restarted worker runs on the same clock as the stopped one: a row the stopped worker
still held would stay leased for it, and the restart would never finish. So finishing proves
the leases were handed back, and the log proves nothing was posted twice (no platform dedupe).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.alerts_crash import T0, LogPlatform, _spawn, count, setup
from bot.alerts.delivery import AlertDelivery, run_forever
from bot.types import ChannelRef, Reply
from storage.db import Database

ROOT = Path(__file__).resolve().parent.parent
# Generation 0's clock in bench/alerts_crash.py, so its restarted worker shares it.
CLOCK = T0 + timedelta(minutes=2)
BOUND = 120  # seconds: a wait that ends a hung test, never a measure of speed


class HangingPlatform(LogPlatform):
    """Accepts `accept` messages, then never answers again (a platform that hangs)."""

    def __init__(self, log_path: Path, accept: int) -> None:
        super().__init__(log_path, dedupe=False)
        self.accept = accept

    async def post(self, channel: ChannelRef, reply: Reply) -> str:
        if self.accept <= 0:
            await asyncio.Event().wait()
        self.accept -= 1
        return await super().post(channel, reply)


async def platform_connection() -> None:
    """Stands in for a platform's connection: runs until closed, and says it closed."""
    try:
        await asyncio.Event().wait()
    finally:
        print("platform-closed", flush=True)


async def serve(url: str, log_path: Path, hang_after: int | None) -> None:
    from adapters.serving import serve_until_stopped

    db = Database(url)
    platform = (
        LogPlatform(log_path, dedupe=False)
        if hang_after is None
        else HangingPlatform(log_path, hang_after)
    )
    # One pass claims most of the fan-out: channels have messages queued behind the one in
    # flight when the signal comes, which must go back to the outbox.
    delivery = AlertDelivery(db, {"fake": platform}, lambda: CLOCK, claim_limit=500)

    def alert_loop(stop: asyncio.Event) -> Coroutine[Any, Any, None]:
        return run_forever(lambda: None, delivery, interval=0.01, stop=stop)

    await serve_until_stopped([platform_connection()], alert_loop)
    db.dispose()


def stop_mid_fan_out(url: str, log_path: Path, after: int, hang_after: int | None) -> list[str]:
    """Start the worker, SIGTERM it after `after` posts; its exit status and what it said."""
    args = [sys.executable, "-m", "tests.test_shutdown", "--url", url, "--log", str(log_path)]
    args += [] if hang_after is None else ["--hang-after", str(hang_after)]
    child = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    said: list[str] = []
    for line in child.stdout:
        said.append(line.strip())
        if said.count("posted") == after:
            child.terminate()  # SIGTERM
            break
    try:
        said += child.communicate(timeout=BOUND)[0].split()
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise AssertionError("the worker did not exit after SIGTERM") from None
    assert child.returncode == 0, said
    return said


def restart_to_the_end(url: str, log_path: Path) -> None:
    child = _spawn(url, log_path, 0, dedupe=False)
    try:
        out, _ = child.communicate(timeout=BOUND)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise AssertionError("the restarted worker never finished: alerts left leased") from None
    assert child.returncode == 0 and out.split()[-1] == "done"


@pytest.mark.slow
def test_sigterm_mid_fan_out_finishes_the_batch_and_hands_back_the_rest(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shutdown.db'}"
    log_path = tmp_path / "delivered.log"
    assert setup(url, channels=30, showtimes=25) == 750
    said = stop_mid_fan_out(url, log_path, after=3, hang_after=None)
    assert said[-1] == "platform-closed"
    first = len(log_path.read_text().splitlines())
    assert 3 <= first < 75  # stopped mid fan-out: 75 messages of up to 10 alerts
    restart_to_the_end(url, log_path)
    assert count(url, log_path) == (0, 0)  # (duplicates, misses)


@pytest.mark.slow
def test_sigterm_with_a_hung_platform_still_exits_and_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shutdown.db'}"
    log_path = tmp_path / "delivered.log"
    assert setup(url, channels=30, showtimes=25) == 750
    # The platform stops answering after 2 posts; the posts in flight are cancelled on the
    # drain timeout and their rows handed back with their batch keys.
    said = stop_mid_fan_out(url, log_path, after=2, hang_after=2)
    assert said[-1] == "platform-closed"
    assert len(log_path.read_text().splitlines()) == 2
    restart_to_the_end(url, log_path)
    assert count(url, log_path) == (0, 0)


async def test_a_failing_platform_stops_the_alert_loop_gently_and_is_raised() -> None:
    from adapters.serving import serve_until_stopped

    steps: list[str] = []

    async def broken_platform() -> None:
        raise RuntimeError("the gateway refused the token")

    async def alert_loop(stop: asyncio.Event) -> None:
        try:
            await stop.wait()
            steps.append("alerts stopped")  # told to stop, not cancelled
        except asyncio.CancelledError:
            steps.append("alerts cancelled")
            raise

    with pytest.raises(RuntimeError, match="refused the token"):
        await serve_until_stopped([broken_platform(), platform_connection()], alert_loop)
    assert steps == ["alerts stopped"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--hang-after", type=int)
    args = parser.parse_args()
    asyncio.run(serve(args.url, Path(args.log), args.hang_after))
