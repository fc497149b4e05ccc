"""Alert delivery across processes: SIGKILL mid fan-out, and two workers on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.alerts_crash import FakeSlackThread, run_parallel, run_restarts
from tests.conftest import _new_pg_database
from tests.pg import PostgresServer

pytestmark = pytest.mark.slow  # worker processes, SIGKILL, a second PostgreSQL database


def test_sigkill_mid_fan_out_neither_repeats_nor_loses_an_alert(tmp_path: Path) -> None:
    # The short version; `bench/alerts_crash.py --restarts 100` runs the long one.
    out = run_restarts(f"sqlite:///{tmp_path / 'crash.db'}", tmp_path / "delivered.log", 3)
    assert out.kills == 3
    assert out.alerts == 750
    assert (out.duplicates, out.misses) == (0, 0)


def test_sigkill_mid_fan_out_on_slack_posts_each_alert_once(tmp_path: Path) -> None:
    """The real SlackNotifier against a fake that, like Slack, takes every post: a batch
    re-sent after a kill is found in the channel's history instead of posted again."""
    slack = FakeSlackThread()
    try:
        out = run_restarts(
            f"sqlite:///{tmp_path / 'crash.db'}", tmp_path / "unused.log", 4, slack=slack
        )
    finally:
        slack.stop()
    assert out.kills == 4 and out.alerts == 750
    assert (out.duplicates, out.misses) == (0, 0)
    assert sum(len(m) for m in slack.fake.history.values()) >= 75  # batched, all posted


def test_two_workers_on_postgresql_deliver_each_alert_once(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = _new_pg_database(postgres)
    alerts, duplicates, misses = run_parallel(url, tmp_path / "delivered.log", workers=2)
    assert alerts == 750
    assert (duplicates, misses) == (0, 0)
    lines = (tmp_path / "delivered.log").read_text().splitlines()
    assert len(lines) >= 75  # batched: up to 10 alerts a message
    assert len({json.loads(line)["pid"] for line in lines}) == 2  # both took part
