"""Queries for operating the bot: is the database there, and how much is waiting to be sent.

Both are read-only and cheap enough to run on every health check and metrics scrape.
"""

from __future__ import annotations

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from storage.models_alerts import AlertOutbox


def ping(session: Session) -> None:
    """A round trip to the database; raises what the driver raises when it can't answer."""
    session.execute(select(literal(1))).scalar_one()


def outbox_depth(session: Session) -> dict[str, int]:
    """Alerts not yet sent or dropped, per platform (claimed ones included: they are not out
    yet). Counted on the status index, so it stays cheap as history accumulates."""
    rows = session.execute(
        select(AlertOutbox.platform, func.count())
        .where(AlertOutbox.status == "pending")
        .group_by(AlertOutbox.platform)
    )
    return {platform: int(count) for platform, count in rows}
