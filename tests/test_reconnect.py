"""The connection pool does not ping PostgreSQL before each use (a round trip per command):
a connection the server dropped — a restart, an idle timeout, a failover — fails the unit of
work it was used in, and the core runs that command once more on a new connection. The member
never sees the drop."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bot.core import Marquee
from bot.types import Actor, ChannelRef, ReviewCard, Role
from storage.db import Database
from tests.backend import SayBot
from tests.conftest import _POSTGRES_TEMPLATES, _drop_database
from tests.pg import PostgresServer

SPACE = ChannelRef("test", "guild-reconnect", "chan")
MEMBER = Actor("test", "u-reconnect", "Ray Connect", Role.MEMBER)


def _drop_connections(core: Marquee) -> int:
    """Terminate every server process of the core's database, as a restart would."""
    url = make_url(str(core.db.url.render_as_string(hide_password=False)))
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname="postgres", autocommit=True
    ) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (url.database,),
        ).fetchall()
    return len(rows)


@pytest.fixture
def pg_core(postgres: PostgresServer) -> Iterator[Marquee]:
    url = _POSTGRES_TEMPLATES.new_copy(postgres, None, True)
    core = Marquee(Database(url))
    yield core
    core.db.dispose()
    _drop_database(url)


def test_a_command_after_the_server_dropped_its_connection_is_answered(pg_core: Marquee) -> None:
    bot = SayBot(pg_core, actor=MEMBER, channel=SPACE)
    assert any(isinstance(b, ReviewCard) for b in bot.ask("review", title="Second Victims").blocks)
    assert _drop_connections(pg_core) >= 1  # the pooled connection was there to drop
    reply = bot.ask("review", title="Second Victims")
    assert reply.failure is None, reply
    assert any(isinstance(b, ReviewCard) for b in reply.blocks)


def test_autocomplete_after_the_server_dropped_its_connection_answers(pg_core: Marquee) -> None:
    before = pg_core.complete_titles("Second Vic", where=SPACE)
    assert before
    assert _drop_connections(pg_core) >= 1
    assert pg_core.complete_titles("Second Vic", where=SPACE) == before
