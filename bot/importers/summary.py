"""What an import did, for the CLI's closing line and the audit entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ImportSummary:
    kind: str  # showtimes | films | reviews
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0  # rows deliberately left out (IMDb rows that aren't films)
    missing: list[str] = field(default_factory=list)  # earlier imports' screenings not in it
    missing_count: int = 0
    removed: int = 0
    removed_ids: list[int] = field(default_factory=list)  # cancelled screenings (first 1,000)
    notes: list[str] = field(default_factory=list)  # cinemas or events created on the way
    rejects_path: str | None = None

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
        return {
            "file": self.source,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "missing": self.missing_count,
            "removed": self.removed,
            "removed_ids": self.removed_ids[:1000],
        }
