"""The title index saved between runs: a restart maps the saved copy instead of rebuilding,
answers exactly as a rebuilt index would, and never trusts a copy the database contradicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import resolve, title_index_file
from bot.normalize import normalize
from bot.resolve import TitleResolver
from bot.title_index import TitleIndex
from bot.types import Invocation
from storage.db import Database
from tests.conftest import CHANNEL, MODERATOR, make_core

# Misspelt, partial and exact queries over the demo catalogue and the added films.
QUERIES = ["secnd victms", "second victims", "amazing grase", "solaris", "persna", "zzzz qqq"]


@pytest.fixture(autouse=True)
def save_small_catalogues(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resolve, "SAVE_FROM", 1)


def restart(db: Database, folder: Path) -> TitleResolver:
    resolver = TitleResolver(saved_at=folder)
    with db.session() as session:
        resolver.refresh(session)
    return resolver


def answers(resolver: TitleResolver, db: Database) -> list[list[tuple[int, float]]]:
    with db.session() as session:
        return [resolver.ranked(session, normalize(q), None) for q in QUERIES]


def film_add(core, title: str, year: int) -> int:  # type: ignore[no-untyped-def]
    reply = core.handle(Invocation("film add", {"title": title, "year": year}, MODERATOR, CHANNEL))
    assert reply.created is not None, reply
    return reply.created.id


def test_a_restart_maps_the_saved_index_and_answers_as_a_rebuilt_one(tmp_path: Path) -> None:
    core = make_core(f"sqlite:///{tmp_path / 'm.db'}")
    folder = tmp_path / "titles"
    first = restart(core.db, folder)
    assert not first.loaded_from_disk and (folder / "meta.json").exists()
    second = restart(core.db, folder)
    assert second.loaded_from_disk
    rebuilt = TitleResolver()
    assert answers(second, core.db) == answers(rebuilt, core.db) == answers(first, core.db)
    assert answers(second, core.db)[0], "the misspelt title was found"
    assert len(second.index) == len(first.index) > 0


def test_titles_added_after_the_save_are_read_from_the_database(tmp_path: Path) -> None:
    core = make_core(f"sqlite:///{tmp_path / 'm.db'}")
    folder = tmp_path / "titles"
    restart(core.db, folder)
    film_id = film_add(core, "Quiet Harbour Lights", 2021)
    again = restart(core.db, folder)
    assert again.loaded_from_disk  # the old titles still match: the copy is used
    with core.db.session() as session:
        assert again.resolve(session, "quiet harbor lihgts").film_id == film_id


@pytest.mark.parametrize("change", ["rename", "remove", "year"])
def test_a_copy_the_database_contradicts_is_rebuilt(tmp_path: Path, change: str) -> None:
    core = make_core(f"sqlite:///{tmp_path / 'm.db'}")
    film_id = film_add(core, "Quiet Harbour Lights", 2021)
    folder = tmp_path / "titles"
    restart(core.db, folder)
    if change == "rename":
        args = {"film": f"#{film_id}", "title": "Mountain Echo"}
        command = "film edit"
    elif change == "year":
        args, command = {"film": f"#{film_id}", "year": 1999}, "film edit"
    else:
        args, command = {"film": f"#{film_id}", "confirm": True}, "film remove"
    reply = core.handle(Invocation(command, args, MODERATOR, CHANNEL))
    assert not reply.is_error, reply
    again = restart(core.db, folder)
    assert not again.loaded_from_disk
    assert answers(again, core.db) == answers(TitleResolver(), core.db)
    with core.db.session() as session:
        found = again.resolve(session, "quiet harbour lights")
        if change == "year":
            assert (found.film_id, again.index.search("quiet harbour lights")[0].year) == (
                film_id,
                1999,
            )
        else:
            assert found.film_id is None
    assert restart(core.db, folder).loaded_from_disk  # the rebuild saved a fresh copy


def test_a_damaged_or_foreign_copy_is_ignored(tmp_path: Path) -> None:
    core = make_core(f"sqlite:///{tmp_path / 'm.db'}")
    folder = tmp_path / "titles"
    restart(core.db, folder)
    (folder / "meta.json").write_text("{not json", encoding="utf-8")
    assert not restart(core.db, folder).loaded_from_disk
    other = make_core(f"sqlite:///{tmp_path / 'other.db'}", demo=False)
    film_add(other, "Quiet Harbour Lights", 2021)
    assert not restart(other.db, folder).loaded_from_disk  # another catalogue's copy


def test_only_a_compacted_index_is_saved(tmp_path: Path) -> None:
    index = TitleIndex()
    index.add_many([(1, 1, "solaris", 1972, None)])  # small: pending, not in the tables
    fingerprint = title_index_file.Fingerprint(1, 1, 1, 1972)
    assert not title_index_file.save(index, fingerprint, tmp_path / "t")
    assert not (tmp_path / "t").exists()
