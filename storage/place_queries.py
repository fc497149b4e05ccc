"""Cinemas and events (festivals, seasons) by name or city."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storage.models_screenings import Cinema, Event


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def cinemas_matching(session: Session, norm: str) -> list[Cinema]:
    """Cinemas whose normalised name equals, else contains, `norm`."""
    exact = list(session.scalars(select(Cinema).where(Cinema.norm == norm)))
    if exact:
        return exact
    return list(
        session.scalars(
            select(Cinema)
            .where(Cinema.norm.like(f"%{_escape_like(norm)}%", escape="\\"))
            .order_by(Cinema.name)
            .limit(25)
        )
    )


def cinemas_in_city(session: Session, city_norm: str) -> list[Cinema]:
    return list(session.scalars(select(Cinema).where(Cinema.city_norm == city_norm)))


def all_cinemas(session: Session) -> list[Cinema]:
    return list(session.scalars(select(Cinema).order_by(Cinema.city, Cinema.name)))


def all_events(session: Session) -> list[Event]:
    """Every event with its cinemas (a community has dozens, not millions)."""
    return list(
        session.scalars(select(Event).options(selectinload(Event.cinemas)).order_by(Event.id))
    )


def events_matching(session: Session, norm: str) -> list[Event]:
    exact = list(session.scalars(select(Event).where(Event.norm == norm)))
    if exact:
        return exact
    return list(
        session.scalars(
            select(Event).where(Event.norm.like(f"%{_escape_like(norm)}%", escape="\\")).limit(10)
        )
    )
