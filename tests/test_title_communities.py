"""A community's local films stay its own in title resolution (issue #16).

The title index holds every community's titles, each with its film's community, and a search
keeps the ones the asking community sees: the shared catalogue's and its own. These tests hold
that to what the database's own scoped reads would answer, on both backends, with another
process adding a local film while this one runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import title_index_file
from bot.core import Marquee
from bot.title_index import TitleIndex
from bot.types import ChannelRef, ErrorNotice, FilmCard, Reply
from storage import film_queries
from storage.community_scope import SHARED_ONLY, Scope, set_scope
from storage.db import Database
from storage.models_catalogue import Film, FilmTitle
from tests.backend import SayBot

# The first space to arrive claims the demo's community; the second starts a new one.
SPACE_A = ChannelRef("test", "guild-a", "chan-a")
SPACE_B = ChannelRef("test", "guild-b", "chan-b")
LOCAL = "Harbour Lights of Quillon"
MISSPELT = "Harbour Lihgts of Quilon"


def card_of(reply: Reply) -> FilmCard | None:
    cards = [b for b in reply.blocks if isinstance(b, FilmCard)]
    return cards[0] if cards else None


@pytest.fixture
def a_process(any_core: Marquee) -> Iterator[Marquee]:
    """Community A's process: its own core and engine on the same database, its title index
    built before community B's film exists."""
    other = Marquee(Database(any_core.db.url.render_as_string(hide_password=False)))
    other.warm_up()
    SayBot(other, channel=SPACE_A).say("help")  # A arrives first
    yield other
    other.db.dispose()


def test_a_film_b_adds_while_a_runs_is_offered_to_b_and_never_to_a(
    any_core: Marquee, a_process: Marquee
) -> None:
    b = SayBot(any_core, channel=SPACE_B).as_moderator()
    made = b.ask("film add", title=LOCAL, year=2026).created
    assert made is not None
    # A's process looks for other processes' titles at most a second late; look now.
    a_process.resolver.mark_stale()
    a = SayBot(a_process, channel=SPACE_A)

    # The title is in A's index (so it is the community filter that keeps it from A) ...
    for_a = a_process.complete_titles(MISSPELT, where=SPACE_A)
    assert a_process.resolver.index.search(LOCAL.lower(), limit=1)[0].film_id == made.id
    # ... and neither autocomplete, nor a misspelt or exact title, offers it to A.
    assert f"#{made.id}" not in {value for _, value in for_a}
    for text in (MISSPELT, LOCAL, "harbour lights"):
        reply = a.ask("film", title=text)
        assert card_of(reply) is None or card_of(reply).film_id != made.id, text  # type: ignore[union-attr]
        assert f"#{made.id}" not in repr(reply), text
    # B, served by the same process, is offered its film by a misspelt title and autocomplete.
    b_there = SayBot(a_process, channel=SPACE_B)
    card = card_of(b_there.ask("film", title=MISSPELT))
    assert card is not None and card.film_id == made.id
    assert (f"{LOCAL} (2026)", f"#{made.id}") in a_process.complete_titles(MISSPELT, where=SPACE_B)


def test_each_community_resolves_a_shared_title_to_its_own_local_film(
    any_core: Marquee, a_process: Marquee
) -> None:
    a = SayBot(a_process, channel=SPACE_A).as_moderator()
    b = SayBot(any_core, channel=SPACE_B).as_moderator()
    mine = a.ask("film add", title=LOCAL, year=2025).created
    theirs = b.ask("film add", title=LOCAL, year=2026).created
    assert mine is not None and theirs is not None
    a_process.resolver.mark_stale()
    any_core.resolver.mark_stale()
    for core, space, film in ((a_process, SPACE_A, mine), (any_core, SPACE_B, theirs)):
        for text in (MISSPELT, LOCAL):
            card = card_of(SayBot(core, channel=space).ask("film", title=text))
            assert card is not None and card.film_id == film.id, (space, text)


def test_ranked_answers_as_the_scoped_database_would(any_core: Marquee) -> None:
    """What `ranked` offers a community is what the community's own scoped reads can load."""
    b = SayBot(any_core, channel=SPACE_B).as_moderator()
    SayBot(any_core, channel=SPACE_A).say("help")
    made = b.ask("film add", title=LOCAL, year=2026).created
    assert made is not None
    b_community = _community_of(any_core, made.id)
    for community in (SHARED_ONLY, 1, b_community):
        with any_core.db.session() as session:
            set_scope(session, Scope(community))
            ranked = any_core.resolver.ranked(session, "harbour lights of quilon", None)
            offered = [film_id for film_id, _ in ranked]
            loadable = film_queries.get_films(session, offered, related=False)
            assert sorted(loadable) == sorted(offered), community
            assert (made.id in offered) == (community == b_community), community


def _community_of(core: Marquee, film_id: int) -> int:
    with core.db.session() as session:
        film = session.get(Film, film_id)
        assert film is not None and film.community_id is not None
        return film.community_id


def test_an_exact_title_added_in_the_same_unit_of_work_is_found(core: Marquee) -> None:
    """The exact lookup is a Core statement on the session's connection; it still sees what
    the unit of work has not flushed yet, as the ORM's autoflush did."""
    with core.db.session() as session:
        film = Film(
            title="Unflushed Dawn", year=2030, created_at=core.clock(), updated_at=core.clock()
        )
        film.titles.append(FilmTitle(title="Unflushed Dawn", norm="unflushed dawn", kind="main"))
        session.add(film)
        assert film_queries.films_with_norm(session, "unflushed dawn") == [film.id]
        session.rollback()


def test_the_index_keeps_each_titles_community() -> None:
    index = TitleIndex()
    index.add_many(
        [
            (1, 10, "harbour lights", 2026, None),
            (2, 11, "harbour lights", 2025, 7),
            (3, 12, "harbour lights", 2024, 8),
        ]
    )
    found = {
        community: {h.film_id for h in index.search("harbour lihgts", community=community)}
        for community in (None, SHARED_ONLY, 7, 8)
    }
    assert found == {None: {10, 11, 12}, SHARED_ONLY: {10}, 7: {10, 11}, 8: {10, 12}}


def test_a_saved_index_keeps_communities_and_an_older_format_is_rebuilt(tmp_path: Path) -> None:
    index = TitleIndex()
    index.add_many([(1, 10, "harbour lights", 2026, None), (2, 11, "harbour lights", 2025, 7)])
    index.compact()
    fingerprint = title_index_file.Fingerprint(max_title_id=2, count=2, id_sum=3, year_sum=4051)
    assert title_index_file.save(index, fingerprint, tmp_path / "titles")
    loaded = title_index_file.load(tmp_path / "titles")
    assert {h.film_id for h in loaded.search("harbour lights", community=3)} == {10}
    assert {h.film_id for h in loaded.search("harbour lights", community=7)} == {10, 11}
    # A copy in the layout before communities were kept is ignored (and so rebuilt), not read.
    meta = tmp_path / "titles" / "meta.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "format": 1}))
    assert title_index_file.saved_fingerprint(tmp_path / "titles") is None


def test_a_film_removed_by_another_process_is_not_answered(
    any_core: Marquee, a_process: Marquee
) -> None:
    """A's index still holds the title of a film another process removed; the command's own
    load of the film finds nothing, so A is told so rather than shown a card."""
    SayBot(any_core, channel=SPACE_A).say("help")
    a_mod = SayBot(any_core, channel=SPACE_A).as_moderator()
    made = a_mod.ask("film add", title=LOCAL, year=2026).created
    assert made is not None
    a_process.resolver.mark_stale()
    a = SayBot(a_process, channel=SPACE_A)
    assert card_of(a.ask("film", title=MISSPELT)) is not None
    removed = a_mod.ask("film remove", film=f"#{made.id}", confirm=True)
    assert removed.failure is None, removed
    reply = a.ask("film", title=MISSPELT)
    assert card_of(reply) is None
    assert any(isinstance(b, ErrorNotice) for b in reply.blocks), reply


def test_communities_survive_rebuilds_and_renumbering(monkeypatch: pytest.MonkeyPatch) -> None:
    """Titles added in batches, some rebuilt into the tables (and renumbered), some still
    pending: each community finds exactly the shared titles and its own."""
    monkeypatch.setattr("bot.title_index._REBUILD_AT", 100)
    index = TitleIndex()
    rows = [
        (i + 1, i + 1, f"harbour lights {i:03d}", 2000, (None, 7, 8)[i % 3]) for i in range(400)
    ]
    for start in range(0, len(rows), 30):
        index.add_many(rows[start : start + 30])
    assert index._postings.keys.size and index._pending
    for community in (None, SHARED_ONLY, 7, 8):
        for i in (5, 6, 7, 398, 399):
            hits = index.search(f"harbour lihgts {i:03d}", limit=400, community=community)
            expected = {
                film
                for _, film, _, _, owner in rows
                if community is None or owner in (None, community)
            }
            assert {h.film_id for h in hits} <= expected
            owner = rows[i][4]
            assert (hits[0].film_id == i + 1) == (community is None or owner in (None, community))
