"""Every moderator write leaves an audit entry: who, when, what, before and after.

Snapshots carry readable labels (the film's title, the cinema, the local start) beside the ids,
so an entry still reads right after the film it names was renamed or removed. `summary` and
`details` turn an entry into the short line of the `audit` table and its full view.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.timefmt import local_text
from bot.types import Actor, film_label
from storage.limits import ACTOR_NAME_MAX, shorten
from storage.models_audit import AuditEntry
from storage.models_catalogue import Film, Review
from storage.models_screenings import Showtime

# Keys that describe a row rather than being one of its fields: never listed as "changed".
LABEL_KEYS = frozenset({"film", "cinema", "starts_local", "version"})


def record(
    session: Session,
    actor: Actor,
    at: datetime,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    community_id: int | None = None,
) -> None:
    """`community_id`: whose log it goes in, when not the unit of work's own community (a
    space that joins another is logged in both)."""
    session.add(
        AuditEntry(
            community_id=community_id,
            at=at,
            actor_platform=actor.platform,
            actor_user_id=actor.user_id,
            # A platform display name can be longer than the column; nobody typed it into
            # Marquee, so it is shortened rather than failing every write this actor makes.
            actor_name=shorten(actor.display_name, ACTOR_NAME_MAX),
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
        )
    )


def record_import(
    session: Session,
    actor: Actor,
    at: datetime,
    action: str,
    entity: str,
    *,
    source: str,
    created_ids: Sequence[int] = (),
    changed_ids: Sequence[int] = (),
    cancelled_ids: Sequence[int] = (),
    counts: dict[str, int] | None = None,
) -> None:
    """One entry for a whole import: what it created, changed and cancelled, by id.

    The shape is the importers' own (ImportSummary.audit): `counts`, and each kind's ids as
    ranges ("12-19, 40"), so a 100,000-row import stays small. `counts` adds or overrides
    counts (unchanged, rejected, …); by default each kind counts its ids.
    """
    after: dict[str, Any] = {
        "file": source,
        "counts": {
            "created": len(set(created_ids)),
            "updated": len(set(changed_ids)),
            "cancelled": len(set(cancelled_ids)),
            **(counts or {}),
        },
        "created": id_ranges(created_ids),
        "updated": id_ranges(changed_ids),
        "cancelled": id_ranges(cancelled_ids),
    }
    record(session, actor, at, action, entity, None, None, after)


def id_ranges(ids: Sequence[int]) -> str:
    """[3, 1, 2, 7] → "1-3, 7": rows written in one batch get consecutive ids."""
    runs: list[str] = []
    # Ids written in order (the usual case) need neither a set nor a sorted copy.
    increasing = all(a < b for a, b in zip(ids, ids[1:], strict=False))
    ordered = ids if increasing else sorted(set(ids))
    start = 0
    for i, n in enumerate(ordered):
        if i + 1 == len(ordered) or ordered[i + 1] != n + 1:
            first = ordered[start]
            runs.append(str(first) if first == n else f"{first}-{n}")
            start = i + 1
    return ", ".join(runs)


def film_text(f: Film) -> str:
    return film_label(f.title, f.year)


def snapshot_review(r: Review) -> dict[str, Any]:
    return {
        "film_id": r.film_id,
        "film": film_text(r.film) if r.film is not None else None,
        "author": r.author_name,
        "rating": r.rating_halves / 2,
        "headline": r.headline,
        "body": r.body,
        "spoiler": r.spoiler,
        "version": r.version,
    }


def snapshot_film(f: Film) -> dict[str, Any]:
    return {
        "title": f.title,
        "original_title": f.original_title,
        "alt_titles": [t.title for t in f.titles if t.kind == "alternative"],
        "year": f.year,
        "runtime": f.runtime_minutes,
        "directors": [c.person.name for c in f.credits if c.role == "director"],
        "cast": [c.person.name for c in f.credits if c.role == "cast"],
        "genres": [g.genre for g in f.genres],
        "countries": list(f.countries or ()),
        "languages": list(f.languages or ()),
        "synopsis": f.synopsis,
    }


def snapshot_showtime(s: Showtime) -> dict[str, Any]:
    return {
        "film_id": s.film_id,
        "film": film_text(s.film) if s.film is not None else None,
        "cinema_id": s.cinema_id,
        "cinema": s.cinema.name if s.cinema is not None else None,
        "event_id": s.event_id,
        "starts_at": s.starts_at.isoformat(),
        "starts_local": local_text(s.starts_at, s.cinema.timezone) if s.cinema else None,
        "format": s.format,
        "ticket_url": s.ticket_url,
        "cancelled": s.cancelled,
    }


# ---------------------------------------------------------------------------------------------
# Reading entries back
# ---------------------------------------------------------------------------------------------


def summary(entry: AuditEntry, width: int = 40) -> str:
    """One line for the audit table: old → new of each changed field, or what was made or
    removed."""
    before, after = entry.before, entry.after
    if after is not None and _is_import(entry):
        return _import_counts(after)
    if before is None and after is not None:
        return "created " + describe(entry.entity, after, width)
    if before is not None and after is None:
        return "removed " + describe(entry.entity, before, width)
    if before is None or after is None:
        return "(nothing recorded)"
    changes = [
        f"{k} {_short(before.get(k), 20)} → {_short(after.get(k), 20)}" for k in changed(entry)
    ]
    text = "; ".join(changes) if changes else "no change"
    if before.get("version") != after.get("version") and "version" in after:
        text += f" (now version {after['version']})"
    return text


def changed(entry: AuditEntry) -> list[str]:
    """The fields an edit changed, in the snapshot's order."""
    before, after = entry.before or {}, entry.after or {}
    keys = list(after) + [k for k in before if k not in after]
    return [k for k in keys if k not in LABEL_KEYS and before.get(k) != after.get(k)]


def describe(entity: str, snap: dict[str, Any], width: int = 40) -> str:
    """What a snapshot is, in words: "Arrival (2016), Film Forum, Fri 25 Jul 2025, 18:30 EDT"."""
    film = snap.get("film") or (f"film #{snap['film_id']}" if snap.get("film_id") else None)
    if entity == "review":
        headline = _short(snap.get("headline"), width)
        return f"{film}: {headline}" if film else headline
    if entity == "showtime":
        cinema = snap.get("cinema") or f"cinema #{snap.get('cinema_id')}"
        when = snap.get("starts_local") or snap.get("starts_at")
        return f"{film}, {cinema}, {when}"
    if entity == "film":
        title = str(snap.get("title") or "")
        return f"{title} ({snap['year']})" if snap.get("year") else title
    label = snap.get("title") or snap.get("target") or snap.get("headline") or ""
    return _short(label, width)


def details(entry: AuditEntry) -> list[str]:
    """The entry in full, one line per field."""
    before, after = entry.before, entry.after
    if after is not None and _is_import(entry):
        lines = [_import_counts(after)]
        for kind, ids in _import_ids(after):
            if ids:
                lines.append(f"{kind}: {ids}")
        lines += [f"{k}: {_short(v, 200)}" for k, v in after.items() if k not in _IMPORT_KEYS]
        counts = after.get("counts")
        if isinstance(counts, dict):
            lines += [f"{k}: {v}" for k, v in counts.items() if k not in _COUNTED and v]
        return lines
    if before is not None and after is not None:
        lines = [
            f"{k}: {_short(before.get(k), 300)} → {_short(after.get(k), 300)}"
            for k in changed(entry)
        ] or ["no field changed"]
        if before.get("version") != after.get("version") and "version" in after:
            lines.append(f"version: {before.get('version')} → {after.get('version')}")
        return lines
    snap = after if after is not None else before
    if snap is None:
        return ["nothing recorded"]
    verb = "created" if after is not None else "removed"
    lines = [f"{verb}: {describe(entry.entity, snap, 300)}"]
    for key, value in snap.items():
        if value is None or value == [] or value == "":
            continue
        if key in _NESTED and isinstance(value, list):
            # Rows removed with the entity (a film's reviews and screenings), one line each.
            lines.append(f"{key} ({len(value)}):")
            lines += [f"  #{v.get('id')} {describe(_NESTED[key], v, 300)}" for v in value]
        else:
            lines.append(f"{key}: {_short(value, 300)}")
    return lines


# An import entry's keys that `_import_counts` and `_import_ids` already show.
_IMPORT_KEYS = frozenset(
    {"file", "counts", "created", "updated", "changed", "cancelled", "removed", "removed_ids"}
)
_COUNTED = frozenset({"created", "updated", "changed", "cancelled", "removed"})
# Snapshot keys that hold the snapshots of other rows, and what those rows are.
_NESTED = {"reviews": "review", "showtimes": "showtime"}


def _is_import(entry: AuditEntry) -> bool:
    return entry.action.startswith("import ") or "counts" in (entry.after or {})


def _import_count(after: dict[str, Any], *names: str) -> int:
    # Entries made before imports kept `counts` had the numbers at the top level.
    counts = after.get("counts")
    where = counts if isinstance(counts, dict) else after
    return next((int(where[n]) for n in names if isinstance(where.get(n), int)), 0)


def _import_counts(after: dict[str, Any]) -> str:
    created = _import_count(after, "created")
    changed_n = _import_count(after, "updated", "changed")
    cancelled = _import_count(after, "cancelled", "removed")
    text = f"{created} created, {changed_n} changed, {cancelled} cancelled"
    return f"{text} from {after['file']}" if after.get("file") else text


def _import_ids(after: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, ids as text) of what an import created, changed and cancelled."""
    out = []
    for kind, names in (
        ("created", ("created",)),
        ("changed", ("updated", "changed")),
        ("cancelled", ("cancelled", "removed_ids")),
    ):
        value = next((after[n] for n in names if after.get(n) not in (None, "", [])), None)
        if isinstance(value, str):  # ranges, "12-19, 40"
            out.append((kind, value))
        elif isinstance(value, list):
            out.append((kind, id_ranges([int(v) for v in value])))
    return out


def _short(value: Any, n: int) -> str:
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif value is None:
        text = "—"
    elif isinstance(value, list):
        text = ", ".join(str(v) for v in value) if value else "—"
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, str):
        text = f"“{value}”" if value else "“”"
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
