"""Shared fixtures: databases (SQLite and a real PostgreSQL), the core with demo data, actors,
and `bot` / `any_bot`, the core behind a `tests.backend.SayBot`."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings
from sqlalchemy.engine import make_url

from bot import demo_data
from bot.core import Marquee, utc_now
from bot.demo import load_demo
from bot.timefmt import zone
from bot.types import Actor, ChannelRef
from storage.db import Database
from tests.backend import ADMIN, CHANNEL, MEMBER, MODERATOR, SayBot
from tests.pg import PostgresServer, PostgresUnavailable

__all__ = ["ADMIN", "CHANNEL", "FIXED_NOW", "MEMBER", "MODERATOR", "make_core"]


def pytest_configure(config: pytest.Config) -> None:
    # CI explores the same examples every run, so a landing never hangs on a random draw;
    # a local run draws new ones (and found the "²" year that way).
    settings.register_profile("ci", derandomize=True)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test on PostgreSQL is slow: it needs the server this run starts (initdb, pg_ctl) and
    a database created on it for each test, which costs more than most tests' own work."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        on_postgresql = "postgresql" in (params.get("db_url"), params.get("any_core"))
        if on_postgresql or "postgres" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


REQUIRE_POSTGRES = os.environ.get("MARQUEE_REQUIRE_POSTGRES", "") not in ("", "0")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer.start()
    except (PostgresUnavailable, OSError, Exception) as exc:  # noqa: BLE001
        if REQUIRE_POSTGRES:
            pytest.fail(
                f"PostgreSQL is required (MARQUEE_REQUIRE_POSTGRES) but did not start: {exc}"
            )
        pytest.skip(f"PostgreSQL not available: {exc}")
    yield server
    server.stop()


def _new_pg_database(server: PostgresServer) -> str:
    return server.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend; storage tests run once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    url = _new_pg_database(request.getfixturevalue("postgres"))
    yield url
    _drop_database(url)


def _drop_database(url: str) -> None:
    """Drop a test's PostgreSQL database once the test is over. Left in place, a run's
    hundred copies of the demo made the server's shutdown alone take seconds."""
    try:
        with _pg_admin(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    except psycopg.Error:
        pass  # tidying only: the server and its folder go at the end of the run anyway


# ---------------------------------------------------------------------------------------------
# Template databases: migrating and loading the demo takes most of a second, copying one of
# these a few milliseconds. Each is built the first time a test asks for it, then copied.
# ---------------------------------------------------------------------------------------------

TemplateKey = tuple[object, ...]


def _template_key(now: datetime | None, demo: bool) -> TemplateKey:
    """What a built database depends on. The demo's screenings start on today's date in each
    demo cinema's zone, so a template loaded on the real clock serves while those dates hold
    (its rows' created_at is when it was built: minutes earlier, at most, than a fresh load's).
    """
    if not demo:
        return ("migrated",)
    if now is not None:
        return ("demo at", now)
    moment = utc_now()
    days: tuple[date, ...] = tuple(
        moment.astimezone(zone(c["timezone"])).date() for c in demo_data.CINEMAS
    )
    return ("demo on", days)


def _fill(database: Database, now: datetime | None, demo: bool) -> None:
    database.migrate()
    if demo:
        with database.session() as session:
            load_demo(session, now or utc_now())


class _SqliteTemplates:
    """Template files in a folder of their own, removed when the run ends."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.files: dict[TemplateKey, Path] = {}

    def file_for(self, now: datetime | None, demo: bool) -> Path:
        key = _template_key(now, demo)
        if key not in self.files:
            if self.folder is None:
                self.folder = Path(tempfile.mkdtemp(prefix="marquee-templates-"))
                atexit.register(shutil.rmtree, self.folder, True)
            path = self.folder / f"t{len(self.files)}.db"
            database = Database(f"sqlite:///{path}")
            _fill(database, now, demo)
            # The last connection closing checkpoints the WAL: the file alone is the database.
            database.dispose()
            assert not path.with_name(path.name + "-wal").exists(), path
            self.files[key] = path
        return self.files[key]


class _PostgresTemplates:
    """Template databases on each server; `CREATE DATABASE … TEMPLATE` copies one."""

    def __init__(self) -> None:
        self.names: dict[tuple[str, TemplateKey], str] = {}

    def _template(self, url: str, key: TemplateKey, now: datetime | None, demo: bool) -> str:
        """The name of the template for `key` on the server `url` is on, built if need be."""
        target = make_url(url)
        server = f"{target.host}:{target.port}"
        if (server, key) not in self.names:
            name = f"template_{uuid.uuid4().hex[:12]}"
            with _pg_admin(url) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            database = Database(target.set(database=name).render_as_string(hide_password=False))
            _fill(database, now, demo)
            database.dispose()  # a template with a session open can't be copied
            self.names[(server, key)] = name
        return self.names[(server, key)]

    def new_copy(self, server: PostgresServer, now: datetime | None, demo: bool) -> str:
        """The URL of a new database copied from the template."""
        key = _template_key(now, demo)
        template = self._template(server.admin_url, key, now, demo)
        name = f"t_{uuid.uuid4().hex[:12]}"
        with _pg_admin(server.admin_url) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return server.url_for(name)

    def clone_into(self, url: str, now: datetime | None, demo: bool) -> bool:
        """Replace the empty database at `url` by a copy of the template; False when it is
        not empty or is in use, so the caller builds it in place."""
        name = str(make_url(url).database)
        with psycopg.connect(_libpq(url), autocommit=True) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()
        if tables is None or tables[0] != 0:
            return False
        template = self._template(url, _template_key(now, demo), now, demo)
        with _pg_admin(url) as conn:
            try:
                conn.execute(f'DROP DATABASE "{name}"')
            except psycopg.errors.ObjectInUse:
                return False
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return True


def _pg_admin(url: str) -> psycopg.Connection:
    """A connection to the maintenance database of the server `url` is on."""
    target = make_url(url)
    return psycopg.connect(
        host=target.host, port=target.port, user=target.username, dbname="postgres",
        autocommit=True,
    )  # fmt: skip


def _libpq(url: str) -> str:
    target = make_url(url)
    return f"host={target.host} port={target.port} user={target.username} dbname={target.database}"


_SQLITE_TEMPLATES = _SqliteTemplates()
_POSTGRES_TEMPLATES = _PostgresTemplates()


def prepared_database(url: str, *, now: datetime | None = None, demo: bool = True) -> Database:
    """The database at `url`, migrated, with the demo loaded at `now` when `demo`. A new
    SQLite file or an empty PostgreSQL database is copied from a template; anything else is
    migrated and loaded in place."""
    parsed = make_url(url)
    backend, name = parsed.get_backend_name(), str(parsed.database or "")
    if backend == "sqlite" and name not in ("", ":memory:") and not name.startswith("file:"):
        path = Path(name)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_SQLITE_TEMPLATES.file_for(now, demo), path)
            return Database(url)
    if backend == "postgresql" and _POSTGRES_TEMPLATES.clone_into(url, now, demo):
        return Database(url)
    database = Database(url)
    _fill(database, now, demo)
    return database


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = prepared_database(db_url, demo=False)
    yield database
    database.dispose()


FIXED_NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def make_core(url: str, *, now: datetime | None = None, demo: bool = True) -> Marquee:
    database = prepared_database(url, now=now, demo=demo)
    clock: Callable[[], datetime] = (lambda: now) if now else utc_now
    return Marquee(database, clock=clock)


@pytest.fixture
def core(tmp_path) -> Iterator[Marquee]:  # type: ignore[no-untyped-def]
    """The core over a fresh SQLite database with the demo catalogue loaded."""
    c = make_core(f"sqlite:///{tmp_path / 'core.db'}")
    yield c
    c.db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_core(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Marquee]:
    """The core with demo data on each backend (SQLite, PostgreSQL). Not built on `db_url`:
    a PostgreSQL database made straight from the template saves creating an empty one."""
    if request.param == "sqlite":
        c = make_core(f"sqlite:///{tmp_path / 'core.db'}")
        yield c
        c.db.dispose()
        return
    url = _POSTGRES_TEMPLATES.new_copy(request.getfixturevalue("postgres"), None, True)
    c = Marquee(Database(url))
    yield c
    c.db.dispose()
    _drop_database(url)


@pytest.fixture
def bot(core: Marquee) -> SayBot:
    """A member talking to `core` (SQLite, demo); `bot.as_moderator()` and so on for others."""
    return SayBot(core)


@pytest.fixture
def any_bot(any_core: Marquee) -> SayBot:
    """`bot` on each backend (SQLite, PostgreSQL)."""
    return SayBot(any_core)


@pytest.fixture
def fixed_bot(tmp_path: Path) -> Iterator[SayBot]:
    """`bot` whose clock stands still at FIXED_NOW (the demo loaded at that moment too)."""
    c = make_core(f"sqlite:///{tmp_path / 'fixed.db'}", now=FIXED_NOW)
    yield SayBot(c)
    c.db.dispose()


@pytest.fixture
def member() -> Actor:
    return MEMBER


@pytest.fixture
def moderator() -> Actor:
    return MODERATOR


@pytest.fixture
def channel() -> ChannelRef:
    return CHANNEL


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """How many adversarial cases the property tests ran, and how long they took."""
    from tests.fuzz_support import TALLY

    if not TALLY:
        return
    total = sum(t.cases for t in TALLY.values())
    seconds = sum(t.seconds for t in TALLY.values())
    parts = ", ".join(f"{name} {t.cases:,}" for name, t in sorted(TALLY.items()))
    terminalreporter.write_line(f"fuzz: {total:,} cases in {seconds:.1f} s ({parts})")
