"""Running the bot: the configured platforms and the alert loop together, until a signal.

`marquee run` (adapters/cli.py) builds the core and calls `run_platforms`; the console starts
its alerts with `start_console_alerts`. Shutdown is ordered: the alert loop drains first, while
the platforms' clients can still post the batch in flight, then the platforms close.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adapters.core_calls import Core
    from adapters.core_pool import CorePool
    from adapters.platform import Platform
    from bot.alerts.observer import AlertObserver
    from bot.core import Marquee
    from bot.notify import Notifier
    from bot.settings import Settings

log = logging.getLogger("marquee")


async def run_platforms(core: Marquee, settings: Settings) -> None:
    """Serve each configured platform, and deliver showtime alerts through their notifiers."""
    pool = await start_core_pool(core, settings)
    try:
        await _serve(core, pool or core, settings)
    finally:
        if pool is not None:
            await asyncio.to_thread(pool.close)


async def start_core_pool(core: Marquee, settings: Settings) -> CorePool | None:
    """The pool of core worker processes MARQUEE_CORE_PROCESSES asks for (None: commands are
    answered here), started before the platforms connect so the first command finds every
    worker ready."""
    if settings.core_processes < 2:
        return None
    from adapters.core_pool import CorePool, WorkerSpec

    spec = WorkerSpec(
        database_url=settings.database_url,
        read_only=True if core.db.read_only else settings.read_only,
        title_index_dir=settings.title_index_dir,
        operators=settings.operators,
        log_level=logging.getLogger().getEffectiveLevel(),
    )
    pool = CorePool(core, spec, settings.core_processes)
    await asyncio.to_thread(pool.start)
    return pool


async def _serve(core: Marquee, front: Core, settings: Settings) -> None:
    """The platforms answer through `front` (the core, or its pool of worker processes); the
    alert loop, health and metrics use the serving process's own core."""
    from adapters.ops.serve import serving_ops
    from adapters.platform import run_platform

    platforms: dict[str, Platform] = {}
    if settings.discord_enabled:
        from adapters.discord.client import MarqueeDiscord

        platforms["discord"] = MarqueeDiscord(front, settings)
    if settings.slack_enabled:
        from adapters.slack.app import SlackAdapter

        platforms["slack"] = SlackAdapter(front, settings, database=core.db)
    notifiers = {name: platform.notifier() for name, platform in platforms.items()}
    # Alerts write their outbox: a read-only database has none to deliver.
    alerts = bool(notifiers) and not core.db.read_only
    period = ALERT_INTERVAL if alerts else None
    # /healthz and /metrics (MARQUEE_HEALTH_PORT) for as long as the platforms run.
    async with serving_ops(core, settings, platforms, alert_period=period) as metrics:

        def alert_loop(stop: asyncio.Event) -> Awaitable[None]:
            return run_alerts(
                core,
                notifiers,
                observer=metrics,
                stop=stop,
                discord_shards=discord_shards(settings),
            )

        running = [run_platform(platform) for platform in platforms.values()]
        await serve_until_stopped(running, alert_loop if alerts else None)


# SIGTERM's budget (an orchestrator kills at 10 s): the alert loop may finish the batch it is
# posting, then the platforms close; each step is bounded, so a platform that hangs cannot
# hold the process past it.
DRAIN_TIMEOUT = 5.0
CANCEL_TIMEOUT = 1.0
CLOSE_TIMEOUT = 3.0


async def serve_until_stopped(
    platforms: Sequence[Awaitable[None]],
    alert_loop: Callable[[asyncio.Event], Awaitable[None]] | None,
) -> None:
    """Run the platforms and the alert loop until SIGTERM or SIGINT (or one of them fails),
    then shut down in order: the alert loop first, while the platforms' clients can still post
    the batch in flight, then the platforms. A failure is raised once everything is closed."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    running = [asyncio.ensure_future(p) for p in platforms]
    alerting = asyncio.ensure_future(alert_loop(stop)) if alert_loop else None
    everything = running + ([alerting] if alerting else [])
    stopping = asyncio.ensure_future(stop.wait())
    try:
        # A part that ends cleanly (a Discord client closed) leaves the others running, as
        # before; a part that fails, or a signal, shuts everything down.
        pending = {*everything, stopping}
        while not stop.is_set() and pending - {stopping}:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if any(not t.cancelled() and t.exception() is not None for t in done):
                break
        if stop.is_set():
            log.info("stopping: finishing the alerts in flight, then closing the platforms")
        stop.set()
        if alerting is not None:
            await _bounded(alerting, DRAIN_TIMEOUT, "the alert loop")
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=CLOSE_TIMEOUT)
        if any(not t.done() for t in running):
            log.warning("a platform did not close within %.0f s; exiting anyway", CLOSE_TIMEOUT)
    finally:
        # Cancelled from outside (tests, an embedding program): take everything down with us.
        stopping.cancel()
        for task in everything:
            task.cancel()
        for signum in signals:
            loop.remove_signal_handler(signum)
    for task in everything:
        failure = task.exception() if task.done() and not task.cancelled() else None
        if failure is not None:
            raise failure


async def _bounded(task: asyncio.Future[None], timeout: float, what: str) -> None:
    """Wait for `task` up to `timeout`, then cancel it and give it a moment to clean up."""
    await asyncio.wait([task], timeout=timeout)
    if not task.done():
        log.warning("%s did not stop within %.0f s; cancelling it", what, timeout)
        task.cancel()
        await asyncio.wait([task], timeout=CANCEL_TIMEOUT)


ALERT_INTERVAL = 15.0  # seconds between passes of the alert loop


def discord_shards(settings: Settings) -> tuple[int, tuple[int, ...]] | None:
    """The Discord shards this process connects, when it connects only some of them: its
    alert loop delivers their servers' alerts and leaves the rest to the other processes."""
    if settings.discord_shard_count is None or not settings.discord_shard_ids:
        return None
    return settings.discord_shard_count, settings.discord_shard_ids


async def run_alerts(
    core: Marquee,
    notifiers: dict[str, Notifier],
    *,
    interval: float = ALERT_INTERVAL,
    observer: AlertObserver | None = None,
    stop: asyncio.Event | None = None,
    discord_shards: tuple[int, Sequence[int]] | None = None,
) -> None:
    """The alert loop: a scheduler tick, then delivery, every `interval` seconds. Every process
    may run it: outbox keys and leased claims keep alerts single across processes. `observer`
    (the metrics, when served) hears what each pass did; setting `stop` ends it gracefully;
    `discord_shards` (count, ids) limits delivery to those shards' Discord servers."""
    from bot.alerts.delivery import AlertDelivery, run_forever
    from bot.alerts.observer import NO_OBSERVER
    from bot.alerts.scheduler import AlertScheduler

    observer = observer or NO_OBSERVER
    scheduler = AlertScheduler(core.db, core.clock, observer=observer)
    delivery = AlertDelivery(
        core.db, notifiers, core.clock, observer=observer, discord_shards=discord_shards
    )
    await run_forever(
        scheduler.tick,
        delivery,
        interval=interval,
        housekeeping=scheduler.prune,
        observer=observer,
        stop=stop,
    )


def start_console_alerts(core: Marquee) -> None:
    """Print due alerts in the console, from a background thread (ends with the process)."""
    import asyncio
    import threading

    from adapters.console.notifier import ConsoleNotifier

    notifiers: dict[str, Notifier] = {"console": ConsoleNotifier()}
    thread = threading.Thread(
        target=lambda: asyncio.run(run_alerts(core, notifiers, interval=5.0)),
        name="alerts",
        daemon=True,
    )
    thread.start()
