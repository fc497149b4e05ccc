"""One recommendation index serves every community: it is learned from all their ratings, and
what it shows a member is their own community's."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pytest
from sqlalchemy import select

from bot.core import Marquee
from bot.recommend.index import RecommendationIndex
from bot.types import Actor, ChannelRef, Role
from storage import recommend_repo
from storage.community_scope import Scope, set_scope
from storage.models import MemberRating
from tests.backend import SayBot
from tests.test_recommend import film_id, options

SPACE_A = ChannelRef("test", "guild-A", "chan-A")
SPACE_B = ChannelRef("test", "guild-B", "chan-B")
OPERATOR = Actor("test", "u-operator", "Otto Operator", Role.MODERATOR, operator=True)
MOD_A = Actor("test", "u-mod-a", "Mona A", Role.MODERATOR)
MOD_B = Actor("test", "u-mod-b", "Bo B", Role.MODERATOR)
NEWCOMER = Actor("test", "u-new", "Nina Newcomer", Role.MEMBER)
# Films of the shared catalogue, which both communities see and rate; no demo film is a
# western, so a "western" filter lists these (and the local films below) alone.
SHARED = ("Meridian of Glass", "The Salt Orchard", "Lanterns over Vell")
B_LOCAL = "Quillon Nocturne"
A_LOCAL = "Harbour Lights of Quillon"


def members(prefix: str, n: int) -> list[Actor]:
    return [Actor("test", f"u-{prefix}{i}", f"{prefix} {i}", Role.MEMBER) for i in range(n)]


@dataclass
class Two:
    core: Marquee
    a: int  # community ids
    b: int

    def in_a(self, actor: Actor) -> SayBot:
        return SayBot(self.core, actor=actor, channel=SPACE_A)

    def in_b(self, actor: Actor) -> SayBot:
        return SayBot(self.core, actor=actor, channel=SPACE_B)


def community_of(core: Marquee, actor: Actor) -> int:
    """The community `actor`'s ratings were stamped with."""
    with core.db.session() as s:
        ids = set(
            s.scalars(
                select(MemberRating.community_id).where(MemberRating.user_id == actor.user_id)
            )
        )
    assert len(ids) == 1, ids
    return ids.pop()


@pytest.fixture
def two(core: Marquee) -> Two:
    """A (the first space: the demo's community) and B, each with a member who rated."""
    a_op = SayBot(core, actor=OPERATOR, channel=SPACE_A)
    for title in SHARED:
        made = a_op.ask("film add", title=title, year=2024, genres="Western")
        assert made.created is not None, made.blocks
    a, b = members("a", 1)[0], members("b", 1)[0]
    assert (
        not SayBot(core, actor=a, channel=SPACE_A).ask("rate", title=SHARED[0], score=4.5).is_error
    )
    assert not SayBot(core, actor=b, channel=SPACE_B).ask("rate", title=SHARED[1], score=2).is_error
    two = Two(core, community_of(core, a), community_of(core, b))
    assert two.a != two.b
    return two


def test_every_community_sees_one_signature_and_shares_one_build(two: Two) -> None:
    core = two.core
    signatures = []
    for community in (two.a, two.b, None):
        with core.db.session() as session:
            if community is not None:
                set_scope(session, Scope(community))
            signatures.append(recommend_repo.index_signature(session))
    # The background rebuild's unscoped session sees the same signature as both communities.
    assert signatures[0] == signatures[1] == signatures[2]
    index = core.recommendations
    a, b = two.in_a(members("a", 1)[0]), two.in_b(members("b", 1)[0])
    assert not a.ask("recommend").is_error
    built = index._built
    assert built is not None
    # Built in A's scoped session, the model still holds B's rating.
    rows = built.recommender.rows_of([film_id(core, SHARED[1])])
    assert len(rows) == 1 and built.recommender.rating_count[next(iter(rows.values()))] == 1
    assert not b.ask("recommend").is_error
    assert not b.ask("recommend like", title=SHARED[0]).is_error
    assert index._built is built, "B's request rebuilt the index A's had built"


def said(reply: object) -> str:
    return " ".join(f"{label} — {why}" for label, why in options(reply))  # type: ignore[arg-type]


def all_pages(bot: SayBot, command: str, **args: object) -> str:
    return " ".join(
        str(getattr(b, "text", "")) + repr(getattr(b, "options", ""))
        for page in (1, 2, 3, 4, 5)
        for b in bot.ask(command, page=page, **args).blocks  # type: ignore[arg-type]
    )


def test_another_communitys_ratings_never_count_in_favourites_or_reasons(two: Two) -> None:
    # B loves SHARED[2] (a favourite there: three members, 5 stars) and pans SHARED[0], which
    # A's one rater gave 4.5.
    for member in members("b", 3):
        two.in_b(member).ask("rate", title=SHARED[2], score=5)
        two.in_b(member).ask("rate", title=SHARED[0], score=1)
    in_b = dict(options(two.in_b(NEWCOMER).ask("recommend")))
    assert in_b.get(f"{SHARED[2]} (2024)") == "rated 5★ by 3 members", in_b
    # A's newcomer: A's favourites (the demo's), never B's; a western filter lists A's rated
    # western by A's own rating alone.
    in_a = dict(options(two.in_a(NEWCOMER).ask("recommend")))
    assert in_a and f"{SHARED[2]} (2024)" not in in_a, in_a
    westerns = dict(options(two.in_a(NEWCOMER).ask("recommend", genre="western")))
    assert westerns[f"{SHARED[0]} (2024)"] == "rated 4.5★ by 1 member", westerns
    assert "rated" not in westerns.get(f"{SHARED[2]} (2024)", ""), westerns
    # For a member who rated, too, a film nobody in A rated is not "rated" there.
    a_member = two.in_a(members("a", 1)[0])
    for_member = dict(options(a_member.ask("recommend", genre="western")))
    assert not for_member.get(f"{SHARED[2]} (2024)", "").startswith("rated "), for_member


def test_a_communitys_local_film_is_recommended_there_and_never_elsewhere(two: Two) -> None:
    core = two.core
    made_b = two.in_b(MOD_B).ask("film add", title=B_LOCAL, year=2025, genres="Western")
    made_a = two.in_a(MOD_A).ask("film add", title=A_LOCAL, year=2025, genres="Western")
    assert made_b.created is not None and made_a.created is not None
    # Each community's members love its local film together with the shared ones, so the
    # shared model links them.
    for who, space, local in (("a", two.in_a, A_LOCAL), ("b", two.in_b, B_LOCAL)):
        for member in members(who, 4):
            for title in (local, SHARED[0], SHARED[1]):
                assert not space(member).ask("rate", title=title, score=5).is_error
    reader = members("a", 5)[-1]
    two.in_a(reader).ask("rate", title=SHARED[1], score=5)
    a = two.in_a(reader)
    for command, args in (
        ("recommend", {}),
        ("recommend", {"genre": "western"}),
        ("recommend like", {"title": SHARED[0]}),
        ("recommend showing", {"days": 30}),
    ):
        assert B_LOCAL not in all_pages(a, command, **args), (command, args)
        assert B_LOCAL not in all_pages(two.in_a(NEWCOMER), command, **args), (command, args)
    assert A_LOCAL in all_pages(a, "recommend", genre="western")
    assert A_LOCAL in all_pages(a, "recommend like", title=SHARED[0])
    assert A_LOCAL in all_pages(two.in_a(NEWCOMER), "recommend")  # one of A's favourites
    assert B_LOCAL in all_pages(two.in_b(members("b", 5)[-1]), "recommend like", title=SHARED[0])
    # Not just hidden when the page is listed: the index never offers it to A (pages stay full).
    with core.db.session() as session:
        set_scope(session, Scope(two.a))
        rec = core.recommendations.current(session)
    b_row = rec.rows_of([made_b.created.id])[made_b.created.id]
    a_row = rec.rows_of([made_a.created.id])[made_a.created.id]
    assert rec.visible(two.b)[b_row] and not rec.visible(two.a)[b_row]
    assert rec.visible(two.a)[a_row] and not rec.visible(two.b)[a_row]
    seeds, prefs = np.array([a_row]), np.array([2.5])
    ranked = rec.rank(seeds, prefs, limit=50, community=two.a)
    assert b_row not in ranked.rows.tolist()
    assert b_row in rec.rank(seeds, prefs, limit=50, community=two.b).rows.tolist()
    picks, _ = rec.community_picks(limit=50, community=two.a, everything=True)
    assert b_row not in picks.rows.tolist()
    # B's four raters count for B alone.
    assert rec.community_of(two.a).raters[b_row] == 0
    assert rec.community_of(two.b).raters[b_row] == 4


def test_a_big_index_is_not_rebuilt_for_the_other_community(two: Two) -> None:
    """With every build counting as big (a background rebuild on any new signature, at once),
    B's requests after A's build start none: both see the signature the build had."""
    gate = threading.Event()
    index = RecommendationIndex(
        two.core.db.session, sync_build_seconds=-1, rebuild_spacing=0, gate=gate
    )
    two.core.recommendations = index
    try:
        assert not two.in_a(members("a", 1)[0]).ask("recommend").is_error  # on the spot
        built = index._built
        for actor in (members("b", 1)[0], NEWCOMER):
            assert not two.in_b(actor).ask("recommend").is_error
            assert not two.in_a(actor).ask("recommend").is_error
        assert not index.building and index._built is built
    finally:
        gate.set()
        index.wait_idle(120.0)
