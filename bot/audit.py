"""Every moderator write leaves an audit entry: who, when, what, before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.types import Actor
from storage.models import AuditEntry, Film, Review, Showtime


def record(
    session: Session,
    actor: Actor,
    at: datetime,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    session.add(
        AuditEntry(
            at=at,
            actor_platform=actor.platform,
            actor_user_id=actor.user_id,
            actor_name=actor.display_name,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
        )
    )


def snapshot_review(r: Review) -> dict[str, Any]:
    return {
        "film_id": r.film_id,
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
        "cinema_id": s.cinema_id,
        "event_id": s.event_id,
        "starts_at": s.starts_at.isoformat(),
        "format": s.format,
        "ticket_url": s.ticket_url,
        "cancelled": s.cancelled,
    }
