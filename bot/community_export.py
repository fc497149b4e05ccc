"""A community's data as files: everything it owns as JSON, its screenings as iCalendar."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.importers.export import calendar_for
from storage import community_export


@dataclass(frozen=True)
class CommunityFiles:
    json_text: str
    calendar: str
    counts: dict[str, int]


def community_files(session: Session, community_id: int) -> CommunityFiles:
    rows = community_export.community_rows(session, community_id)
    showtimes = community_export.community_showtimes(session, community_id)
    name = rows["community"][0]["name"] if rows.get("community") else str(community_id)
    return CommunityFiles(
        json_text=json.dumps(rows, ensure_ascii=False, indent=1, sort_keys=True),
        calendar=calendar_for(showtimes, name=f"{name} screenings"),
        counts={table: len(items) for table, items in rows.items() if table != "community"},
    )
