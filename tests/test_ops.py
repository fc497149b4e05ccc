"""Operating Marquee: /healthz and /metrics scraped over real HTTP, and the log's lines.

Every endpoint test starts the real aiohttp server on 127.0.0.1 (a free port) and reads it
with an HTTP client, as Prometheus or a container's health check would.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from adapters.core_calls import handle_off_loop, observing
from adapters.ops.health import Health, OpsServer
from adapters.ops.logs import REDACTED, configure_logging
from adapters.ops.metrics import Metrics
from adapters.serving import run_platforms
from bot.alerts.delivery import AlertDelivery, run_forever
from bot.alerts.pacing import Pacer
from bot.alerts.scheduler import AlertScheduler
from bot.core import Marquee
from bot.dispatch import HANDLERS
from bot.notify import RateLimited
from bot.settings import Settings, SettingsError
from bot.types import Actor, Invocation, Reply
from tests.conftest import CHANNEL, MEMBER, MODERATOR, make_core
from tests.slack_adapter.fake_slack import FakeSlack
from tests.slack_adapter.workspace import SocketTransport, Workspace
from tests.test_alerts import Alerts

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


async def get(port: int, path: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}{path}") as response:
            return response.status, response.headers["Content-Type"], await response.text()


def value(text: str, name: str, **labels: str) -> float | None:
    """The sample `name{labels}` in a Prometheus text exposition, or None if absent."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 500.0

    def __call__(self) -> float:
        return self.t


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def ask(core: Marquee, command: str, actor: Actor = MEMBER, **args: Any) -> Reply:
    """A command through the door both chat adapters use."""
    return await handle_off_loop(core.handle, Invocation(command, args, actor, CHANNEL))


# ---------------------------------------------------------------------------------------------
# /metrics
# ---------------------------------------------------------------------------------------------


async def test_command_counts_and_latencies_change_as_commands_run(
    core: Marquee, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics = Metrics(core.db)
    server = OpsServer("127.0.0.1", 0, metrics, Health(core.db))
    port = await server.start()
    try:
        status, content_type, before = await get(port, "/metrics")
        assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
        ok = {"command": "review", "platform": "test", "outcome": "ok"}
        assert value(before, "marquee_commands_total", **ok) is None

        with observing(metrics):
            assert not (await ask(core, "review", title="Second Victims")).is_error
            assert not (await ask(core, "review", title="Second Victims")).is_error
            # A member may not add reviews: refused, nothing changed.
            assert (await ask(core, "review add", film="Arrival", rating="4")).is_error

            def locked(*_: object) -> Reply:
                raise OperationalError("UPDATE", {}, Exception("database is locked"))

            def broken(*_: object) -> Reply:
                raise RuntimeError("a bug")

            monkeypatch.setitem(HANDLERS, "film", locked)
            await ask(core, "film", title="Arrival")
            monkeypatch.setitem(HANDLERS, "film", broken)
            await ask(core, "film", title="Arrival")
        # Outside the block nothing is observed any more.
        await ask(core, "review", title="Second Victims")

        _, _, after = await get(port, "/metrics")
        assert value(after, "marquee_commands_total", **ok) == 2
        refused = {"command": "review add", "platform": "test", "outcome": "refused"}
        assert value(after, "marquee_commands_total", **refused) == 1
        for outcome in ("busy", "error"):
            labels = {"command": "film", "platform": "test", "outcome": outcome}
            assert value(after, "marquee_commands_total", **labels) == 1, outcome
        assert value(after, "marquee_command_duration_seconds_count", command="review") == 2
        inf = value(after, "marquee_command_duration_seconds_bucket", command="review", le="+Inf")
        assert inf == 2
    finally:
        await server.stop()


async def test_every_metrics_registry_is_its_own(core: Marquee) -> None:
    first, second = Metrics(core.db), Metrics(core.db)
    with observing(first):
        await ask(core, "help")
    labels = {"command": "help", "platform": "test", "outcome": "ok"}
    assert value(first.render()[0].decode(), "marquee_commands_total", **labels) == 1
    assert value(second.render()[0].decode(), "marquee_commands_total", **labels) is None


async def test_alert_counts_outbox_depth_and_rate_limit_waits(tmp_path: Path) -> None:
    a = Alerts(f"sqlite:///{tmp_path / 'alerts.db'}", datetime(2025, 7, 20, 2, 0, tzinfo=UTC))
    metrics = Metrics(a.core.db, platforms=["test", "discord"])
    scheduler = AlertScheduler(a.core.db, a.clock, observer=metrics)
    delivery = AlertDelivery(
        a.core.db,
        {"test": a.notifier},
        a.clock,
        pacer=Pacer(a.mono),
        sleep=a.mono.sleep,
        observer=metrics,
    )
    server = OpsServer("127.0.0.1", 0, metrics, Health(a.core.db))
    port = await server.start()
    try:
        assert not a.ask("alerts subscribe", target="cinema:Grand Teatret", kinds="new").is_error
        _, _, empty = await get(port, "/metrics")
        assert value(empty, "marquee_outbox_depth", platform="test") == 0
        assert value(empty, "marquee_outbox_depth", platform="discord") == 0

        a.now += timedelta(minutes=1)
        enqueued = (await asyncio.to_thread(scheduler.tick)).enqueued
        assert enqueued > 0
        _, _, queued = await get(port, "/metrics")
        assert value(queued, "marquee_alerts_enqueued_total") == enqueued
        assert value(queued, "marquee_outbox_depth", platform="test") == enqueued

        a.notifier.failures = [RateLimited(30.0)]
        await delivery.run_once()
        _, _, limited = await get(port, "/metrics")
        assert value(limited, "marquee_alerts_retried_total", platform="test") == enqueued
        waits = {"platform": "test", "source": "platform"}
        assert value(limited, "marquee_rate_limit_waits_total", **waits) == 1
        assert value(limited, "marquee_rate_limit_wait_seconds_total", **waits) == 30
        assert value(limited, "marquee_outbox_depth", platform="test") == enqueued

        a.now += timedelta(seconds=31)
        a.mono.t += 31
        await delivery.run_once()
        _, _, sent = await get(port, "/metrics")
        assert value(sent, "marquee_alerts_delivered_total", platform="test") == enqueued
        assert value(sent, "marquee_outbox_depth", platform="test") == 0
    finally:
        await server.stop()
        a.core.db.dispose()


async def test_imported_rows_are_counted_by_result(core: Marquee) -> None:
    from bot.types import AttachedFile

    listing = (
        "film,cinema,start\n"
        "Arrival,Film Forum,2027-07-04 19:30\n"
        "Arrival,Film Forum,2027-07-05 19:30\n"
    )
    metrics = Metrics(core.db)
    with observing(metrics):
        reply = await ask(
            core,
            "import showtimes",
            MODERATOR,
            file=AttachedFile("listing.csv", listing),
        )
    assert not reply.is_error, reply
    text = metrics.render()[0].decode()
    assert value(text, "marquee_import_rows_total", kind="showtimes", result="created") == 2


# ---------------------------------------------------------------------------------------------
# /healthz
# ---------------------------------------------------------------------------------------------


async def test_healthz_is_503_with_the_reason_while_the_database_is_unreachable(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "data"
    core = make_core(f"sqlite:///{folder / 'marquee.db'}", demo=False)
    server = OpsServer("127.0.0.1", 0, Metrics(core.db), Health(core.db))
    port = await server.start()
    try:
        status, _, body = await get(port, "/healthz")
        assert status == 200 and json.loads(body) == {
            "status": "ok",
            "checks": {"database": "ok"},
        }

        folder.rename(tmp_path / "elsewhere")  # the volume went away
        core.db.engine.dispose()  # no pooled connection to the old file survives
        status, _, body = await get(port, "/healthz")
        answer = json.loads(body)
        assert status == 503 and answer["status"] == "unavailable"
        assert answer["reason"].startswith("database unreachable: unable to open database file")
        # The metrics still answer, without a made-up outbox depth.
        status, _, text = await get(port, "/metrics")
        assert status == 200 and value(text, "marquee_outbox_depth", platform="test") is None

        (tmp_path / "elsewhere").rename(folder)
        status, _, _ = await get(port, "/healthz")
        assert status == 200
    finally:
        await server.stop()
        core.db.dispose()


async def test_healthz_is_503_when_the_alert_loop_stops_ticking(core: Marquee) -> None:
    clock = Clock()
    metrics = Metrics(core.db, monotonic=clock)
    health = Health(
        core.db,
        alert_last_tick=lambda: metrics.last_loop_tick,
        alert_period=15.0,
        monotonic=clock,
    )
    server = OpsServer("127.0.0.1", 0, metrics, health)
    port = await server.start()
    try:
        clock.t += 40  # starting: the first pass has three periods to finish
        status, _, body = await get(port, "/healthz")
        assert status == 200 and json.loads(body)["checks"]["alerts"] == "ok"

        clock.t += 10
        status, _, body = await get(port, "/healthz")
        assert status == 503
        assert json.loads(body)["reason"] == (
            "alert loop stale: finished no pass 50 s ago (period 15 s, limit 45 s)"
        )

        metrics.loop_ticked()
        assert (await get(port, "/healthz"))[0] == 200
        clock.t += 46
        status, _, body = await get(port, "/healthz")
        assert status == 503 and json.loads(body)["checks"]["alerts"] == "stale"
        assert "finished its last pass 46 s ago" in json.loads(body)["reason"]
    finally:
        await server.stop()


async def test_the_alert_loop_reports_only_passes_that_finished(core: Marquee) -> None:
    metrics = Metrics(core.db)
    stop = asyncio.Event()
    delivery = AlertDelivery(core.db, {}, observer=metrics)

    def failing_tick() -> None:
        stop.set()
        raise RuntimeError("the database went away mid-tick")

    await run_forever(failing_tick, delivery, interval=0, stop=stop, observer=metrics)
    assert metrics.last_loop_tick is None
    stop.clear()
    await run_forever(stop.set, delivery, interval=0, stop=stop, observer=metrics)
    assert metrics.last_loop_tick is not None


async def test_healthz_names_a_disconnected_platform(core: Marquee) -> None:
    connected = {"discord": True, "slack": True}

    def probe(name: str):  # type: ignore[no-untyped-def]
        async def check() -> bool:
            return connected[name]

        return check

    health = Health(core.db, {name: probe(name) for name in connected})
    server = OpsServer("127.0.0.1", 0, Metrics(core.db), health)
    port = await server.start()
    try:
        status, _, body = await get(port, "/healthz")
        assert status == 200 and json.loads(body)["checks"]["slack"] == "connected"
        connected["slack"] = False
        status, _, body = await get(port, "/healthz")
        assert status == 503 and json.loads(body)["reason"] == "slack not connected"
        assert json.loads(body)["checks"]["discord"] == "connected"
    finally:
        await server.stop()


@pytest.mark.slow
async def test_marquee_run_serves_health_and_metrics_for_slack(tmp_path: Path) -> None:
    """The composition root starts the endpoint with the platforms; commands from Slack show
    up in the metrics and Slack's connection in the health check."""
    slack = FakeSlack()
    await slack.start()
    slack.add_user("UMEMBER01", "mia")
    port = free_port()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'run.db'}",
        slack_bot_token=slack.bot_token,
        slack_app_token=slack.app_token,
        slack_api_url=slack.api_url,
        health_port=port,
    )
    core = make_core(settings.database_url)
    running = asyncio.create_task(run_platforms(core, settings))
    try:
        await asyncio.wait_for(slack.socket_connected.wait(), 30)
        status, _, body = await get(port, "/healthz")
        assert status == 200, body
        assert json.loads(body)["checks"] == {
            "database": "ok",
            "slack": "connected",
            "alerts": "ok",
        }

        reply, _ = await Workspace(slack, SocketTransport(slack)).command(
            "/review", "Second Victims", "UMEMBER01"
        )
        assert "A hospital drama" in str(reply.body)
        _, _, text = await get(port, "/metrics")
        labels = {"command": "review", "platform": "slack", "outcome": "ok"}
        assert value(text, "marquee_commands_total", **labels) == 1
        assert value(text, "marquee_outbox_depth", platform="slack") == 0
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await slack.stop()
        core.db.dispose()
    # The endpoint ended with the platforms.
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(port, "/healthz")


# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------


def test_health_and_log_settings() -> None:
    assert Settings.from_env({}).health_port is None
    assert Settings.from_env({"MARQUEE_HEALTH_PORT": "0"}).health_port is None
    on = Settings.from_env({"MARQUEE_HEALTH_PORT": "9464"})
    assert (on.health_host, on.health_port, on.log_format) == ("127.0.0.1", 9464, "text")
    assert Settings.from_env({"MARQUEE_LOG_FORMAT": "JSON"}).log_format == "json"
    for bad in ("abc", "-1", "70000"):
        with pytest.raises(SettingsError, match="MARQUEE_HEALTH_PORT must be a port number"):
            Settings.from_env({"MARQUEE_HEALTH_PORT": bad})
    with pytest.raises(SettingsError, match="MARQUEE_LOG_FORMAT must be text or json"):
        Settings.from_env({"MARQUEE_LOG_FORMAT": "xml"})


def test_a_bad_setting_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from adapters.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MARQUEE_HEALTH_PORT", "metrics")
    assert main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "marquee: MARQUEE_HEALTH_PORT must be a port number from 1 to 65535 (0: off), "
        "not 'metrics'\n"
    )


# ---------------------------------------------------------------------------------------------
# Logs
# ---------------------------------------------------------------------------------------------

FAKE_SECRETS = Settings(
    discord_token="MTIzNDU2Nzg5.fake-discord-token.abcdefghijk",
    slack_bot_token="xoxb-1111-2222-fakebottoken",
    slack_app_token="xapp-1-A111-3333-fakeapptoken",
    slack_signing_secret="8f14e45fceea167a5a36dedd4bea2543",
    database_url="postgresql+psycopg://marquee:hunter2-db-password@127.0.0.1/marquee",
)


@pytest.fixture
def root_logging() -> Iterator[None]:
    """configure_logging replaces the root handlers: put pytest's back afterwards.

    slack-bolt pins the level of the logger named after its app ("marquee") to the root's
    level when an app is made: an earlier test's app may have pinned it to WARNING."""
    root, ours = logging.getLogger(), logging.getLogger("marquee")
    handlers, level, our_level = list(root.handlers), root.level, ours.level
    ours.setLevel(logging.NOTSET)
    yield
    ours.setLevel(our_level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize("log_format", ["json", "text"])
async def test_command_log_lines_carry_no_secret_and_no_review_text(
    core: Marquee, root_logging: None, log_format: str
) -> None:
    from dataclasses import replace

    settings = replace(FAKE_SECRETS, log_format=log_format)
    out = io.StringIO()
    configure_logging(settings, stream=out)
    body = "Quizzically-zygomatic prose that must never reach a log file"
    headline = "A headline nobody logs"
    reply = await ask(
        core, "review add", MODERATOR, film="Arrival", rating="4", headline=headline, body=body
    )
    assert not reply.is_error, reply
    # Something else (a library, say) logging a secret and failing with one in its message.
    logging.getLogger("slack_sdk").info("posting with %s", settings.slack_bot_token)
    try:
        raise ValueError(f"bad signature for secret {settings.slack_signing_secret}")
    except ValueError:
        logging.getLogger("marquee").exception("a request failed")

    output = out.getvalue()
    secrets = [
        settings.discord_token,
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        "hunter2-db-password",
    ]
    for secret in [*secrets, body, headline]:
        assert secret and secret not in output, secret
    assert REDACTED in output

    if log_format == "json":
        lines = [json.loads(line) for line in output.splitlines()]
        command = next(line for line in lines if line.get("event") == "command")
        assert {k: command[k] for k in ("command", "platform", "workspace", "outcome")} == {
            "command": "review add",
            "platform": "test",
            "workspace": "workspace",
            "outcome": "ok",
        }
        assert isinstance(command["duration_ms"], float) and command["level"] == "info"
        assert command["logger"] == "marquee.commands"
    else:
        first = output.splitlines()[0]
        assert " INFO marquee.commands: review add in test:workspace: ok in " in first
        assert first.endswith(" ms")
