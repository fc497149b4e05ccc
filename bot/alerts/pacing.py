"""How fast the alert loop may post: per-channel and per-platform message rates, and holds
after a platform's rate limit."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping

from bot.types import ChannelRef

# (messages, seconds) per channel, and per bot across channels, by platform.
CHANNEL_LIMITS: dict[str, tuple[int, float]] = {"discord": (5, 5.0), "slack": (1, 1.0)}
PLATFORM_LIMITS: dict[str, tuple[int, float]] = {"discord": (50, 1.0)}


class Pacer:
    """Sliding-window rate limits per channel and per platform, on a monotonic clock."""

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        channel_limits: Mapping[str, tuple[int, float]] = CHANNEL_LIMITS,
        platform_limits: Mapping[str, tuple[int, float]] = PLATFORM_LIMITS,
    ) -> None:
        self.monotonic = monotonic
        self.channel_limits = channel_limits
        self.platform_limits = platform_limits
        self._sent: dict[tuple[str, ...], deque[float]] = defaultdict(deque)
        self._held: dict[tuple[str, ...], float] = {}

    def _wait(self, key: tuple[str, ...], limit: tuple[int, float] | None, now: float) -> float:
        wait = max(0.0, self._held.get(key, 0.0) - now)
        if limit is None:
            return wait
        count, period = limit
        sent = self._sent[key]
        while sent and sent[0] <= now - period:
            sent.popleft()
        if len(sent) >= count:
            wait = max(wait, sent[0] + period - now)
        return wait

    def wait_time(self, channel: ChannelRef) -> float:
        now = self.monotonic()
        return max(
            self._wait(("c", channel.platform, channel.channel_id), self._channel(channel), now),
            self._wait(("p", channel.platform), self.platform_limits.get(channel.platform), now),
        )

    def _channel(self, channel: ChannelRef) -> tuple[int, float] | None:
        return self.channel_limits.get(channel.platform)

    def record(self, channel: ChannelRef) -> None:
        now = self.monotonic()
        self._sent[("c", channel.platform, channel.channel_id)].append(now)
        self._sent[("p", channel.platform)].append(now)

    def hold(self, channel: ChannelRef, seconds: float) -> None:
        key = ("c", channel.platform, channel.channel_id)
        self._held[key] = max(self._held.get(key, 0.0), self.monotonic() + seconds)
