"""Engine, sessions and migrations: one `Database` per process, created at the composition root.

A database Marquee cannot write (a read-only file system, a file or folder without write
permission, a PostgreSQL standby) is opened read-only: reads are served, and any write fails
with `ReadOnlyError`, which the core turns into a clear refusal.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from storage import community_scope

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)

READ_ONLY_MESSAGE = (
    "Marquee is read-only right now (its database can't be written): it can show films, "
    "reviews and screenings but not change them. Nothing was changed."
)
_SQLITE_READONLY = 8  # SQLITE_READONLY, the primary result code of every read-only refusal
_PG_READ_ONLY_TRANSACTION = "25006"
_ASKED = "opened read-only on request"

if TYPE_CHECKING:
    from alembic.config import Config


class ReadOnlyError(Exception):
    """A write reached a database that is open read-only (or can't be written)."""

    def __str__(self) -> str:
        return READ_ONLY_MESSAGE


class SchemaOutOfDate(Exception):
    """The database is read-only and older than this Marquee's schema: it can't be served."""


def is_read_only_error(exc: BaseException) -> bool:
    """Whether a driver error says the database refused a write because it is read-only."""
    if not isinstance(exc, DBAPIError):
        return False
    original = exc.orig
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == _SQLITE_READONLY
    if getattr(original, "sqlstate", None) == _PG_READ_ONLY_TRANSACTION:
        return True
    return "readonly database" in str(original).lower()


def _can_write(path: Path) -> bool:
    """Whether this process may write `path`. Root passes every permission check, but not a
    read-only mount, so both are asked."""
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return False
    except OSError:
        return False
    return os.access(path, os.W_OK)


def sqlite_read_only_reason(
    database: Path, *, can_write: Callable[[Path], bool] | None = None
) -> str | None:
    """Why Marquee could not write this SQLite database, or None if it can.

    SQLite writes the file itself and, beside it, its journal (`-wal`, `-shm`), so the folder
    must be writable too; a missing file must be creatable in its nearest existing folder.
    """
    can_write = can_write or _can_write
    if database.exists():
        if not can_write(database):
            return f"{database} is not writable"
        folder = database.parent
    else:
        folder = database.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
    if not can_write(folder):
        return f"the folder {folder} is not writable"
    return None


def _sqlite_pragmas(read_only: bool) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if read_only:
            # Changing the journal mode writes the file; a read-only connection keeps it.
            cursor.execute("PRAGMA query_only=ON")
        else:
            # WAL lets readers run while a writer commits.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        # Foreign keys are off by default in SQLite.
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        # 64 MiB of page cache instead of the default 2 MiB: an alert tick touches index pages
        # all over the outbox, and re-reading them from the OS made each written alert ~4x
        # dearer.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    return on_connect


def _read_only_sqlite_url(url: URL, database: Path) -> URL:
    """A URI that opens the file read-only. Without a writable folder SQLite can't create the
    WAL index (`-shm`) a read needs, so it is opened `immutable` unless those files exist."""
    folder_writable = _can_write(database.parent)
    journal = database.with_name(database.name + "-wal").exists()
    shared = database.with_name(database.name + "-shm").exists()
    immutable = not folder_writable and not (journal and shared)
    query = {"mode": "ro", "uri": "true", **({"immutable": "1"} if immutable else {})}
    return url.set(database=f"file:{database.resolve()}", query=query)


class Database:
    def __init__(self, url: str, *, echo: bool = False, read_only: bool | None = None) -> None:
        """`read_only`: True opens the database read-only, False never does, None (the
        default) does when an SQLite database can't be written."""
        self.url = make_url(url)
        self.read_only_reason: str | None = None
        kwargs: dict[str, Any] = {"echo": echo}
        engine_url = self.url
        database = self.url.database if self.is_sqlite else None
        on_disk = (
            bool(database) and database != ":memory:" and not str(database).startswith("file:")
        )
        if on_disk:
            path = Path(str(database))
            reason = sqlite_read_only_reason(path) if read_only is None else None
            self.read_only_reason = reason or (_ASKED if read_only else None)
            if self.read_only:
                if not path.exists():
                    raise FileNotFoundError(
                        f"there is no database at {path}, and it can't be created "
                        f"({reason or 'opened read-only'})"
                    )
                engine_url = _read_only_sqlite_url(self.url, path)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
        elif read_only:
            self.read_only_reason = _ASKED
        self.engine: Engine = create_engine(engine_url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas(self.read_only))
        elif self.read_only:
            self.engine = self.engine.execution_options(postgresql_readonly=True)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        community_scope.install(self.sessions)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends normally, rolls back on an exception.
        A write the database refuses as read-only raises `ReadOnlyError`."""
        try:
            with self.sessions() as session:
                with session.begin():
                    yield session
        except DBAPIError as exc:
            if is_read_only_error(exc):
                raise ReadOnlyError() from exc
            raise

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to `revision` with Alembic (the only way the schema is created).

        Read-only, nothing can be migrated: a current schema is served as it is, an older one
        raises `SchemaOutOfDate`.
        """
        if self.read_only:
            current, head = self.schema_revisions()
            if current != head:
                raise SchemaOutOfDate(
                    f"the database is read-only ({self.read_only_reason}) and its schema is "
                    f"at revision {current or 'none'}, not {head}: run `marquee migrate` "
                    "where it can be written"
                )
            return
        from alembic import command

        command.upgrade(self.alembic_config(), revision)

    def schema_revisions(self) -> tuple[str | None, str | None]:
        """(the database's Alembic revision, the newest this code knows)."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        head = ScriptDirectory.from_config(self.alembic_config()).get_current_head()
        return current, head

    def alembic_config(self) -> Config:
        from alembic.config import Config  # imported when migrating, not with the module

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["engine"] = self.engine
        return config

    def dispose(self) -> None:
        self.engine.dispose()


def affected(result: Result[Any]) -> int:
    """How many rows an INSERT, UPDATE or DELETE changed. Executing DML gives a CursorResult,
    which the `Session.execute` signature widens to Result."""
    return max(cast("CursorResult[Any]", result).rowcount or 0, 0)
