"""Everything one community owns, read for `community export` (JSON and iCalendar)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storage.models_base import Base
from storage.models_communities import Community, Space
from storage.models_screenings import Showtime

# Bookkeeping that is not the community's data, or is not worth exporting (which alerts were
# sent when, leases and batch keys).
_LEFT_OUT = {"alert_outbox", "community_member", "link_code"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def community_rows(session: Session, community_id: int) -> dict[str, list[dict[str, Any]]]:
    """Table name → rows (as dicts) of every table the community has rows in: its own rows,
    not the shared ones it also sees."""
    out: dict[str, list[dict[str, Any]]] = {}
    community = session.get(Community, community_id)
    if community is None:
        return out
    out["community"] = [
        {"id": community.id, "name": community.name, "settings": community.settings}
    ]
    out["space"] = [
        {
            "platform": s.platform,
            "id": s.external_id,
            "name": s.name,
            "joined_at": _plain(s.joined_at),
        }
        for s in session.scalars(select(Space).where(Space.community_id == community_id))
    ]
    for table in Base.metadata.sorted_tables:
        if "community_id" not in table.c or table.name in _LEFT_OUT:
            continue
        query = (
            select(table).where(table.c.community_id == community_id).order_by(*table.primary_key)
        )
        rows = [
            {k: _plain(v) for k, v in row._mapping.items()}
            for row in session.execute(query.execution_options(every_community=True))
        ]
        if rows:
            out[table.name] = rows
    return out


def community_showtimes(session: Session, community_id: int) -> list[Showtime]:
    """The community's own screenings, with their films and cinemas, in time order."""
    query = (
        select(Showtime)
        .where(Showtime.community_id == community_id)
        .options(selectinload(Showtime.film), selectinload(Showtime.cinema))
        .order_by(Showtime.starts_at, Showtime.id)
        .execution_options(every_community=True)
    )
    return list(session.scalars(query))
