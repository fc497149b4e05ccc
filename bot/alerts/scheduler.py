"""Finding due alerts: each tick turns the time since the last tick into outbox rows.

A tick covers the window (last tick, now] from a cursor stored in the database, so a restart
resumes where the last committed tick ended and catches up on downtime:

- reminders: for each lead L in use, showtimes starting in (last + L, now + L]: one indexed
  range scan per lead, matched to subscriptions and written to the outbox by a single
  INSERT ... SELECT in the database (`alert_reminders.enqueue_reminders`). After downtime, those
  whose screening is still ahead are recorded as due in the past and go out late; those
  already started are dropped and logged.
- announcements, moves, cancellations: showtimes whose `updated_at` falls in the window (with
  an overlap, because another process may commit a change stamped a little earlier); the
  unique dedupe keys make the overlap harmless.
- digests: subscriptions whose `next_digest_at` has come, advanced to the next local time.

A tick runs in a system session (no community scope), so it sees every community's rows; a
subscription or watchlist item hears only of its own community's screenings and shared ones
(`ShowtimeFacts.visible_to`), and each outbox row carries the community it serves.

The clock is injected; nothing here reads the wall clock.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.alerts.observer import NO_OBSERVER, AlertObserver
from bot.alerts.rules import DIGEST_GRACE, MAX_LEAD_MINUTES, next_local_time
from bot.normalize import normalize
from bot.timefmt import zone
from storage import alert_outbox, alert_reminders, alert_schedule
from storage.alert_schedule import DigestFacts, ShowtimeFacts, SubscriberFacts, WatcherFacts
from storage.db import Database

log = logging.getLogger(__name__)

CURSOR = "scheduler"
FIRST_WINDOW = timedelta(minutes=1)
# Downtime longer than this is not caught up on: reminders for it would all be stale anyway.
MAX_CATCH_UP = timedelta(days=2)
# Changes stamped by another process up to this long before our cursor are still picked up.
CHANGE_OVERLAP = timedelta(minutes=5)
# Finished alerts are kept this long after they were due: longer than the longest reminder
# lead (a reminder's screening starts at most that much later), so no tick can find one again.
KEEP_FINISHED = timedelta(minutes=MAX_LEAD_MINUTES) + timedelta(days=1)
# ... and until a day after their screening started (announcements may precede it by months).
KEEP_AFTER_SCREENING = timedelta(days=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TickReport:
    start: datetime
    end: datetime
    enqueued: int = 0  # new outbox rows (alerts found again, by a re-run tick, are not new)
    passed_dropped: int = 0  # screenings that started during downtime: reminders dropped
    digests_dropped: int = 0


def channel_key(platform: str, workspace_id: str, channel_id: str) -> str:
    """Who an alert is for when it goes to a channel: the channel, not the subscription, so a
    channel whose subscriptions overlap (`all`, a film, a cinema) hears about a screening once
    per kind of alert. `alert_reminders.enqueue_reminders` builds the same key in SQL."""
    return f"c{platform}:{workspace_id}:{channel_id}"


def watcher_key(platform: str, user_id: str) -> str:
    return f"u{platform}:{user_id}"


class _Targets:
    """Subscriptions indexed by what they follow, to match many showtimes in memory."""

    def __init__(self, subs: Iterable[SubscriberFacts]) -> None:
        self.everything: list[SubscriberFacts] = []
        self.by: dict[tuple[str, Any], list[SubscriberFacts]] = defaultdict(list)
        for sub in subs:
            if sub.target_kind == "all":
                self.everything.append(sub)
            elif sub.target_kind == "city":
                self.by[("city", sub.target_text)].append(sub)
            else:
                self.by[(sub.target_kind, sub.target_id)].append(sub)

    def matching(self, st: ShowtimeFacts) -> list[SubscriberFacts]:
        found = list(self.everything)
        found += self.by.get(("film", st.film_id), ())
        found += self.by.get(("cinema", st.cinema_id), ())
        found += self.by.get(("city", st.city_norm), ())
        if st.event_id is not None:
            found += self.by.get(("event", st.event_id), ())
        # `all` and `city` name no row of a community: the screening's community decides.
        return [sub for sub in found if st.visible_to(sub.community_id)]


class AlertScheduler:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime] = utc_now,
        observer: AlertObserver = NO_OBSERVER,
    ) -> None:
        self.db = db
        self.clock = clock
        self.observer = observer

    def tick(self) -> TickReport:
        """One unit of work: find what became due, record it in the outbox, move the cursor."""
        now = self.clock()
        with self.db.session() as session:
            report = self.run(session, now)
        # After the commit: rows a rolled-back tick wrote were never enqueued.
        self.observer.enqueued(report.enqueued)
        return report

    def prune(self, batch: int = 5000) -> int:
        """Delete finished alerts no tick can find again, a batch per unit of work, so the
        outbox holds about a week of history instead of growing for ever."""
        now = self.clock()
        pruned = 0
        while True:
            with self.db.session() as session:
                n = alert_outbox.prune_outbox(
                    session, now - KEEP_FINISHED, now - KEEP_AFTER_SCREENING, batch
                )
            pruned += n
            if n < batch:
                return pruned

    def run(self, session: Session, now: datetime) -> TickReport:
        last = alert_schedule.cursor(session, CURSOR)
        start = last if last is not None else now - FIRST_WINDOW
        if now - start > MAX_CATCH_UP:
            log.warning(
                "alerts: down since %s; catching up on the last %s only", start, MAX_CATCH_UP
            )
            start = now - MAX_CATCH_UP
        report = TickReport(start=start, end=now)
        if now <= start:
            return report
        reminders = self.reminders(session, start, now, report)
        rows = self.announcements(session, start, now)
        rows += self.digests(session, now, report)
        report.enqueued = reminders + alert_outbox.enqueue(session, rows)
        alert_schedule.set_cursor(session, CURSOR, now)
        return report

    # -- reminders -------------------------------------------------------------------------

    def reminder_windows(
        self, session: Session, start: datetime, now: datetime, report: TickReport
    ) -> list[tuple[int, datetime, datetime]]:
        """(lead, after, until): per lead in use, the screenings whose reminder falls due in
        (start, now] start in (after, until]. After downtime longer than a lead, those that
        started meanwhile are dropped (and logged), the rest go out late."""
        windows = []
        for lead in alert_reminders.distinct_leads(session):
            delta = timedelta(minutes=lead)
            lower = start + delta
            if lower < now:  # downtime longer than the lead: those screenings have begun
                passed = alert_reminders.count_showtimes_starting(session, lower, now)
                if passed:
                    report.passed_dropped += passed
                    log.warning(
                        "alerts: %d screening(s) started while alerts were down; their "
                        "%d-minute reminders are dropped",
                        passed,
                        lead,
                    )
                lower = now
            windows.append((lead, lower, now + delta))
        return windows

    def reminders(
        self, session: Session, start: datetime, now: datetime, report: TickReport
    ) -> int:
        """Write the reminders due in (start, now] to the outbox; returns how many were new."""
        windows = self.reminder_windows(session, start, now, report)
        return alert_reminders.enqueue_reminders(session, windows, now) if windows else 0

    # -- announcements, moves and cancellations --------------------------------------------

    def announcements(self, session: Session, start: datetime, now: datetime) -> list[dict]:
        changed = alert_schedule.showtimes_changed(session, start - CHANGE_OVERLAP, now, now)
        if not changed:
            return []
        targets = _Targets(
            s for s in alert_schedule.subscribers_for(session, changed) if "new" in s.kinds
        )
        watchers: dict[int, list[tuple[WatcherFacts, set[str]]]] = defaultdict(list)
        for watcher in alert_schedule.watchers_for(session, changed):
            watchers[watcher.film_id].append((watcher, {normalize(c) for c in watcher.cities}))
        # What each recipient was last told about each showtime (read from the rows' columns,
        # not their keys, so alerts recorded under older key formats still count).
        told: dict[tuple[str, int], tuple[str, datetime | None]] = {}
        for told_row in alert_schedule.announcements_of(session, [st.id for st in changed]):
            platform, workspace, channel, direct, showtime_id, kind, starts_at = told_row
            who = (
                watcher_key(platform, channel)
                if direct
                else channel_key(platform, workspace, channel)
            )
            told[(who, showtime_id)] = (kind, starts_at)
        rows: list[dict[str, Any]] = []
        for st in changed:
            # One recipient per channel however many of its subscriptions match; the alert
            # is filed under the lowest-numbered of them.
            recipients: list[tuple[str, dict[str, Any]]] = []
            seen: set[str] = set()
            for sub in sorted(targets.matching(st), key=lambda sub: sub.id):
                who = channel_key(sub.platform, sub.workspace_id, sub.channel_id)
                if who not in seen:
                    seen.add(who)
                    recipients.append((who, _destination(sub)))
            # A member watching the film in two communities hears of a shared screening once.
            for watcher, wanted in sorted(
                watchers.get(st.film_id, ()), key=lambda w: w[0].community_id
            ):
                if wanted and st.city_norm not in wanted:
                    continue
                if not st.visible_to(watcher.community_id):
                    continue
                who = watcher_key(watcher.platform, watcher.user_id)
                if who not in seen:
                    seen.add(who)
                    recipients.append((who, _direct_destination(watcher)))
            for recipient, destination in recipients:
                row = _change_row(recipient, destination, st, told.get((recipient, st.id)), now)
                if row is not None:
                    rows.append(row)
        return rows

    # -- digests ---------------------------------------------------------------------------

    def digests(self, session: Session, now: datetime, report: TickReport) -> list[dict]:
        """One digest per channel and moment: a channel's subscriptions whose digests fall
        due at the same instant make one digest that lists each screening once."""
        rows = []
        moved = []
        # A channel's subscriptions are its space's community's; only a space that joined
        # another community keeps older ones, which make a digest of their own community's.
        groups: dict[tuple[str, str, str, datetime, int], list[DigestFacts]] = defaultdict(list)
        for sub in alert_schedule.due_digests(session, now):
            channel_moment = (sub.platform, sub.workspace_id, sub.channel_id, sub.next_digest_at)
            groups[(*channel_moment, sub.community_id)].append(sub)
            tz_name = sub.timezone or "UTC"
            after = max(now, sub.next_digest_at)
            moved.append((sub.id, next_local_time(sub.digest_local_time, tz_name, after)))
        communities_at = Counter(group[:4] for group in groups)
        for (platform, workspace, channel, due, community), subs in groups.items():
            subs.sort(key=lambda sub: sub.id)
            tz_name = subs[0].timezone or "UTC"
            local_day = due.astimezone(zone(tz_name)).date()
            ids = [sub.id for sub in subs]
            if now - due > DIGEST_GRACE:
                report.digests_dropped += 1
                log.warning(
                    "alerts: digest of %s for subscription(s) %s dropped: due %s, found %s",
                    local_day,
                    ids,
                    due,
                    now,
                )
                continue
            # Keyed by channel and due instant: every scheduler groups the same due rows the
            # same way, so a second process (or a re-run tick) finds the same key.
            who = channel_key(platform, workspace, channel)
            key = f"{who}|digest|{local_day.isoformat()}|{int(due.timestamp())}"
            if communities_at[(platform, workspace, channel, due)] > 1:
                key += f"|k{community}"
            rows.append(
                {
                    **_base(now),
                    "dedupe_key": key,
                    "kind": "digest",
                    "community_id": community,
                    "subscription_id": ids[0],
                    "platform": platform,
                    "workspace_id": workspace,
                    "channel_id": channel,
                    "direct": False,
                    "due_at": due,
                    "detail": {
                        "date": local_day.isoformat(),
                        "zone": tz_name,
                        "subscriptions": ids,
                    },
                }
            )
        alert_schedule.set_next_digests(session, moved)
        return rows


def _base(now: datetime) -> dict[str, Any]:
    return {
        "showtime_id": None,
        "lead_minutes": 0,
        "starts_at": None,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "detail": None,
    }


def _destination(sub: SubscriberFacts) -> dict[str, Any]:
    return {
        "community_id": sub.community_id,
        "subscription_id": sub.id,
        "platform": sub.platform,
        "workspace_id": sub.workspace_id,
        "channel_id": sub.channel_id,
        "direct": False,
    }


def _direct_destination(watcher: WatcherFacts) -> dict[str, Any]:
    """A member's DM, filed under the community of the watchlist item it serves."""
    return {
        "community_id": watcher.community_id,
        "subscription_id": None,
        "platform": watcher.platform,
        "workspace_id": watcher.workspace_id or "",
        "channel_id": watcher.user_id,
        "direct": True,
    }


def _change_row(
    recipient: str,
    destination: dict[str, Any],
    st: ShowtimeFacts,
    told: tuple[str, datetime | None] | None,
    now: datetime,
) -> dict[str, Any] | None:
    """The alert a change calls for, given what the recipient was last told; None if none."""
    common = {
        **_base(now),
        **destination,
        "showtime_id": st.id,
        "starts_at": st.starts_at,
        "due_at": now,
    }
    if st.cancelled:
        if told is None or told[0] == "cancel":
            return None  # never announced: nothing to take back
        return {**common, "dedupe_key": f"{recipient}|{st.id}|cancel|0|0", "kind": "cancel"}
    if told is None:
        return {**common, "dedupe_key": f"{recipient}|{st.id}|new|0|0", "kind": "new"}
    kind, announced_start = told
    if kind == "cancel" or announced_start == st.starts_at:
        return None
    epoch = int(st.starts_at.timestamp())
    return {
        **common,
        "dedupe_key": f"{recipient}|{st.id}|update|0|{epoch}",
        "kind": "update",
        "detail": {"from": announced_start.isoformat() if announced_start else None},
    }
