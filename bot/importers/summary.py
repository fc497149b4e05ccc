"""What an import did, for the CLI's closing line, the chat reply and the audit entry."""

from __future__ import annotations

from array import array
from collections.abc import MutableSequence
from dataclasses import dataclass, field
from typing import Any

from bot.audit import id_ranges  # one spelling of id ranges, shared with the audit log views


@dataclass
class ImportSummary:
    kind: str  # showtimes | films | reviews
    source: str  # the file as the person named it
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0  # rows deliberately left out (IMDb rows that aren't films)
    missing: list[str] = field(default_factory=list)  # earlier imports' screenings not in it
    missing_count: int = 0
    removed: int = 0
    notes: list[str] = field(default_factory=list)  # cinemas or events created on the way
    rejects_path: str | None = None
    # Which import a screening belongs to (Showtime.source) and how to say it to a person.
    source_key: str | None = None
    source_label: str | None = None
    event: str | None = None  # the event a showtimes import was confined to
    # Ids of the rows written, for the audit entry (kept whole: the audit stores them as ranges).
    # Only importers that set `ids_recorded` list them; the others' audit has the counts.
    ids_recorded: bool = False
    # Machine integers, not a list of int objects: a million-film import keeps 8 MB of ids.
    created_ids: MutableSequence[int] = field(default_factory=lambda: array("q"))
    updated_ids: MutableSequence[int] = field(default_factory=lambda: array("q"))
    removed_ids: list[int] = field(default_factory=list)  # cancelled screenings
    missing_ids: list[int] = field(default_factory=list)  # reported, not cancelled
    # Why screenings missing from the file were not cancelled although the person asked.
    kept_missing_because: str | None = None

    def line(self) -> str:
        parts = [
            f"{self.created} created",
            f"{self.updated} updated",
            f"{self.unchanged} unchanged",
            f"{self.rejected} rejected",
        ]
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        if self.missing_count:
            parts.append(f"{self.missing_count} missing from the file")
        if self.removed:
            parts.append(f"{self.removed} removed")
        return f"{self.kind} from {self.source}: " + ", ".join(parts)

    def audit(self) -> dict[str, Any]:
        """The audit entry's `after`: counts, and every id written as compact ranges
        ("12-19, 40"), which `expand_ids` turns back into the ids."""
        payload: dict[str, Any] = {"file": self.source}
        if self.source_key is not None:
            payload["source"] = self.source_key
        if self.event is not None:
            payload["event"] = self.event
        payload["counts"] = {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "missing": self.missing_count,
            "cancelled": self.removed,
        }
        if self.ids_recorded:
            payload["created"] = id_ranges(self.created_ids)
            payload["updated"] = id_ranges(self.updated_ids)
            payload["cancelled"] = id_ranges(self.removed_ids)
            if self.missing_ids:
                payload["missing"] = id_ranges(self.missing_ids)
        return payload


def expand_ids(ranges: str) -> list[int]:
    """The ids an `id_ranges` text ("1-3, 7") stands for."""
    ids: list[int] = []
    for part in ranges.split(","):
        part = part.strip()
        if not part:
            continue
        first, _, last = part.partition("-")
        ids.extend(range(int(first), int(last or first) + 1))
    return ids
