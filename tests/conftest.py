"""Shared fixtures: databases (SQLite and a real PostgreSQL), the core with demo data, actors."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import settings

from bot.core import Marquee
from bot.demo import load_demo
from bot.types import Actor, ChannelRef, Role
from storage.db import Database
from tests.pg import PostgresServer, PostgresUnavailable


def pytest_configure(config: pytest.Config) -> None:
    # CI explores the same examples every run, so a landing never hangs on a random draw;
    # a local run draws new ones (and found the "²" year that way).
    settings.register_profile("ci", derandomize=True)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


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
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """A fresh, empty database on each backend; storage tests run once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    server = request.getfixturevalue("postgres")
    return _new_pg_database(server)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    database.migrate()
    yield database
    database.dispose()


FIXED_NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def make_core(url: str, *, now: datetime | None = None, demo: bool = True) -> Marquee:
    database = Database(url)
    database.migrate()
    clock = (lambda: now) if now else None
    core = Marquee(database, clock=clock) if clock else Marquee(database)
    if demo:
        with database.session() as session:
            load_demo(session, core.clock())
    return core


@pytest.fixture
def core(tmp_path) -> Iterator[Marquee]:  # type: ignore[no-untyped-def]
    """The core over a fresh SQLite database with the demo catalogue loaded."""
    c = make_core(f"sqlite:///{tmp_path / 'core.db'}")
    yield c
    c.db.dispose()


@pytest.fixture
def any_core(db_url: str) -> Iterator[Marquee]:
    """The core with demo data on each backend (SQLite, PostgreSQL)."""
    c = make_core(db_url)
    yield c
    c.db.dispose()


CHANNEL = ChannelRef("test", "workspace", "channel")
MEMBER = Actor("test", "u-member", "Mia Member", Role.MEMBER)
MODERATOR = Actor("test", "u-mod", "Max Moderator", Role.MODERATOR)
ADMIN = Actor("test", "u-admin", "Ada Admin", Role.ADMIN)


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
