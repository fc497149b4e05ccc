"""Backups of a live database, and restoring one into an empty database.

SQLite: the online backup API copies the database page by page inside one read transaction,
so the copy is one consistent moment while the bot goes on writing (WAL mode lets a writer
commit beside a reader). The backup is a plain SQLite file.

PostgreSQL: `pg_dump --format=custom`, which also reads one snapshot while others write, and
`pg_restore` into an empty database. Both must be installed (Debian: postgresql-client), of a
version no older than the server.

Restoring refuses a database that has any table: merging a backup into live data would mix
two histories. Afterwards the schema is migrated to the newest revision, so a backup taken by
an older Marquee comes back current.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from storage.db import MIGRATIONS, Database

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"
# How long a backup waits for a writer's lock before giving up (SQLite's busy timeout).
LOCK_WAIT_SECONDS = 30.0


class BackupError(Exception):
    """A backup or restore that can't be done; the message says why in one line."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    kind: str  # "sqlite" or "pg_dump"
    revision: str | None
    size: int


def backup(
    url: str,
    target: Path,
    *,
    pg_bindir: Path | None = None,
    on_snapshot: Callable[[sqlite3.Connection], None] | None = None,
    pg_snapshot: str | None = None,
) -> BackupResult:
    """Write a backup of the database at `url` to `target`, which must not exist yet.

    The file appears only once it is complete (written beside it, then renamed), so a backup
    cut short never looks like a good one. `on_snapshot` (SQLite) is called with the source
    connection once its read snapshot is fixed, before the copy; `pg_snapshot` (PostgreSQL)
    dumps as of a snapshot exported by `pg_export_snapshot()`. Both exist for tests and tools
    that need to know exactly which moment was saved."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file name for the backup")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    parsed = make_url(url)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        if parsed.get_backend_name() == "sqlite":
            revision = _sqlite_backup(_sqlite_path(parsed), partial, on_snapshot)
            kind = "sqlite"
        elif parsed.get_backend_name() == "postgresql":
            revision = _pg_backup(parsed, partial, pg_bindir, pg_snapshot)
            kind = "pg_dump"
        else:
            raise BackupError(f"backups of {parsed.get_backend_name()} databases are not supported")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(target, kind, revision, target.stat().st_size)


def restore(url: str, source: Path, *, pg_bindir: Path | None = None) -> str | None:
    """Restore the backup `source` into the empty database at `url`, then migrate it to the
    newest schema. Returns the schema revision the backup was taken at."""
    source = Path(source)
    kind = backup_kind(source)
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    wanted = {"sqlite": "sqlite", "postgresql": "pg_dump"}.get(backend)
    if wanted is None:
        raise BackupError(f"restoring into {backend} databases is not supported")
    if kind != wanted:
        into = "an SQLite" if kind == "sqlite" else "a PostgreSQL"
        raise BackupError(
            f"{source} is {into} backup ({kind}): it can only be restored into {into} "
            f"database, and DATABASE_URL is {backend}"
        )
    if kind == "sqlite":
        revision = _sqlite_revision(source)
    else:
        revision = _pg_dump_revision(source, _pg_program("pg_restore", pg_bindir))
    _check_known(revision, source)
    database = Database(url, read_only=False)
    try:
        tables = existing_tables(database)
        if tables:
            shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
            raise BackupError(
                f"the target database is not empty (it has the tables {shown}): restore only "
                "into a new, empty database, then point DATABASE_URL at it. Nothing was changed."
            )
        if kind == "sqlite":
            database.dispose()  # no pooled connection may hold the file while it is replaced
            _sqlite_restore(source, _sqlite_path(parsed))
        else:
            _pg_restore(parsed, source, _pg_program("pg_restore", pg_bindir))
        database.migrate()
    finally:
        database.dispose()
    return revision


def backup_kind(path: Path) -> str:
    """ "sqlite" or "pg_dump", from the file's first bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        raise BackupError(f"there is no backup at {path}") from None
    except IsADirectoryError:
        raise BackupError(f"{path} is a folder, not a backup file") from None
    if head.startswith(SQLITE_HEADER):
        return "sqlite"
    if head.startswith(PG_DUMP_HEADER):
        return "pg_dump"
    raise BackupError(
        f"{path} is not a Marquee backup (neither an SQLite database nor a pg_dump archive)"
    )


def existing_tables(database: Database) -> list[str]:
    """The tables the database already has (SQLite's own bookkeeping aside)."""
    with database.engine.connect() as conn:
        names = inspect(conn).get_table_names()
    return sorted(n for n in names if not n.startswith("sqlite_"))


def _check_known(revision: str | None, source: Path) -> None:
    """A backup from a newer Marquee has a revision this code can't migrate from."""
    if revision is None:
        raise BackupError(f"{source} has no Marquee schema revision: it is not a Marquee backup")
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    known = {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}
    if revision not in known:
        raise BackupError(
            f"{source} was taken by a newer Marquee (schema revision {revision}): upgrade "
            "Marquee before restoring it. Nothing was changed."
        )


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("only an SQLite database in a file can be backed up or restored")
    return Path(database)


def _sqlite_backup(
    source: Path, partial: Path, on_snapshot: Callable[[sqlite3.Connection], None] | None
) -> str | None:
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    src = sqlite3.connect(source, timeout=LOCK_WAIT_SECONDS, isolation_level=None)
    try:
        # The first read inside BEGIN fixes the snapshot; backup() then copies exactly it in
        # one step (pages=-1), however many commits other connections make meanwhile. Copying
        # in several steps instead would restart after every foreign commit.
        src.execute("BEGIN")
        row = _revision_row(src)
        if on_snapshot is not None:
            on_snapshot(src)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            # A backup is one self-contained file: no -wal beside it to lose.
            dst.execute("PRAGMA journal_mode=DELETE")
            check = dst.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise BackupError(f"the copy failed SQLite's check: {check}")
        finally:
            dst.close()
        src.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"can't back up {source}: {exc}") from exc
    finally:
        src.close()
    return row


def _revision_row(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:  # no such table: never migrated
        return None
    return str(row[0]) if row else None


def _sqlite_revision(source: Path) -> str | None:
    conn = sqlite3.connect(f"file:{source.resolve()}?mode=ro", uri=True)
    try:
        return _revision_row(conn)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} can't be read as a backup: {exc}") from exc
    finally:
        conn.close()


def _sqlite_restore(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source.resolve()}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=LOCK_WAIT_SECONDS)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")  # as Marquee runs it
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"can't restore into {target}: {exc}") from exc
    finally:
        dst.close()
        src.close()


# --- PostgreSQL -----------------------------------------------------------------------------


def _pg_program(name: str, bindir: Path | None) -> str:
    """`name` from `bindir`, else PATH, else `pg_config --bindir`."""
    if bindir is not None:
        candidate = Path(bindir) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidate = Path(out.stdout.strip()) / name
        if out.returncode == 0 and candidate.exists():
            return str(candidate)
    raise BackupError(
        f"{name} was not found: install PostgreSQL's client programs (Debian: postgresql-client, "
        f"of the server's version or newer) or put {name} on PATH"
    )


def _pg_env(url: URL) -> dict[str, str]:
    """libpq's environment for the URL: the password stays out of the process list."""
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host or url.query.get("host")),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
        ("PGSSLMODE", url.query.get("sslmode")),
    ):
        if value:
            env[key] = str(value if not isinstance(value, tuple) else value[0])
    return env


def _run_pg(args: list[str], url: URL, what: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, env=_pg_env(url))
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        reason = lines[0] if lines else f"exit status {result.returncode}"
        reason = reason.removeprefix(Path(args[0]).name + ": ").removeprefix("error: ")
        if "version mismatch" in reason:
            reason += f" ({what} must be the server's version or newer: --pg-bindir picks one)"
        raise BackupError(f"{what} failed: {reason}")
    return result


def _pg_backup(url: URL, partial: Path, bindir: Path | None, snapshot: str | None) -> str | None:
    if not url.database:
        raise BackupError("DATABASE_URL names no database to back up")
    pg_dump = _pg_program("pg_dump", bindir)
    args = [pg_dump, "--format=custom", f"--file={partial}", "--no-password"]
    if snapshot:
        args.append(f"--snapshot={snapshot}")
    _run_pg(args, url, "pg_dump")
    return _pg_dump_revision(partial, _pg_program("pg_restore", bindir))


_COPY_REVISION = re.compile(r"^COPY \S*alembic_version .*FROM stdin;\n([^\n\\]+)\n", re.M)


def _pg_dump_revision(archive: Path, pg_restore: str) -> str | None:
    """The schema revision inside a pg_dump archive, read without restoring it."""
    result = subprocess.run(
        [pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(archive)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise BackupError(f"{archive} can't be read by pg_restore: {lines[0] if lines else ''}")
    found = _COPY_REVISION.search(result.stdout)
    return found.group(1).strip() if found else None


def _pg_restore(url: URL, archive: Path, pg_restore: str) -> None:
    if not url.database:
        raise BackupError("DATABASE_URL names no database to restore into")
    # One transaction: a restore that fails part-way leaves the database empty, as it was.
    # Owners and grants are the old server's; the restoring user owns everything instead.
    _run_pg(
        [
            pg_restore,
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            "--no-password",
            f"--dbname={url.database}",
            str(archive),
        ],
        url,
        "pg_restore",
    )
