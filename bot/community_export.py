"""A community's data as files: everything it owns as JSON, its screenings as iCalendar."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.importers.export import calendar_for
from storage import community_export

ZIP_MIME = "application/zip"


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


def zip_name(community_id: int) -> str:
    return f"community-{community_id}.zip"


def community_zip(files: CommunityFiles, community_id: int, when: datetime) -> bytes:
    """The two files in one deflated zip: one attachment for chat, whose platforms take a
    file per upload more readily than two, and JSON compresses to a fraction of its size."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for suffix, text in (("json", files.json_text), ("ics", files.calendar)):
            # Stamped with the export's own time, so an archive says when it was taken.
            entry = zipfile.ZipInfo(f"community-{community_id}.{suffix}", when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, text.encode("utf-8"))
    return buffer.getvalue()
