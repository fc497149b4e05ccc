"""A big recommendation index is rebuilt in another process, and commands are answered from
the previous index meanwhile; the index's file round-trips exactly."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from bot.recommend import index_file
from bot.recommend.index import RecommendationIndex
from bot.recommend.rebuild import separate_process_possible
from bot.types import Choices, Notice, Reply
from tests.backend import SayBot
from tests.conftest import make_core
from tests.test_recommend import options

# A spawned interpreter imports numpy, scipy and SQLAlchemy before it builds: generous, since
# the machine running the tests may be busy. Only a failure waits this long.
DEADLINE_S = 120.0


def _notice(reply: Reply) -> str:
    notices = [b.text for b in reply.blocks if isinstance(b, Notice)]
    assert notices, reply.blocks
    return notices[0]


def test_the_index_is_rebuilt_in_another_process_and_commands_are_answered_meanwhile(
    tmp_path: Path,
) -> None:
    core = make_core(f"sqlite:///{tmp_path / 'core.db'}")
    gate = threading.Event()
    # Every build counts as big (background), and a rebuild may follow at once.
    index = RecommendationIndex(
        core.db.session, sync_build_seconds=-1, rebuild_spacing=0, gate=gate
    )
    core.recommendations = index
    bot = SayBot(core)
    moderator = bot.as_moderator()
    try:
        first = options(bot.ask("recommend"))  # the first build: in this process, on the spot
        assert index.built_by is None and not index.building
        added = moderator.ask("film add", title="Harbour Lights of Quillon", year=2026).created
        assert added is not None
        # The catalogue changed: the next command starts a rebuild, held at the gate, and is
        # answered from the previous index, which doesn't know the new film yet.
        new = bot.ask("recommend like", title="Harbour Lights of Quillon")
        assert "is new here" in _notice(new)
        assert index.building
        # While the other process builds, commands keep being answered (and start no second
        # rebuild).
        assert options(bot.ask("recommend")) == first
        assert any(
            isinstance(b, Choices) for b in bot.ask("recommend like", title="Another Round").blocks
        )
        assert index.building
        gate.set()
        assert index.wait_idle(DEADLINE_S), "the rebuild did not finish"
        assert index.built_by is not None and index.built_by != os.getpid()
        # The new index (mapped from the other process's file) knows the new film.
        liked = bot.ask("recommend like", title="Harbour Lights of Quillon")
        assert not any(isinstance(b, Notice) for b in liked.blocks), liked.blocks
        assert options(bot.ask("recommend")) == first  # same ratings, same list
    finally:
        gate.set()
        index.wait_idle(DEADLINE_S)
        core.db.dispose()


@dataclass(frozen=True)
class CancelWhile:
    """A gate that cancels each rebuild while `marker` exists."""

    marker: Path

    def wait(self, timeout: float | None = None) -> bool:
        return not self.marker.exists()


def test_a_failed_rebuild_keeps_the_previous_index_and_a_later_one_succeeds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    core = make_core(f"sqlite:///{tmp_path / 'core.db'}")
    marker = tmp_path / "fail"
    marker.touch()
    index = RecommendationIndex(
        core.db.session, sync_build_seconds=-1, rebuild_spacing=0, gate=CancelWhile(marker)
    )
    core.recommendations = index
    bot = SayBot(core)
    try:
        first = options(bot.ask("recommend"))
        with core.db.session() as session:
            before = index.current(session)
        bot.as_moderator().ask("film add", title="Harbour Lights of Quillon", year=2026)
        with core.db.session() as session:
            assert index.current(session) is before
        assert index.wait_idle(DEADLINE_S)
        assert "cancelled" in caplog.text
        with core.db.session() as session:
            assert index.current(session) is before  # still served (and a retry started)
        assert index.wait_idle(DEADLINE_S)
        assert index.built_by is None
        marker.unlink()
        assert options(bot.ask("recommend")) == first  # answered; starts a rebuild again
        assert index.wait_idle(DEADLINE_S)
        assert index.built_by not in (None, os.getpid())
        new = bot.ask("recommend like", title="Harbour Lights of Quillon")
        assert not any(isinstance(b, Notice) for b in new.blocks), new.blocks
    finally:
        index.wait_idle(DEADLINE_S)
        core.db.dispose()


def test_only_databases_another_process_can_open_are_rebuilt_in_one() -> None:
    assert separate_process_possible("sqlite:////srv/marquee.db")
    assert separate_process_possible("postgresql+psycopg://m@db/marquee")
    assert not separate_process_possible("sqlite://")
    assert not separate_process_possible("sqlite:///:memory:")
    assert not separate_process_possible("sqlite:///file:shared?mode=memory&cache=shared&uri=true")


def test_the_index_file_maps_back_to_the_same_index(bot: SayBot, tmp_path: Path) -> None:
    bot.ask("rate", title="Another Round", score=5)
    bot.ask("rate", title="The Hunt", score=4)
    with bot.core.db.session() as session:
        rec = bot.core.recommendations.current(session)
    path = tmp_path / "index.idx"
    index_file.save(rec, path)
    back = index_file.load(path)
    assert back.size == rec.size
    assert [back.content.keys[f] for f in range(len(back.content.keys))] == [
        rec.content.keys[f] for f in range(len(rec.content.keys))
    ]
    seeds, prefs = np.flatnonzero(rec.rating_count > 0)[:3], np.array([2.5, 1.5, -1.0])
    a, b = rec.rank(seeds, prefs, limit=20), back.rank(seeds, prefs, limit=20)
    assert a.rows.tolist() == b.rows.tolist() and np.allclose(a.scores, b.scores)
    assert rec.explain(a.rows, seeds, prefs, a.collaborative, a.content) == back.explain(
        b.rows, seeds, prefs, b.collaborative, b.content
    )


def test_a_big_index_reads_no_signature_until_a_rebuild_could_start(tmp_path: Path) -> None:
    """Every request used to read five aggregates to compare with the index's signature; a big
    index can't be rebuilt until its spacing has passed, so until then none is read."""
    from sqlalchemy import event

    core = make_core(f"sqlite:///{tmp_path / 'core.db'}")
    index = RecommendationIndex(core.db.session, sync_build_seconds=-1, rebuild_spacing=1e6)
    core.recommendations = index
    bot = SayBot(core)
    sent: list[str] = []

    def listen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        sent.append(sql)

    try:
        first = options(bot.ask("recommend"))  # builds on the spot, then rests
        event.listen(core.db.engine, "before_cursor_execute", listen)
        assert options(bot.ask("recommend")) == first
        assert sent, "the command ran no statement at all"
        assert not [s for s in sent if "max(member_rating.id)" in s], sent
    finally:
        core.db.dispose()
