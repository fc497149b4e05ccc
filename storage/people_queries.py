"""People (directors and cast): finding or creating one, the name index's rows, their films."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from storage.models_catalogue import Credit, Person


def get_or_create_person(session: Session, name: str, norm: str) -> Person:
    person = session.scalars(select(Person).where(Person.norm == norm)).first()
    if person is None:
        person = Person(name=name, norm=norm)
        session.add(person)
        session.flush()
    return person


def iter_person_rows(
    session: Session, after_person_id: int = 0, batch: int = 50_000
) -> Iterator[tuple[int, str]]:
    """(person_id, norm) for every person newer than `after_person_id`, in id order."""
    last = after_person_id
    while True:
        rows = session.execute(
            select(Person.id, Person.norm).where(Person.id > last).order_by(Person.id).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield row[0], row[1]
        last = rows[-1][0]


def max_person_id(session: Session) -> int:
    return session.scalar(select(func.max(Person.id))) or 0


def people_with_prefix(session: Session, prefix: str, limit: int) -> list[tuple[int, str]]:
    """(person_id, norm) of people whose normalised name starts with `prefix` (B-tree range)."""
    if not prefix:
        return []
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    rows = session.execute(
        select(Person.id, Person.norm)
        .where(Person.norm >= prefix, Person.norm < upper)
        .order_by(Person.norm)
        .limit(limit)
    ).all()
    return [(r[0], r[1]) for r in rows]


def films_of_people(
    session: Session, person_ids: Sequence[int], limit: int
) -> list[tuple[int, str, str]]:
    """(film_id, person name, role) of these people's credits: the people in the order given,
    then directing before acting, then billing order."""
    if not person_ids:
        return []
    rank = case({pid: i for i, pid in enumerate(person_ids)}, value=Credit.person_id)
    rows = session.execute(
        select(Credit.film_id, Person.name, Credit.role)
        .join(Person, Person.id == Credit.person_id)
        .where(Credit.person_id.in_(person_ids))
        .order_by(rank, Credit.role.desc(), Credit.position, Credit.film_id)
        .limit(limit)
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]
