"""The words of alerts: which claimed alerts still hold, and one `Reply` for a batch of them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.alerts.rules import DIGEST_DAYS
from bot.cards import showtime_item
from bot.timefmt import local_text
from bot.types import ShowtimeItem, ShowtimeList, Text
from bot.when import LocalDays
from storage import alert_outbox, showtime_queries
from storage.community_scope import Scope, scope_of, set_scope
from storage.models_alerts import AlertOutbox, Subscription
from storage.models_screenings import Showtime

# Discord allows 10 embeds a message; this keeps a batch well inside that and Slack's blocks.
ALERTS_PER_MESSAGE = 10
DIGEST_ITEMS = 20

HEADINGS = {
    "new": "New screenings",
    "update": "Screenings moved",
    "cancel": "Screenings cancelled",
    "reminder": "Starting soon",
}


def stale_reason(
    session: Session, alert: AlertOutbox, showtime: Showtime | None, now: datetime
) -> str | None:
    """Why a claimed alert should not go out after all (checked just before sending)."""
    if alert.kind == "digest":
        return None
    if showtime is None:
        return "screening deleted"
    if alert.kind == "cancel":
        if not alert_outbox.sent_announcement_exists(session, alert):
            return "cancelled before it was announced"
        return None
    if showtime.cancelled:
        return "screening cancelled"
    if showtime.starts_at != alert.starts_at:
        return "screening moved; a newer alert covers it"
    if showtime.starts_at <= now:
        return "screening already started"
    return None


def _minutes(delta: timedelta) -> str:
    minutes = max(0, round(delta.total_seconds() / 60))
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min"


def build_blocks(
    session: Session,
    alerts: Sequence[AlertOutbox],
    showtimes: dict[int, Showtime],
    now: datetime,
) -> tuple[ShowtimeList | Text, ...]:
    """One message's blocks: a ShowtimeList per kind, in a fixed order, plus notes."""
    blocks: list[ShowtimeList | Text] = []
    direct = any(a.direct for a in alerts)
    for kind in ("cancel", "update", "new", "reminder"):
        group = [a for a in alerts if a.kind == kind and a.showtime_id in showtimes]
        if not group:
            continue
        # `group` holds only alerts whose showtime is in `showtimes`, so the id is set.
        items = tuple(showtime_item(showtimes[a.showtime_id or 0]) for a in group)
        heading = HEADINGS[kind]
        if direct and kind == "new":
            heading = "New screenings of films on your watchlist"
        blocks.append(ShowtimeList(heading, items))
        for alert, item in zip(group, items, strict=True):
            note = _note(alert, item, now)
            if note:
                blocks.append(Text(note))
    for alert in alerts:
        if alert.kind == "digest":
            blocks.extend(_digest(session, alert, now))
    return tuple(blocks)


def _note(alert: AlertOutbox, item: ShowtimeItem, now: datetime) -> str | None:
    if alert.kind == "update" and alert.detail and alert.detail.get("from"):
        before = datetime.fromisoformat(alert.detail["from"])
        return f"{item.film_title} at {item.cinema} moved from {local_text(before, item.timezone)}."
    if alert.kind == "reminder" and now - alert.due_at > timedelta(minutes=2):
        left = _minutes(item.starts_at - now)
        return (
            f"{item.film_title} starts in {left}: this reminder is late (alerts were down when "
            f"it fell due, {alert.lead_minutes} minutes before)."
        )
    return None


def _digest(session: Session, alert: AlertOutbox, now: datetime) -> list[ShowtimeList | Text]:
    """Today's and the next days' screenings of every subscription the digest stands for
    (one digest per channel and moment), each screening once. "Today" is each cinema's own
    local day, as everywhere, and begins at the moment the digest is for. Delivery's session
    sees every community; the digest lists only its own community's and shared screenings."""
    ids = (alert.detail or {}).get("subscriptions") or [alert.subscription_id]
    subs = [s for s in (session.get(Subscription, i) for i in ids if i) if s is not None]
    if not subs:
        return []
    targets: list[showtime_queries.ShowtimeTarget] = []
    for sub in subs:
        if sub.target_kind == "city":
            targets.append(("city", sub.target_text or ""))
        else:
            targets.append((sub.target_kind, sub.target_id))
    days = LocalDays.coming(DIGEST_DAYS, max(now, alert.due_at))
    with _seen_from(session, alert.community_id):
        rows, total = showtime_queries.upcoming_showtimes(
            session,
            zone_windows=days.windows(showtime_queries.showtime_zones(session)),
            targets=targets,
            limit=DIGEST_ITEMS,
        )
    names = (
        "everything"
        if any(sub.target_kind == "all" for sub in subs)
        else ", ".join(dict.fromkeys(sub.target_text or sub.target_kind for sub in subs))
    )
    heading = f"Coming up in the next {DIGEST_DAYS} days: {names}"
    blocks: list[ShowtimeList | Text] = [
        ShowtimeList(heading, tuple(showtime_item(s) for s in rows))
    ]
    if total > len(rows):
        blocks.append(Text(f"…and {total - len(rows)} more; `showtimes` lists them all."))
    return blocks


@contextmanager
def _seen_from(session: Session, community_id: int) -> Iterator[None]:
    """Read as `community_id` does (its rows and shared ones) for a moment, through the same
    filter that scopes commands, then go back to seeing everything."""
    before = scope_of(session)
    session.flush()  # what delivery changed is written under its own (system) scope
    set_scope(session, Scope(community_id))
    try:
        yield
    finally:
        set_scope(session, before)
