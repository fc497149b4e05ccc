"""Delivering the outbox: claim due alerts, batch them per channel, post, mark sent.

Guarantee: at-least-once, with idempotent keys. An alert is a row before anything is posted;
it is marked sent only after the platform accepted the message. A worker that dies holding rows
loses its lease and another worker (or the restarted one) takes them over. The one window left
is a crash after the platform accepted a message and before the mark commits: then the batch is
posted again. The batch's rows and its key (`batch_key`) are fixed before the first attempt, so
a retry re-sends the very same batch with the same key in `Reply.delivery.key`; a
notifier whose platform deduplicates on it (Discord's message nonce with `enforce_nonce`) turns
that into exactly-once. Marking before posting would make the opposite trade — a crash would
lose the alert silently — and a missed screening is worse than a repeated line.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bot.alerts.messages import ALERTS_PER_MESSAGE, build_blocks, stale_reason
from bot.alerts.observer import NO_OBSERVER, AlertObserver
from bot.alerts.pacing import Pacer
from bot.notify import ChannelGone, Notifier, RateLimited
from bot.types import ChannelRef, Delivery, Reply
from storage import alert_outbox, showtime_queries
from storage.db import Database
from storage.models_alerts import AlertOutbox

log = logging.getLogger(__name__)
# A channel that must wait longer than this is given back to the outbox instead of waited on.
MAX_INLINE_WAIT = 10.0
RETRY_AFTER_ERROR = timedelta(seconds=30)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Outgoing:
    """One message to post: its rows, the key that names it, and what to post."""

    channel: ChannelRef
    direct: bool
    ids: tuple[int, ...]
    batch_key: str
    reply: Reply
    resend: bool  # the batch was claimed before by a worker that did not finish it


@dataclass
class DeliveryReport:
    messages: int = 0
    alerts_sent: int = 0
    dropped: int = 0
    released: int = 0
    resent_batches: int = 0
    gone: list[ChannelRef] = field(default_factory=list)


class AlertDelivery:
    def __init__(
        self,
        db: Database,
        notifiers: Mapping[str, Notifier],
        clock: Callable[[], datetime] = utc_now,
        *,
        lease: timedelta = timedelta(minutes=2),
        claim_limit: int = 500,
        pacer: Pacer | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        worker: str | None = None,
        observer: AlertObserver = NO_OBSERVER,
        discord_shards: tuple[int, Sequence[int]] | None = None,
    ) -> None:
        self.db = db
        # (shard count, shard ids) when this process connects only some of Discord's shards:
        # it then claims only their servers' alerts, the other processes the rest.
        self.discord_shards = discord_shards
        self.observer = observer
        self.notifiers = dict(notifiers)
        self.clock = clock
        self.lease = lease
        self.claim_limit = claim_limit
        self.pacer = pacer or Pacer()
        self.sleep = sleep
        self.worker = worker or uuid.uuid4().hex[:8]

    # -- preparing: one transaction claims, checks, batches and fixes the batch keys ----------

    def prepare(self) -> tuple[str, list[Outgoing], int]:
        now = self.clock()
        token = str(uuid.uuid4())
        with self.db.session() as session:
            platforms = list(self.notifiers)
            claimed = [
                a
                for a in alert_outbox.claim(
                    session,
                    now,
                    now + self.lease,
                    token,
                    self.claim_limit,
                    discord_shards=self.discord_shards,
                )
            ]
            # Alerts for a platform this process has no notifier for go back untouched.
            foreign = [a.id for a in claimed if a.platform not in platforms]
            if foreign:
                alert_outbox.release(session, foreign, token, now)
            mine = [a for a in claimed if a.platform in platforms]
            outgoing, dropped = self._batches(session, mine, token, now)
        return token, outgoing, dropped

    def _batches(
        self, session: Session, alerts: Sequence[AlertOutbox], token: str, now: datetime
    ) -> tuple[list[Outgoing], int]:
        showtime_ids = {a.showtime_id for a in alerts if a.showtime_id is not None}
        showtimes = showtime_queries.showtimes_with_places(session, showtime_ids)
        keep: list[AlertOutbox] = []
        dropped = 0
        for alert in alerts:
            reason = stale_reason(session, alert, showtimes.get(alert.showtime_id or 0), now)
            if reason:
                log.info("alerts: dropped %s: %s", alert.dedupe_key, reason)
                alert_outbox.finish(
                    session, [alert.id], token, status="dropped", at=now, note=reason
                )
                self.observer.dropped(alert.platform, 1)
                dropped += 1
            else:
                keep.append(alert)
        # A batch a crashed worker began keeps its rows and key; the rest are batched afresh.
        batches: dict[str, list[AlertOutbox]] = defaultdict(list)
        fresh: dict[tuple[str, str, str, bool], list[AlertOutbox]] = defaultdict(list)
        for alert in keep:
            if alert.batch_key:
                batches[alert.batch_key].append(alert)
            else:
                fresh[(alert.platform, alert.workspace_id, alert.channel_id, alert.direct)].append(
                    alert
                )
        resent = set(batches)
        for group in fresh.values():
            for start in range(0, len(group), ALERTS_PER_MESSAGE):
                chunk = group[start : start + ALERTS_PER_MESSAGE]
                key = uuid.uuid4().hex
                alert_outbox.set_batch(session, [a.id for a in chunk], token, key)
                batches[key] = chunk
        outgoing = []
        for key, chunk in batches.items():
            first = chunk[0]
            blocks = build_blocks(session, chunk, showtimes, now)
            outgoing.append(
                Outgoing(
                    channel=ChannelRef(first.platform, first.workspace_id, first.channel_id),
                    direct=first.direct,
                    ids=tuple(a.id for a in chunk),
                    batch_key=key,
                    reply=Reply(
                        blocks=blocks,
                        delivery=Delivery(
                            key=key,
                            alert_ids=tuple(a.id for a in chunk),
                            direct=first.direct,
                            resend=key in resent,
                        ),
                    ),
                    resend=key in resent,
                )
            )
        outgoing.sort(key=lambda o: min(o.ids))
        return outgoing, dropped

    # -- sending ------------------------------------------------------------------------------

    async def run_once(self, stop: asyncio.Event | None = None) -> DeliveryReport:
        """Claim what is due now, post it (channels in parallel, in order within each).

        Once `stop` is set, each channel finishes the message it is posting and gives the rest
        back, claimable at once. Cancelled (a platform that hangs), it gives back everything it
        still holds, the interrupted batch with its key, then lets the cancellation through."""
        stop = stop or asyncio.Event()
        if stop.is_set():
            return DeliveryReport()  # claiming only to give it all back would be churn
        token, outgoing, dropped = await asyncio.to_thread(self.prepare)
        report = DeliveryReport(dropped=dropped)
        by_channel: dict[ChannelRef, list[Outgoing]] = defaultdict(list)
        for message in outgoing:
            by_channel[message.channel].append(message)
        try:
            await asyncio.gather(
                *(self._send_channel(token, msgs, report, stop) for msgs in by_channel.values())
            )
        except asyncio.CancelledError:
            # Shielded: the release must commit even though we are being cancelled.
            await asyncio.shield(asyncio.to_thread(self._release_held, token, report))
            raise
        return report

    def _release_held(self, token: str, report: DeliveryReport) -> None:
        with self.db.session() as session:
            released = alert_outbox.release_held(session, token)
        report.released += released
        log.info("alerts: gave back %d alert(s) on shutdown", released)

    async def _pause(self, seconds: float, stop: asyncio.Event) -> None:
        """Sleep for a rate limit, but wake when told to stop."""
        sleeping = asyncio.ensure_future(self.sleep(seconds))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({sleeping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeping.cancel()
            stopping.cancel()

    async def _send_channel(
        self, token: str, messages: list[Outgoing], report: DeliveryReport, stop: asyncio.Event
    ) -> None:
        for index, message in enumerate(messages):
            wait = self.pacer.wait_time(message.channel)
            while 0 < wait <= MAX_INLINE_WAIT and not stop.is_set():
                self.observer.rate_limit_wait(message.channel.platform, wait, by_platform=False)
                await self._pause(wait, stop)
                wait = self.pacer.wait_time(message.channel)
            if stop.is_set():
                # Shutting down: nothing of this is posted, so it goes back without its keys.
                await self._give_back(token, messages[index:], None, report, posted=False)
                return
            if wait > 0:
                await self._give_back(token, messages[index:], wait, report, posted=False)
                return
            notifier = self.notifiers[message.channel.platform]
            self.pacer.record(message.channel)
            try:
                message_id = await notifier.post(message.channel, message.reply)
            except RateLimited as exc:
                self.observer.rate_limit_wait(
                    message.channel.platform, exc.retry_after, by_platform=True
                )
                self.pacer.hold(message.channel, exc.retry_after)
                await self._give_back(
                    token, messages[index:], exc.retry_after, report, posted=False
                )
                return
            except ChannelGone as exc:
                await asyncio.to_thread(self._channel_gone, token, message, str(exc), report)
                return
            except Exception:
                log.exception("alerts: posting to %s failed; will retry", message.channel)
                # The platform may have accepted it (a timeout): keep the batch and its key.
                await self._give_back(
                    token, messages[index:], RETRY_AFTER_ERROR.total_seconds(), report, posted=None
                )
                return
            if message.resend:
                report.resent_batches += 1
            await asyncio.to_thread(self._mark_sent, token, message, message_id, report)

    def _mark_sent(
        self, token: str, message: Outgoing, message_id: str, report: DeliveryReport
    ) -> None:
        with self.db.session() as session:
            marked = alert_outbox.finish(
                session, message.ids, token, status="sent", at=self.clock(), message_id=message_id
            )
        if marked != len(message.ids):
            # Our lease ran out mid-send and another worker took the rows: it will re-send this
            # batch under the same key. Longer leases make this rarer.
            log.warning(
                "alerts: lease lost on %d alert(s) of batch %s",
                len(message.ids) - marked,
                message.batch_key,
            )
        report.messages += 1
        report.alerts_sent += marked
        self.observer.delivered(message.channel.platform, marked)

    async def _give_back(
        self,
        token: str,
        messages: Sequence[Outgoing],
        seconds: float | None,
        report: DeliveryReport,
        *,
        posted: bool | None,
    ) -> None:
        """Return unsent alerts to the outbox, due again after `seconds` (None: at once).

        Messages certainly not posted (`posted=False`) lose their batch key so they are batched
        afresh; after an unknown failure the first one keeps it, in case the platform took it.
        """
        ids = [i for m in messages for i in m.ids]
        unposted = [i for m in messages[(0 if posted is False else 1) :] for i in m.ids]
        not_before = None if seconds is None else self.clock() + timedelta(seconds=seconds)

        def release() -> None:
            with self.db.session() as session:
                alert_outbox.release(session, ids, token, not_before, forget_batch=unposted)

        await asyncio.to_thread(release)
        report.released += len(ids)
        if messages:
            self.observer.retried(messages[0].channel.platform, len(ids))

    def _channel_gone(
        self, token: str, message: Outgoing, reason: str, report: DeliveryReport
    ) -> None:
        """Report once, pause the channel's subscriptions, drop what was waiting for it."""
        channel = message.channel
        now = self.clock()
        with self.db.session() as session:
            alert_outbox.finish(
                session, message.ids, token, status="dropped", at=now, note=reason[:200]
            )
            paused = (
                []
                if message.direct
                else alert_outbox.pause_channel(
                    session, channel.platform, channel.workspace_id, channel.channel_id, reason
                )
            )
            dropped = alert_outbox.drop_pending_for_channel(
                session, channel.platform, channel.workspace_id, channel.channel_id, now, reason
            )
        log.warning(
            "alerts: cannot post to %s (%s); paused subscriptions %s; dropped %d alert(s)",
            channel,
            reason,
            paused,
            dropped + len(message.ids),
        )
        report.gone.append(channel)
        report.dropped += dropped + len(message.ids)
        self.observer.dropped(channel.platform, dropped + len(message.ids))


async def run_forever(
    scheduler_tick: Callable[[], object],
    delivery: AlertDelivery,
    *,
    interval: float = 15.0,
    stop: asyncio.Event | None = None,
    housekeeping: Callable[[], object] | None = None,
    housekeeping_every: float = 3600.0,
    monotonic: Callable[[], float] = time.monotonic,
    observer: AlertObserver = NO_OBSERVER,
) -> None:
    """The loop a bot process runs beside its platforms: tick, deliver, wait, repeat; and
    now and then `housekeeping` (pruning the outbox), outside the ticks. `observer` hears of
    each pass that finished (a health check's heartbeat). Setting `stop` ends it after the
    message each channel is posting; the rest of the pass goes back to the outbox."""
    stop = stop or asyncio.Event()
    next_housekeeping = monotonic()
    while not stop.is_set():
        try:
            await asyncio.to_thread(scheduler_tick)
            await delivery.run_once(stop)
            if housekeeping is not None and monotonic() >= next_housekeeping:
                next_housekeeping = monotonic() + housekeeping_every
                await asyncio.to_thread(housekeeping)
            observer.loop_ticked()
        except Exception:
            log.exception("alerts: tick failed; trying again next interval")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
