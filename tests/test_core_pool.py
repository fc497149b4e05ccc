"""MARQUEE_CORE_PROCESSES: commands answered by a pool of core worker processes on one database
(adapters/core_pool.py), as `marquee run` starts it to use more than one CPU core."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.core_pool import CorePool, WorkerLost, WorkerSpec
from bot.core import Marquee
from bot.settings import Settings, SettingsError
from bot.types import FilmCard, Invocation, ReviewCard
from tests.backend import CHANNEL, MEMBER, MODERATOR, SayBot
from tests.conftest import make_core

pytestmark = pytest.mark.slow  # worker processes


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[CorePool]:
    url = f"sqlite:///{tmp_path / 'pool.db'}"
    core = make_core(url)
    pool = CorePool(core, WorkerSpec(url), 2)
    try:
        yield pool
    finally:
        pool.close()
        core.db.dispose()


def _headlines(reply: object) -> list[str]:
    blocks = getattr(reply, "blocks", ())
    return [b.headline for b in blocks if isinstance(b, ReviewCard)]


def _reviews_of_second_victims(core: Marquee) -> list[str]:
    reply = core.handle(Invocation("review", {"title": "Second Victims"}, MEMBER, CHANNEL))
    return _headlines(reply)


def _die(_core: Marquee) -> None:
    os._exit(3)


def test_two_worker_processes_answer_and_see_each_others_writes(pool: CorePool) -> None:
    pids = pool.start()
    assert len(set(pids)) == 2 and os.getpid() not in pids

    written = SayBot(pool, actor=MODERATOR).ask(  # type: ignore[arg-type]
        "review add",
        film="Second Victims",
        rating="4",
        headline="Seen from another process",
        body="Written through one worker, read through both.",
    )
    assert written.created is not None, written
    # Every worker reads it at once: each command is its own transaction on the one database.
    for seen in pool.run_in_each(_reviews_of_second_victims):
        assert "Seen from another process" in seen

    card = pool.handle(Invocation("film", {"title": "secnd victms"}, MEMBER, CHANNEL))
    assert isinstance(card.blocks[0], FilmCard) and card.blocks[0].title == "Second Victims"
    offered = pool.complete_titles("second vic", where=CHANNEL)
    assert offered and offered[0][0].startswith("Second Victims")


def test_a_worker_that_dies_is_replaced_and_commands_go_on(pool: CorePool) -> None:
    before = set(pool.start())
    with pytest.raises(WorkerLost) as lost:
        pool.run_in_each(_die)
    assert lost.value.delivered  # it had the call: that one is lost, not retried
    # The dead worker was replaced: the next commands are answered, one by a new process.
    for _ in range(2):
        reply = pool.handle(Invocation("review", {"title": "Second Victims"}, MEMBER, CHANNEL))
        assert _headlines(reply), reply
    after = set(pool.start())
    assert len(after) == 2 and len(after & before) == 1


def test_marquee_core_processes_is_a_small_whole_number() -> None:
    assert Settings.from_env({}).core_processes == 1
    assert Settings.from_env({"MARQUEE_CORE_PROCESSES": "2"}).core_processes == 2
    for bad in ("0", "two", "-1", "1.5", "65"):
        with pytest.raises(SettingsError, match="MARQUEE_CORE_PROCESSES must be a whole number"):
            Settings.from_env({"MARQUEE_CORE_PROCESSES": bad})
