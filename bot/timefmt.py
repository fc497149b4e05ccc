"""Times shown to people: always in the cinema's own zone, with the zone named."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_known_zone(name: str) -> bool:
    try:
        zone(name)
    # OSError: a name longer than the file system allows ("File name too long").
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def local_text(moment: datetime, tz: str) -> str:
    """ "Fri 25 Jul 2025, 18:30 AWST" """
    local = moment.astimezone(zone(tz))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"
