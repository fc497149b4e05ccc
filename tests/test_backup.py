"""`marquee backup` / `marquee restore`: a live database saved while a writer keeps writing,
restored row for row into an empty database, and every refusal leaving things as they were."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core import Marquee
from bot.types import Actor, ErrorNotice, Invocation, Role
from storage.backup import BackupError, backup, restore
from storage.db import Database
from tests.conftest import CHANNEL, MODERATOR, make_core
from tests.pg import PostgresServer

TITLES = ["Second Victims", "Arrival", "Solaris (1972)", "Another Round"]
WAIT = 120  # seconds: a bound on each hand-over between the threads, never a delay

Rows = dict[str, list[tuple[Any, ...]]]


def _pg_bindir(request: pytest.FixtureRequest, url: str) -> Path | None:
    """The test server's own pg_dump/pg_restore: the same version as the server."""
    if url.startswith("sqlite"):
        return None
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.bindir


def _dbapi(url: str) -> Any:
    """A driver connection (not SQLAlchemy's): the snapshot must be held on this very one."""
    if url.startswith("sqlite"):
        return sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return psycopg.connect(
        host=u.host, port=u.port, user=u.username, dbname=u.database, autocommit=True
    )


def all_rows(conn: Any, sqlite: bool) -> Rows:
    """Every row of every table, in a stable order."""
    if sqlite:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
    else:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
    return {
        name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
        for name in sorted(names)
    }


def rows_at(url: str) -> Rows:
    conn = _dbapi(url)
    try:
        return all_rows(conn, url.startswith("sqlite"))
    finally:
        conn.close()


class Writer:
    """A member rating films, one commit per command, on its own thread until stopped: the bot
    at work. `after_snapshot` set, it counts its commits and sets `wrote_after` at 5."""

    def __init__(self, core: Marquee) -> None:
        self.core = core
        self.started = threading.Event()
        self.after_snapshot = threading.Event()
        self.wrote_after = threading.Event()
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.commits = 0
        self.thread = threading.Thread(target=self._run, name="writer")

    def _run(self) -> None:
        after = 0
        while not self.stop.is_set():
            i = self.commits
            actor = Actor("test", f"writer-{i}", f"Writer {i}", Role.MEMBER)
            args = {"title": TITLES[i % len(TITLES)], "score": 1 + (i % 9) / 2}
            reply = self.core.handle(Invocation("rate", args, actor, CHANNEL))
            errors = [b.message for b in reply.blocks if isinstance(b, ErrorNotice)]
            if errors:
                self.errors += errors
                self.wrote_after.set()  # let the main thread fail instead of waiting
                return
            self.commits += 1
            if self.commits == 5:
                self.started.set()
            if self.after_snapshot.is_set():
                after += 1
                if after == 5:
                    self.wrote_after.set()

    def __enter__(self) -> Writer:
        self.thread.start()
        assert self.started.wait(WAIT), self.errors
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(WAIT)


@pytest.fixture
def live(db_url: str) -> Iterator[Marquee]:
    core = make_core(db_url)
    # A moderator's write too, so reviews and the audit log have rows beyond the demo's.
    reply = core.handle(
        Invocation(
            "review add",
            {"film": "Arrival", "rating": "4.5", "headline": "Time", "body": "Saw it twice."},
            MODERATOR,
            CHANNEL,
        )
    )
    assert not [b for b in reply.blocks if isinstance(b, ErrorNotice)], reply.blocks
    yield core
    core.db.dispose()


def _fresh(db_url: str, tmp_path: Path, request: pytest.FixtureRequest, name: str) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / f'{name}.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"{name}_{os.urandom(4).hex()}")


def test_backup_during_writes_restores_the_snapshot_row_for_row(
    live: Marquee, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    sqlite = db_url.startswith("sqlite")
    bindir = _pg_bindir(request, db_url)
    path = tmp_path / ("marquee.db" if sqlite else "marquee.dump")
    expected: Rows = {}

    with Writer(live) as writer:

        def hold_snapshot(conn: Any) -> None:
            # Read the moment the backup saves, through the backup's own transaction, then let
            # the writer commit five more times before the copy: a backup that blocked writers
            # would never get them, one that was not a snapshot would include them.
            expected.update(all_rows(conn, sqlite=True))
            writer.after_snapshot.set()
            assert writer.wrote_after.wait(WAIT), "the writer was blocked by the backup"

        if sqlite:
            backup(db_url, path, on_snapshot=hold_snapshot)
        else:
            # pg_dump takes its snapshot inside; exporting one first lets the test read the
            # very same moment, then dump it while the writer goes on.
            conn = _dbapi(db_url)
            try:
                conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
                snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
                expected.update(all_rows(conn, sqlite=False))
                writer.after_snapshot.set()
                assert writer.wrote_after.wait(WAIT), "the writer was blocked"
                backup(db_url, path, pg_bindir=bindir, pg_snapshot=snapshot)
            finally:
                conn.close()
    assert writer.errors == []

    # The writer kept committing past the snapshot, and none of that reached the backup.
    source = rows_at(db_url)
    assert len(source["member_rating"]) >= len(expected["member_rating"]) + 5
    assert len(expected["member_rating"]) >= 5 and expected["review"] and expected["audit_entry"]

    target = _fresh(db_url, tmp_path, request, "restored")
    assert restore(target, path, pg_bindir=bindir) == expected["alembic_version"][0][0]
    restored = rows_at(target)
    assert restored.keys() == expected.keys()
    for table, rows in expected.items():
        assert restored[table] == rows, table
    database = Database(target)
    current, head = database.schema_revisions()
    database.dispose()
    assert current == head


def test_restore_refuses_a_database_that_has_tables(
    live: Marquee, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    bindir = _pg_bindir(request, db_url)
    path = tmp_path / "backup.bin"
    backup(db_url, path, pg_bindir=bindir)

    target = _fresh(db_url, tmp_path, request, "busy")
    make_core(target, demo=False).db.dispose()  # migrated: tables, no rows yet
    before = rows_at(target)
    with pytest.raises(BackupError, match="not empty .*Nothing was changed"):
        restore(target, path, pg_bindir=bindir)
    assert rows_at(target) == before
    # And the live database itself, the likeliest mistake.
    before = rows_at(db_url)
    with pytest.raises(BackupError, match="not empty"):
        restore(db_url, path, pg_bindir=bindir)
    assert rows_at(db_url) == before


def test_an_old_backup_comes_back_at_the_newest_schema(tmp_path: Path) -> None:
    old = Database(f"sqlite:///{tmp_path / 'old.db'}")
    old.migrate("0005")
    old.dispose()
    backup(f"sqlite:///{tmp_path / 'old.db'}", tmp_path / "old.bak")
    target = f"sqlite:///{tmp_path / 'new.db'}"
    assert restore(target, tmp_path / "old.bak") == "0005"
    database = Database(target)
    current, head = database.schema_revisions()
    database.dispose()
    assert current == head != "0005"


def test_a_backup_from_a_newer_marquee_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'src.db'}"
    make_core(url, demo=False).db.dispose()
    backup(url, tmp_path / "b.db")
    with sqlite3.connect(tmp_path / "b.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    with pytest.raises(BackupError, match="newer Marquee .*9999"):
        restore(f"sqlite:///{tmp_path / 'new.db'}", tmp_path / "b.db")
    assert not (tmp_path / "new.db").exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("not a backup"), "not a Marquee backup"),
        (lambda p: p.mkdir(), "is a folder"),
        (lambda p: None, "there is no backup"),
    ],
)
def test_restore_refuses_what_is_not_a_backup(
    tmp_path: Path, make: Callable[[Path], object], message: str
) -> None:
    make(tmp_path / "thing")
    with pytest.raises(BackupError, match=message):
        restore(f"sqlite:///{tmp_path / 'new.db'}", tmp_path / "thing")
    assert not (tmp_path / "new.db").exists()


def test_backup_never_overwrites_and_leaves_no_partial_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'src.db'}"
    make_core(url, demo=False).db.dispose()
    (tmp_path / "taken").write_text("keep me")
    with pytest.raises(BackupError, match="already exists"):
        backup(url, tmp_path / "taken")
    assert (tmp_path / "taken").read_text() == "keep me"

    def fail(_conn: object) -> None:
        raise BackupError("cut short")

    with pytest.raises(BackupError, match="cut short"):
        backup(url, tmp_path / "b.db", on_snapshot=fail)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.db", "taken"]


def test_postgresql_without_pg_dump_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # neither pg_dump nor pg_config
    with pytest.raises(BackupError, match=r"^pg_dump was not found: install .*postgresql-client"):
        backup("postgresql+psycopg://u@127.0.0.1:1/x", tmp_path / "b.dump")
    assert list(tmp_path.iterdir()) == []


def _marquee(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("marquee")
    env = {**os.environ, "DATABASE_URL": url, "MARQUEE_DEMO": "0"}
    return subprocess.run(
        [str(exe), *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.slow
def test_the_commands_back_up_and_restore_from_the_shell(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    make_core(url).db.dispose()
    done = _marquee(url, "backup", str(tmp_path / "b.db"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"backed up to {tmp_path / 'b.db'} (sqlite, ")

    again = _marquee(url, "backup", str(tmp_path / "b.db"))
    assert again.returncode == 1
    assert again.stderr.strip().splitlines() == [
        f"marquee: {tmp_path / 'b.db'} already exists: choose a new file name for the backup"
    ]

    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    back = _marquee(fresh, "restore", str(tmp_path / "b.db"))
    assert back.returncode == 0, back.stderr
    answer = _marquee(fresh, "shell", stdin="/film Solaris (1972)\n")
    assert "Andrei Tarkovsky" in answer.stdout

    refused = _marquee(url, "restore", str(tmp_path / "b.db"))
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "is not empty" in refused.stderr
