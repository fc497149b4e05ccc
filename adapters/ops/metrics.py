"""Prometheus metrics, in a registry of their own.

One `Metrics` per process, made by the composition root: no module-level registry, so tests
can make as many as they like in one process. It observes commands (through
`adapters.core_calls`) and the alert loop (as its `AlertObserver`), and counts the outbox when
scraped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from adapters.core_calls import OUTCOMES, CommandEvent
from bot.alerts.observer import AlertObserver
from bot.registry import COMMANDS
from storage import ops_repo
from storage.db import Database

log = logging.getLogger(__name__)

# Seconds. Chat platforms want an answer within 3 s; most commands take milliseconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_NAMES = frozenset(c.name for c in COMMANDS)


class OutboxDepth(Collector):
    """`marquee_outbox_depth`: read from the database at scrape time, never cached."""

    def __init__(self, db: Database, platforms: Iterable[str] = ()) -> None:
        self.db = db
        # These platforms are always reported, at 0 when nothing waits for them.
        self.platforms = tuple(platforms)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "marquee_outbox_depth",
            "Alerts in the outbox waiting to be sent, by platform.",
            labels=["platform"],
        )
        try:
            with self.db.session() as session:
                depth = ops_repo.outbox_depth(session)
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail with the database
            # /healthz reports the database; the gauge is left out rather than made up.
            log.warning("metrics: outbox depth unavailable (%s)", type(exc).__name__)
            return
        for platform in self.platforms:
            depth.setdefault(platform, 0)
        for platform, count in sorted(depth.items()):
            family.add_metric([platform], count)
        yield family

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Describing must not touch the database (the registry calls it on registration).
        yield GaugeMetricFamily("marquee_outbox_depth", "", labels=["platform"])


class Metrics(AlertObserver):
    def __init__(
        self,
        db: Database | None = None,
        *,
        platforms: Iterable[str] = (),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = CollectorRegistry()
        self.monotonic = monotonic
        self.last_loop_tick: float | None = None  # monotonic; read by the health check
        r = self.registry
        self.commands = Counter(
            "marquee_commands",
            "Commands answered, by command, platform and outcome (ok, refused, error, busy).",
            ["command", "platform", "outcome"],
            registry=r,
        )
        self.latency = Histogram(
            "marquee_command_duration_seconds",
            "Time from an adapter's call of the core to its reply, by command.",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.enqueued_alerts = Counter(
            "marquee_alerts_enqueued", "Alerts the scheduler wrote to the outbox.", registry=r
        )
        self.delivered_alerts = Counter(
            "marquee_alerts_delivered", "Alerts posted and marked sent.", ["platform"], registry=r
        )
        self.retried_alerts = Counter(
            "marquee_alerts_retried",
            "Alerts given back to the outbox to be tried again (rate limits, failures).",
            ["platform"],
            registry=r,
        )
        self.dropped_alerts = Counter(
            "marquee_alerts_dropped",
            "Alerts that will never be sent (stale, or their channel is gone).",
            ["platform"],
            registry=r,
        )
        self.rate_limit_waits = Counter(
            "marquee_rate_limit_waits",
            "Times delivery waited for a rate limit; source is marquee (our pacing) or "
            "platform (a 429 from the platform).",
            ["platform", "source"],
            registry=r,
        )
        self.rate_limit_seconds = Counter(
            "marquee_rate_limit_wait_seconds",
            "Seconds delivery waited, or postponed alerts, for rate limits.",
            ["platform", "source"],
            registry=r,
        )
        self.import_rows = Counter(
            "marquee_import_rows",
            "Rows of imported files, by kind (showtimes, films, reviews) and result.",
            ["kind", "result"],
            registry=r,
        )
        self.loop_last_tick = Gauge(
            "marquee_alert_loop_last_tick_timestamp_seconds",
            "When the alert loop last finished a pass (Unix time).",
            registry=r,
        )
        if db is not None:
            r.register(OutboxDepth(db, platforms))

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """Everything in this registry, and its content type, in the format the scraper's
        Accept header asks for (the client's own negotiation: Prometheus' text format
        0.0.4 unless a newer one or OpenMetrics is asked for)."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type

    # -- commands (adapters.core_calls.CommandObserver) -------------------------------------

    def command_done(self, event: CommandEvent) -> None:
        # Only registry names become labels: a label per typo would grow without bound.
        name = event.command if event.command in _NAMES else "unknown"
        outcome = event.outcome if event.outcome in OUTCOMES else "error"
        self.commands.labels(name, event.platform, outcome).inc()
        self.latency.labels(name).observe(event.seconds)
        if event.import_kind:
            for result, count in event.import_rows.items():
                if count:
                    self.import_rows.labels(event.import_kind, result).inc(count)

    # -- the alert loop (bot.alerts.delivery.AlertObserver) --------------------------------

    def enqueued(self, count: int) -> None:
        if count:
            self.enqueued_alerts.inc(count)

    def delivered(self, platform: str, count: int) -> None:
        self.delivered_alerts.labels(platform).inc(count)

    def retried(self, platform: str, count: int) -> None:
        self.retried_alerts.labels(platform).inc(count)

    def dropped(self, platform: str, count: int) -> None:
        self.dropped_alerts.labels(platform).inc(count)

    def rate_limit_wait(self, platform: str, seconds: float, *, by_platform: bool) -> None:
        source = "platform" if by_platform else "marquee"
        self.rate_limit_waits.labels(platform, source).inc()
        self.rate_limit_seconds.labels(platform, source).inc(max(0.0, seconds))

    def loop_ticked(self) -> None:
        self.last_loop_tick = self.monotonic()
        self.loop_last_tick.set_to_current_time()
