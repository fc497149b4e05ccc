"""The schema and its migrations, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from bot.core import Marquee
from bot.types import Invocation
from storage import db as storage_db
from storage.db import READ_ONLY_MESSAGE, Database, SchemaOutOfDate, sqlite_read_only_reason
from storage.models import Base
from storage.models_catalogue import Film, FilmTitle
from storage.models_screenings import Cinema
from tests.conftest import CHANNEL, MEMBER, MODERATOR, make_core


def test_migrations_build_exactly_the_models_schema(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    tables = set(inspect(db.engine).get_table_names())
    assert {"film", "review", "showtime", "audit_entry", "subscription"} <= tables


def test_migrations_go_down_to_empty_and_up_again(db: Database) -> None:
    from alembic import command

    command.downgrade(db.alembic_config(), "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    db.migrate()
    assert "film" in inspect(db.engine).get_table_names()


def test_times_round_trip_as_utc(db: Database) -> None:
    perth = timezone(timedelta(hours=8))
    with db.session() as s:
        film = Film(
            title="T",
            created_at=datetime(2025, 7, 25, 18, 30, tzinfo=perth),
            updated_at=datetime(2025, 7, 25, 10, 30, tzinfo=UTC),
        )
        s.add(film)
    with db.session() as s:
        stored = s.get(Film, film.id)
        assert stored is not None
        assert stored.created_at == datetime(2025, 7, 25, 10, 30, tzinfo=UTC)
        assert stored.created_at.tzinfo is UTC
    with pytest.raises(Exception, match="naive"), db.session() as s:
        s.add(Film(title="N", created_at=datetime(2025, 1, 1), updated_at=datetime(2025, 1, 1)))


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(FilmTitle(film_id=424242, title="Orphan", norm="orphan", kind="main"))


def test_a_failed_unit_of_work_leaves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as s:
        s.add(Cinema(name="C", norm="c", city="X", city_norm="x", timezone="UTC"))
        s.flush()
        raise RuntimeError("boom")
    with db.session() as s:
        assert s.query(Cinema).count() == 0


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


# ---------------------------------------------------------------------------------------------
# A database Marquee can't write: served read-only
# ---------------------------------------------------------------------------------------------


def _demo_database(url: str) -> None:
    core = make_core(url)
    core.db.dispose()


def _counts(url: str) -> dict[str, int]:
    database = Database(url)
    try:
        with database.engine.connect() as conn:
            return {
                t.name: conn.execute(text(f"SELECT count(*) FROM {t.name}")).scalar_one()
                for t in Base.metadata.sorted_tables
            }
    finally:
        database.dispose()


def test_a_read_only_database_serves_reads_and_refuses_writes(db_url: str) -> None:
    _demo_database(db_url)
    before = _counts(db_url)
    database = Database(db_url, read_only=True)
    database.migrate()  # the schema is current: nothing to do, nothing written
    core = Marquee(database)
    read = core.handle(Invocation("review", {"title": "Second Victims"}, MEMBER, CHANNEL))
    assert not read.is_error and "Where the blame lands" in repr(read.blocks)
    writes = [
        ("rate", {"title": "Second Victims", "score": "4"}, MEMBER),
        ("watch", {"title": "Second Victims"}, MEMBER),
        ("review add", {"film": "Arrival", "rating": "4", "headline": "h", "body": "b"}, MODERATOR),
        ("alerts subscribe", {"target": "all"}, MODERATOR),
    ]
    for command, args, actor in writes:
        reply = core.handle(Invocation(command, args, actor, CHANNEL))
        assert reply.is_error and READ_ONLY_MESSAGE in repr(reply.blocks), (command, reply)
    database.dispose()
    assert _counts(db_url) == before


def test_an_unwritable_sqlite_file_is_detected_and_opened_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'ro.db'}"
    _demo_database(url)
    # Root passes every permission check, so the file system's answer is simulated.
    monkeypatch.setattr(storage_db, "_can_write", lambda path: False)
    database = Database(url)
    assert database.read_only and "is not writable" in (database.read_only_reason or "")
    # No folder to put the WAL index in: opened immutable, and still readable.
    assert "immutable=1" in str(database.engine.url)
    core = Marquee(database)
    core.warm_up()
    reply = core.handle(Invocation("film", {"title": "Second Victims"}, MEMBER, CHANNEL))
    assert not reply.is_error
    refused = core.handle(Invocation("rate", {"title": "Arrival", "score": "3"}, MEMBER, CHANNEL))
    assert READ_ONLY_MESSAGE in repr(refused.blocks)
    database.dispose()


def test_read_only_detection(tmp_path: Path) -> None:
    existing = tmp_path / "a.db"
    existing.write_bytes(b"")
    assert sqlite_read_only_reason(existing) is None
    assert sqlite_read_only_reason(tmp_path / "new" / "deeper" / "b.db") is None
    not_file = sqlite_read_only_reason(existing, can_write=lambda p: p != existing)
    assert not_file == f"{existing} is not writable"
    # SQLite writes its journal beside the file: the folder must be writable too.
    no_folder = sqlite_read_only_reason(existing, can_write=lambda p: p == existing)
    assert no_folder == f"the folder {tmp_path} is not writable"
    # A database still to be created needs its nearest existing folder writable.
    missing = sqlite_read_only_reason(tmp_path / "x" / "c.db", can_write=lambda p: False)
    assert missing == f"the folder {tmp_path} is not writable"


def test_read_only_with_an_older_schema_refuses_to_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Database(url)
    old.migrate("0005")
    old.dispose()
    database = Database(url, read_only=True)
    head = database.schema_revisions()[1]  # the newest migration, whichever it is
    with pytest.raises(SchemaOutOfDate, match=f"revision 0005, not {head}"):
        database.migrate()
    database.dispose()
    assert Database(url).schema_revisions()[0] == "0005"  # nothing was migrated


def test_a_read_only_database_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="there is no database at"):
        Database(f"sqlite:///{tmp_path / 'none.db'}", read_only=True)


def test_known_genres_lists_each_genre_in_use_once_in_order(db: Database) -> None:
    from storage.film_queries import known_genres
    from storage.models_catalogue import FilmGenre

    with db.session() as session:
        assert known_genres(session) == []
        now = datetime(2025, 7, 1, tzinfo=UTC)
        films = [
            Film(title=f"G{i}", year=2000 + i, created_at=now, updated_at=now) for i in range(4)
        ]
        session.add_all(films)
        session.flush()
        for film, genres in zip(films, (["war", "drama"], ["drama"], ["comedy"], []), strict=True):
            session.add_all(FilmGenre(film_id=film.id, genre=g) for g in genres)
    with db.session() as session:
        assert known_genres(session) == ["comedy", "drama", "war"]
