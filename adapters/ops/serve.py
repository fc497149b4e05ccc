"""Wiring the endpoint into `marquee run`: metrics observe commands and the alert loop, the
health check probes each platform that was started, and the server lives as long as they do."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adapters.ops.metrics import Metrics
    from adapters.platform import Platform
    from bot.core import Marquee
    from bot.settings import Settings


@asynccontextmanager
async def serving_ops(
    core: Marquee,
    settings: Settings,
    adapters: Mapping[str, Platform],
    *,
    alert_period: float | None,
) -> AsyncIterator[Metrics | None]:
    """Serve /healthz and /metrics while the block runs, when MARQUEE_HEALTH_PORT is set;
    yields the `Metrics` to hand the alert loop as its observer (None when off).

    `adapters`: the started platform adapters by platform name ("discord", "slack");
    `alert_period`: the alert loop's interval, or None when this process runs none."""
    if not settings.health_port:
        yield None
        return
    # Only now: Prometheus' client need not load in a process that serves no metrics.
    from adapters.core_calls import observing
    from adapters.ops.health import Health, OpsServer
    from adapters.ops.metrics import Metrics

    metrics = Metrics(core.db, platforms=list(adapters))
    health = Health(
        core.db,
        {name: adapter.is_connected for name, adapter in adapters.items()},
        alert_last_tick=lambda: metrics.last_loop_tick,
        alert_period=alert_period,
    )
    server = OpsServer(settings.health_host, settings.health_port, metrics, health)
    await server.start()
    try:
        with observing(metrics):
            yield metrics
    finally:
        await server.stop()
