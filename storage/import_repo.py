"""Queries of the showtimes importer: look-ups while it reads the file (no write lock), and the
bulk writes of the one short transaction that applies it.

Every function takes a Session the caller opened. Look-ups of many keys go in chunks of
CHUNK so a statement stays under SQLite's 32,766 parameters.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    func,
    insert,
    literal_column,
    null,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, selectinload

from storage.community_scope import community_of, owned_here
from storage.models_screenings import Cinema, Event, EventCinema, Showtime

CHUNK = 5000
# The columns an import sets and compares, in this order in StoredShowtime.values.
IMPORTED_FIELDS = (
    "film_id",
    "cinema_id",
    "event_id",
    "starts_at",
    "format",
    "ticket_url",
    "cancelled",
)
_TABLE = cast(Table, Showtime.__table__)  # a mapped class's table is a Table
Remap = dict[str, dict[int, int]]  # column -> {placeholder id: real id}


@dataclass(frozen=True)
class StoredShowtime:
    """An imported screening as stored: enough to compare with the file and to notice later
    whether someone changed it meanwhile (`updated_at`)."""

    id: int
    external_uid: str
    values: tuple[Any, ...]  # IMPORTED_FIELDS
    source: str | None
    updated_at: datetime


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def showtimes_by_uid(session: Session, uids: Sequence[str]) -> dict[str, StoredShowtime]:
    columns = [_TABLE.c[f] for f in IMPORTED_FIELDS]
    found: dict[str, StoredShowtime] = {}
    for chunk in _chunks(uids):
        query = select(
            Showtime.id, Showtime.external_uid, Showtime.source, Showtime.updated_at, *columns
        ).where(Showtime.external_uid.in_(chunk), owned_here(session, Showtime.community_id))
        for row in session.execute(query):
            found[row[1]] = StoredShowtime(row[0], row[1], tuple(row[4:]), row[2], row[3])
    return found


def upcoming_from_source(
    session: Session, source: str, event_id: int | None, now: datetime
) -> Iterator[list[tuple[int, str, datetime]]]:
    """Batches of (id, UID, updated_at): the source's upcoming screenings still on, in the
    given event if one is given. Nothing else — not another file's, not the demo's, not those
    added by command (their source is None) — is ever a candidate for cancelling."""
    query = select(Showtime.id, Showtime.external_uid, Showtime.updated_at).where(
        Showtime.source == source,
        Showtime.external_uid.is_not(None),
        Showtime.cancelled.is_(False),
        Showtime.starts_at >= now,
        owned_here(session, Showtime.community_id),
    )
    if event_id is not None:
        query = query.where(Showtime.event_id == event_id)
    query = query.order_by(Showtime.starts_at, Showtime.id).execution_options(yield_per=CHUNK)
    for part in session.execute(query).partitions():
        # external_uid IS NOT NULL above: `or ""` only tells the type checker so.
        yield [(r[0], r[1] or "", r[2]) for r in part]


def showtimes_with_places(session: Session, ids: Sequence[int]) -> list[Showtime]:
    """The screenings, with film and cinema loaded, to name them to a person."""
    if not ids:
        return []
    query = (
        select(Showtime)
        .where(Showtime.id.in_(ids))
        .options(selectinload(Showtime.film), selectinload(Showtime.cinema))
        .order_by(Showtime.starts_at, Showtime.id)
    )
    return list(session.scalars(query))


def lock_for_writing(session: Session) -> None:
    """Take the database's write lock now, before the checks that must hold until commit.

    SQLite (through pysqlite) starts a transaction at the first write only; a write that
    touches no row takes the lock, waiting up to busy_timeout for another writer. PostgreSQL
    locks rows instead (see `stale_ids`), so there is nothing to do.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE showtime SET id = id WHERE 0 = 1"))


def stale_ids(session: Session, seen: dict[int, datetime]) -> list[int]:
    """Of the screenings read earlier (id -> updated_at then), those changed or deleted since.

    Locks the rows it reads on PostgreSQL, so they stay as checked until the commit.
    """
    stale: list[int] = []
    ids = list(seen)
    for chunk in _chunks(ids):
        query = (
            select(Showtime.id, Showtime.updated_at).where(Showtime.id.in_(chunk)).with_for_update()
        )
        now = {row[0]: row[1] for row in session.execute(query)}
        stale += [i for i in chunk if now.get(i) != seen[i]]
    return stale


class PreparedRows:
    """Rows for one INSERT or UPDATE statement, already in the database driver's own form.

    Rows are added (and converted by each column type's bind processor) while the file is
    read, so the write transaction runs one executemany in the driver, with none of
    SQLAlchemy's per-row work under the lock: 100,000 new screenings took 8.9 s through Core
    and 2.7 s this way on SQLite (measured on the 2-core VM).

    cinema_id and event_id may hold placeholders (negative ids of cinemas or events the import
    will add), replaced by `remap` ({column: {placeholder: id}}) when the statement runs.
    """

    def __init__(self, session: Session, statement: Any, names: Sequence[str]) -> None:
        dialect = session.get_bind().dialect
        compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        self.names = tuple(names)
        order = list(compiled.positiontup) if compiled.positional else None
        self._order = [n.removeprefix("p_") for n in order] if order is not None else None
        # dialect_impl: the dialect's own variant (SQLite stores datetimes as its own strings).
        processors = {
            n: _type_of(n).dialect_impl(dialect).bind_processor(dialect) for n in self.names
        }
        self._processors = [(n, processors[n]) for n in (self._order or self.names)]
        self.rows: list[Any] = []
        self.ids: list[int] = []  # for updates: the row each entry changes

    def add(self, values: dict[str, Any]) -> None:
        converted = [(n, proc(values[n]) if proc else values[n]) for n, proc in self._processors]
        if self._order is not None:
            self.rows.append(tuple(v for _, v in converted))
        else:
            self.rows.append({f"p_{n}": v for n, v in converted})
        if "row_id" in values:
            self.ids.append(values["row_id"])

    def __len__(self) -> int:
        return len(self.rows)

    def execute(self, session: Session, remap: Remap) -> None:
        if not self.rows:
            return
        if any(remap.values()):
            self._remap(remap)
        connection = session.connection()
        for chunk in _chunks(self.rows):
            connection.exec_driver_sql(self.sql, list(chunk))

    def _remap(self, remap: Remap) -> None:
        slots = [(i, remap.get(n, {})) for i, (n, _) in enumerate(self._processors)]
        slots = [(i, m) for i, m in slots if m]
        for r, row in enumerate(self.rows):
            if self._order is not None:
                if any(row[i] is not None and row[i] < 0 for i, _ in slots):
                    fixed = list(row)
                    for i, m in slots:
                        fixed[i] = m.get(fixed[i], fixed[i])
                    self.rows[r] = tuple(fixed)
            else:
                for name, m in remap.items():
                    key = f"p_{name}"
                    if key in row:
                        row[key] = m.get(row[key], row[key])


def _type_of(name: str) -> Any:
    return (_TABLE.c.id if name == "row_id" else _TABLE.c[name]).type


NEW_COLUMNS = (*IMPORTED_FIELDS, "external_uid", "source", "demo", "created_at", "updated_at")


def _owned_inline(session: Session) -> Any:
    """The importer's own rows, with the community written into the SQL (a prepared batch
    binds only its rows' values)."""
    community = community_of(session)
    column = _TABLE.c.community_id
    return column.is_(None) if community is None else column == literal_column(str(int(community)))


def new_showtimes(session: Session) -> PreparedRows:
    """An empty batch of new screenings (dicts of NEW_COLUMNS) for `insert_showtimes`."""
    binds: dict[str, Any] = {c: bindparam(f"p_{c}", type_=_TABLE.c[c].type) for c in NEW_COLUMNS}
    # Driver-level rows skip the ORM's stamping: the community goes in the statement itself.
    community = community_of(session)
    binds["community_id"] = null() if community is None else literal_column(str(int(community)))
    return PreparedRows(session, insert(_TABLE).inline().values(binds), NEW_COLUMNS)


def changed_showtimes(session: Session, columns: Sequence[str]) -> PreparedRows:
    """An empty batch of updates (dicts with "row_id" and `columns`) for `update_showtimes`."""
    binds = {c: bindparam(f"p_{c}", type_=_TABLE.c[c].type) for c in columns}
    statement = (
        update(_TABLE)
        .where(_TABLE.c.id == bindparam("p_row_id"), _owned_inline(session))
        .values(binds)
    )
    return PreparedRows(session, statement, (*columns, "row_id"))


def insert_showtimes(
    session: Session, rows: PreparedRows, remap: Remap, source: str, now: datetime
) -> list[int]:
    """Insert the prepared rows (all of `source`, created at `now`); their new ids."""
    if not len(rows):
        return []
    every = {"every_community": True}  # ids are numbered across communities
    before = session.scalar(select(func.max(Showtime.id)).execution_options(**every)) or 0
    rows.execute(session, remap)
    if session.get_bind().dialect.name == "sqlite":
        # SQLite gives each new row the largest id + 1, and no one else can insert while this
        # transaction holds the write lock: ours are the next len(rows) ids.
        after = session.scalar(select(func.max(Showtime.id)).execution_options(**every)) or 0
        if after - before == len(rows):
            return list(range(before + 1, after + 1))
    # New ids are above every earlier one; the source and time tell ours from a concurrent
    # writer's.
    query = select(Showtime.id).where(
        Showtime.id > before, Showtime.source == source, Showtime.created_at == now
    )
    return list(session.scalars(query.order_by(Showtime.id)))


def update_showtimes(session: Session, rows: PreparedRows, remap: Remap) -> None:
    rows.execute(session, remap)


def set_source(session: Session, ids: Sequence[int], source: str) -> None:
    for chunk in _chunks(ids):
        session.execute(update(Showtime).where(Showtime.id.in_(chunk)).values(source=source))


def cancel_showtimes(session: Session, ids: Sequence[int], now: datetime) -> None:
    for chunk in _chunks(ids):
        session.execute(
            update(Showtime)
            .where(Showtime.id.in_(chunk))
            .values(cancelled=True, updated_at=now)
            .execution_options(synchronize_session=False)
        )


def add_cinema(
    session: Session, *, name: str, norm: str, city: str, city_norm: str, timezone: str
) -> Cinema:
    cinema = Cinema(name=name, norm=norm, city=city, city_norm=city_norm, timezone=timezone)
    session.add(cinema)
    session.flush()
    return cinema


def add_event(session: Session, *, name: str, norm: str) -> Event:
    event = Event(name=name, norm=norm)
    session.add(event)
    session.flush()
    return event


def widen_event(
    session: Session, event_id: int, first: date, last: date, cinema_ids: set[int]
) -> None:
    """Stretch the event's dates over `first`..`last` and link it to the cinemas."""
    event = session.get(Event, event_id)
    if event is None:
        return
    event.starts_on = min(first, event.starts_on) if event.starts_on else first
    event.ends_on = max(last, event.ends_on) if event.ends_on else last
    linked = set(
        session.scalars(select(EventCinema.cinema_id).where(EventCinema.event_id == event_id))
    )
    for cinema_id in sorted(cinema_ids - linked):
        session.add(EventCinema(event_id=event_id, cinema_id=cinema_id))
    session.flush()
