"""The moderation audit log."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models_audit import AuditEntry


def recent_audit(session: Session, offset: int, limit: int) -> tuple[list[AuditEntry], int]:
    total = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    rows = list(
        session.scalars(
            select(AuditEntry)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )
    return rows, total


def get_audit_entry(session: Session, entry_id: int) -> AuditEntry | None:
    return session.get(AuditEntry, entry_id)
