"""What a subscription may ask for, and the parsing that turns text into it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from bot.timefmt import is_known_zone, zone

KINDS = ("new", "reminder", "digest")
DEFAULT_KINDS = ("new", "reminder")
DEFAULT_LEAD_MINUTES = 60
MIN_LEAD_MINUTES = 5
MAX_LEAD_MINUTES = 7 * 24 * 60
MAX_LEADS = 5
DEFAULT_DIGEST_TIME = "09:00"
# A digest lists the screenings of this many coming days.
DIGEST_DAYS = 3
# A digest found later than this after its time (downtime) is dropped, not sent stale.
DIGEST_GRACE = timedelta(hours=6)


class RuleError(ValueError):
    """Input that cannot make a subscription; the message is for people."""


def parse_kinds(text: str | None) -> tuple[str, ...]:
    if not text or not text.strip():
        return DEFAULT_KINDS
    words = [w for w in re.split(r"[\s,;+]+", text.strip().lower()) if w]
    aliases = {"new": "new", "announce": "new", "announcements": "new", "reminders": "reminder"}
    aliases |= {"digests": "digest", "reminder": "reminder", "digest": "digest"}
    unknown = [w for w in words if w not in aliases]
    if unknown:
        raise RuleError(
            f"Unknown alert kind “{unknown[0][:30]}”. Kinds: new, reminder, digest "
            "(several separated by commas)."
        )
    return tuple(k for k in KINDS if k in {aliases[w] for w in words})


def parse_leads(text: str | None) -> tuple[int, ...]:
    if text is None or not str(text).strip():
        return (DEFAULT_LEAD_MINUTES,)
    parts = [p for p in re.split(r"[\s,;]+", str(text).strip().lower()) if p]
    leads: list[int] = []
    for part in parts:
        match = re.fullmatch(r"(\d{1,6})\s*(m|min|mins|minutes|h|hr|hours?)?", part)
        if not match:
            raise RuleError(
                f"“{part[:30]}” is not a lead time. Give minutes, e.g. leads=60 or leads=15,120."
            )
        minutes = int(match.group(1)) * (60 if (match.group(2) or "m").startswith("h") else 1)
        if not MIN_LEAD_MINUTES <= minutes <= MAX_LEAD_MINUTES:
            raise RuleError(
                f"A reminder lead of {minutes} minutes is out of range: "
                f"{MIN_LEAD_MINUTES} minutes to {MAX_LEAD_MINUTES // 1440} days."
            )
        leads.append(minutes)
    unique = tuple(sorted(set(leads)))
    if len(unique) > MAX_LEADS:
        raise RuleError(f"At most {MAX_LEADS} reminder leads per subscription.")
    return unique


def parse_digest_time(text: str | None) -> str:
    if text is None or not str(text).strip():
        return DEFAULT_DIGEST_TIME
    match = re.fullmatch(r"(\d{1,2})[:.h](\d{2})", str(text).strip().lower())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise RuleError(
            f"“{str(text)[:30]}” is not a time of day. Give the digest time as HH:MM, e.g. 09:00."
        )
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_zone(text: str) -> str:
    name = text.strip()
    if not is_known_zone(name):
        raise RuleError(
            f"“{name[:60]}” is not a time zone. Use an IANA name such as Europe/Copenhagen."
        )
    return name


def next_local_time(hhmm: str, tz_name: str, after: datetime) -> datetime:
    """The first moment strictly after `after` when the wall clock in `tz_name` shows `hhmm`.

    Computed from the local date each time, so daylight-saving changes keep it at the same
    wall-clock time. On the spring-forward day a skipped time (02:30) fires at 03:30 by the new
    clock (the instant it would have been without the change); on the fall-back day a repeated
    time fires once, at its first occurrence.
    """
    tz = zone(tz_name)
    wall = time(int(hhmm[:2]), int(hhmm[3:5]))
    day: date = after.astimezone(tz).date()
    for _ in range(3):
        candidate = datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)
        if candidate > after:
            return candidate
        day += timedelta(days=1)
    raise AssertionError("unreachable: a wall-clock time recurs within two days")
