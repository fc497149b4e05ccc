"""`/healthz` and `/metrics` on a local port of their own (MARQUEE_HEALTH_PORT).

`/healthz` answers 200 when the database answers, every configured platform is connected and
the alert loop (where one runs) has finished a pass recently; otherwise 503, with the reasons.
The body is short JSON either way, for a container's health check or a load balancer.
`/metrics` is the Prometheus text format from `adapters.ops.metrics.Metrics`.

Served by aiohttp on its own runner bound to the configured host (127.0.0.1 by default: the
metrics name commands and platforms, and are nobody else's business).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from adapters.ops.metrics import Metrics
from storage import ops_repo
from storage.db import Database

log = logging.getLogger(__name__)

# A probe says whether one platform is connected now: a platform adapter's own
# `adapters.platform.Platform.is_connected`, or a stand-in in tests.
Probe = Callable[[], Awaitable[bool]]

DATABASE_TIMEOUT = 5.0  # seconds a health check waits for the database
# The alert loop is stale when no pass finished for this many of its periods: one pass may
# run long (a busy minute, rate limits), three in a row may not.
STALE_PERIODS = 3


@dataclass(frozen=True)
class HealthReport:
    healthy: bool
    checks: dict[str, str]
    problems: list[str]

    def body(self) -> dict[str, Any]:
        status = "ok" if self.healthy else "unavailable"
        out: dict[str, Any] = {"status": status, "checks": self.checks}
        if self.problems:
            out["reason"] = "; ".join(self.problems)
        return out


class Health:
    """The checks behind `/healthz`.

    `alert_last_tick` returns the monotonic time the alert loop last finished a pass (None
    before the first); `alert_period` is its interval, or None when no loop runs here."""

    def __init__(
        self,
        db: Database,
        platforms: Mapping[str, Probe] | None = None,
        *,
        alert_last_tick: Callable[[], float | None] | None = None,
        alert_period: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        database_timeout: float = DATABASE_TIMEOUT,
    ) -> None:
        self.db = db
        self.platforms = dict(platforms or {})
        self.alert_last_tick = alert_last_tick
        self.alert_period = alert_period
        self.monotonic = monotonic
        self.database_timeout = database_timeout
        self.started = monotonic()  # the first pass is due one period after start

    async def check(self) -> HealthReport:
        checks: dict[str, str] = {}
        problems: list[str] = []

        database = await self._database()
        checks["database"] = database or "ok"
        if database:
            problems.append(f"database unreachable: {database}")

        for name, probe in sorted(self.platforms.items()):
            try:
                connected = await probe()
            except Exception as exc:  # noqa: BLE001 - a failing probe is a disconnected platform
                log.debug("health: the %s probe failed", name, exc_info=True)
                connected, detail = False, type(exc).__name__
            else:
                detail = ""
            checks[name] = "connected" if connected else "disconnected"
            if not connected:
                problems.append(f"{name} not connected" + (f" ({detail})" if detail else ""))

        if self.alert_period is not None and self.alert_last_tick is not None:
            last = self.alert_last_tick()
            since = self.monotonic() - (last if last is not None else self.started)
            limit = STALE_PERIODS * self.alert_period
            if since > limit:
                checks["alerts"] = "stale"
                what = "finished no pass" if last is None else "finished its last pass"
                problems.append(
                    f"alert loop stale: {what} {since:.0f} s ago "
                    f"(period {self.alert_period:g} s, limit {limit:g} s)"
                )
            else:
                checks["alerts"] = "ok"
        return HealthReport(not problems, checks, problems)

    async def _database(self) -> str | None:
        """None when the database answers; else why not, in one short line."""

        def ping() -> None:
            with self.db.session() as session:
                ops_repo.ping(session)

        try:
            await asyncio.wait_for(asyncio.to_thread(ping), self.database_timeout)
        except TimeoutError:
            return f"no answer within {self.database_timeout:g} s"
        except Exception as exc:  # noqa: BLE001 - every failure is a reason to report
            return _one_line(exc)
        return None


def _one_line(exc: BaseException) -> str:
    # The driver's own message (SQLAlchemy's wrapper adds the statement and a link), cut
    # short. Drivers name host and port here, never the password.
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip().splitlines()
    return (text[0] if text else type(inner).__name__)[:200]


class OpsServer:
    """The endpoint's aiohttp runner; `start()` returns the bound port (0 asks for a free one)."""

    def __init__(self, host: str, port: int, metrics: Metrics, health: Health) -> None:
        self.host = host
        self.port = port
        self.metrics = metrics
        self.health = health
        self._runner: web.AppRunner | None = None

    def web_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self) -> int:
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = int(self._runner.addresses[0][1])
        log.info("health and metrics on http://%s:%s/healthz and /metrics", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        report = await self.health.check()
        if not report.healthy:
            log.warning("health check failed: %s", "; ".join(report.problems))
        return web.json_response(
            report.body(), status=200 if report.healthy else 503, dumps=json.dumps
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        # Off the loop: the outbox gauge asks the database.
        accept = request.headers.get("Accept", "")
        body, content_type = await asyncio.to_thread(self.metrics.render, accept)
        return web.Response(body=body, headers={"Content-Type": content_type})
