"""What the alert loop tells whoever watches it (metrics, a health check's heartbeat); the
default hears nothing."""

from __future__ import annotations


class AlertObserver:
    """Who watches the alert loop (metrics, health checks) without the core knowing what they
    are. Every hook does nothing here; an observer overrides the ones it wants. Hooks are
    called on the loop or on a worker thread and must be quick and never raise."""

    def enqueued(self, count: int) -> None:
        """A scheduler tick wrote `count` new outbox rows."""

    def delivered(self, platform: str, count: int) -> None:
        """`count` alerts were posted and marked sent."""

    def retried(self, platform: str, count: int) -> None:
        """`count` alerts went back to the outbox to be tried again later."""

    def dropped(self, platform: str, count: int) -> None:
        """`count` alerts will never be sent (stale, or their channel is gone)."""

    def rate_limit_wait(self, platform: str, seconds: float, *, by_platform: bool) -> None:
        """Delivery waited (or gave alerts back) for a rate limit: ours, or the platform's."""

    def loop_ticked(self) -> None:
        """One pass of the alert loop (tick and delivery) finished without an error."""


NO_OBSERVER = AlertObserver()
