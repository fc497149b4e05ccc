"""The schema and its migrations, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import Base, Cinema, Film, FilmTitle


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
