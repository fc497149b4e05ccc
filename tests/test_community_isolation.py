"""Communities are isolated (issue #14): nothing community B's admin runs changes or shows
community A's data.

A is the first space to arrive ("guild-A": it claims the demo's community); B ("guild-B") is a
new, empty community. Every moderator and admin command of the registry is aimed by B's admin
at A's things (its reviews, screenings, subscriptions, local film, audit entries, import UIDs)
and at the shared catalogue, and every row A owns must be the same afterwards. The list of
cases is checked against the registry, so a new command fails here until it has one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Table, func, or_, select
from sqlalchemy.orm import selectinload

from bot.core import Marquee
from bot.importers.errors import InvalidRows
from bot.importers.job import ImportJob
from bot.importers.showtimes import import_showtimes
from bot.registry import COMMANDS, CommandSpec
from bot.types import (
    Actor,
    ArgValue,
    AttachedFile,
    ChannelRef,
    Choices,
    ErrorNotice,
    Invocation,
    Reply,
    Role,
)
from storage import communities
from storage.models import Base
from storage.models_alerts import AlertOutbox
from storage.models_audit import AuditEntry
from storage.models_screenings import Cinema, Showtime

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FESTIVAL = EXAMPLES / "festival.ics"
FESTIVAL_EVENT = "Nordlys Winter Film Days 2027"

SPACE_A = ChannelRef("test", "guild-A", "chan-A")
SPACE_B = ChannelRef("test", "guild-B", "chan-B")
MOD_A = Actor("test", "u-mod-a", "Mona A", Role.MODERATOR)
MEMBER_A = Actor("test", "u-shared-person", "Sam Both", Role.MEMBER)
ADMIN_B = Actor("test", "u-admin-b", "Bea B", Role.ADMIN)
# The same person as MEMBER_A, in B's server.
MEMBER_B = replace(MEMBER_A, display_name="Sam Both (B)")

LOCAL_TITLE = "Harbour Lights of Quillon"
# The demo is community 1's, films included: its Film Forum and its Solaris are A's own.
A_CINEMA = "Film Forum"
A_DEMO_FILM = "Solaris (1972)"
# The shared catalogue: films an operator adds (Marquee's own people: shared with everyone).
OPERATOR = Actor("test", "u-operator", "Otto Operator", Role.MODERATOR, operator=True)
SHARED_FILM = "Meridian of Glass"
OTHER_SHARED_FILM = "The Salt Orchard"
# Not a demo cinema: the operator's shared screenings are there.
SHARED_CINEMA = "Kino Vinyl"

# The tables whose rows belong to a community, from the models themselves.
COMMUNITY_TABLES: tuple[Table, ...] = tuple(
    t for t in Base.metadata.sorted_tables if "community_id" in t.c
)
# The catalogue's children: a film's titles, genres and credits go with it.
FILM_CHILDREN = ("film_title", "film_genre", "credit")


def text_of(reply: Reply) -> str:
    return "\n".join(str(getattr(b, "text", "")) for b in reply.blocks)


def error_text(reply: Reply) -> str:
    return " ".join(b.text for b in reply.blocks if isinstance(b, ErrorNotice))


def everything_said(reply: Reply) -> str:
    """Every string a reply carries, however deep in its blocks: what a reader could see."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list | tuple | frozenset | set):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                walk(getattr(value, name))

    walk(reply.blocks)
    return "\n".join(out)


@dataclass
class World:
    """Two communities on one core, and the ids of what A owns."""

    core: Marquee
    a: int = 0
    b: int = 0
    local_film: int = 0
    review_on_shared: int = 0
    review_on_local: int = 0
    showtime: int = 0
    subscription: int = 0
    imported_showtimes: list[int] = field(default_factory=list)
    audit_entry: int = 0
    shared_showtime: int = 0

    def run(self, command: str, actor: Actor, channel: ChannelRef, /, **args: ArgValue) -> Reply:
        return self.core.handle(Invocation(command, dict(args), actor, channel))

    def in_a(self, command: str, actor: Actor = MOD_A, /, **args: ArgValue) -> Reply:
        reply = self.run(command, actor, SPACE_A, **args)
        assert not reply.is_error, (command, args, text_of(reply))
        assert not any(isinstance(b, Choices) for b in reply.blocks), (command, args)
        return reply

    def in_b(self, command: str, actor: Actor = ADMIN_B, /, **args: ArgValue) -> Reply:
        return self.run(command, actor, SPACE_B, **args)


def festival() -> AttachedFile:
    return AttachedFile("festival.ics", FESTIVAL.read_text(encoding="utf-8"))


def a_uids_csv(w: World, *, days: int) -> AttachedFile:
    """A's imported screenings, by their UIDs, `days` later, at cinemas B adds (a file names a
    cinema's city and zone): matched on UID alone, it would move or cancel A's."""
    with w.core.db.session() as s:
        shows = list(
            s.scalars(
                select(Showtime)
                .where(Showtime.id.in_(w.imported_showtimes))
                .options(selectinload(Showtime.film), selectinload(Showtime.cinema))
                .execution_options(every_community=True)
            )
        )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["film", "year", "cinema", "city", "time zone", "start", "uid"])
    for show in shows:
        zone = ZoneInfo(show.cinema.timezone)
        start = (show.starts_at + timedelta(days=days)).astimezone(zone)
        writer.writerow(
            [
                # A shared film: B can name it, so the row reaches the UID matching.
                SHARED_FILM,
                "",
                show.cinema.name,
                show.cinema.city,
                show.cinema.timezone,
                start.strftime("%Y-%m-%d %H:%M"),
                show.external_uid,
            ]
        )
    assert shows
    return AttachedFile("festival.csv", out.getvalue())


def build_world(core: Marquee, tmp: Path) -> World:
    w = World(core)
    # A arrives first and takes the demo's community; B is new.
    w.in_a("help")
    w.in_b("help")
    with core.db.session() as s:
        found_a = communities.find_space(s, "test", SPACE_A.workspace_id)
        found_b = communities.find_space(s, "test", SPACE_B.workspace_id)
        assert found_a is not None and found_b is not None
        w.a, w.b = found_a.community_id, found_b.community_id
    assert w.a != w.b
    for title, year in ((SHARED_FILM, 2019), (OTHER_SHARED_FILM, 2021)):
        shared = w.run(
            "film add",
            OPERATOR,
            SPACE_A,
            title=title,
            year=year,
            directors="Denis Villeneuve",
            genres="Science Fiction, Drama",
        )
        assert shared.created is not None, text_of(shared)
    created = w.in_a(
        "film add",
        title=LOCAL_TITLE,
        year=2024,
        directors="Denis Villeneuve",
        genres="Drama, Science Fiction",
    ).created
    assert created is not None
    w.local_film = created.id
    added = w.in_a(
        "review add",
        film=SHARED_FILM,
        rating=4.5,
        headline="A's private word on the shared film",
        body="Only community A should read this.",
    ).created
    assert added is not None
    w.review_on_shared = added.id
    added = w.in_a(
        "review add",
        film=f"#{w.local_film}",
        rating=4,
        headline="A's word on its own film",
        body="Local.",
    ).created
    assert added is not None
    w.review_on_local = added.id
    added = w.in_a(
        "showtime add", film=f"#{w.local_film}", cinema=A_CINEMA, starts="2027-07-04 19:30"
    ).created
    assert added is not None
    w.showtime = added.id
    w.in_a("import showtimes", file=festival(), event=FESTIVAL_EVENT)
    added = w.in_a(
        "alerts subscribe", target=f"cinema:{A_CINEMA}", kinds="new,reminder", leads="60"
    ).created
    assert added is not None
    w.subscription = added.id
    w.in_a("rate", MEMBER_A, title=SHARED_FILM, score=5)
    w.in_a("rate", MEMBER_A, title=f"#{w.local_film}", score=4.5)
    w.in_a("watch", MEMBER_A, title=SHARED_FILM)
    w.in_a("watch", MEMBER_A, title=A_DEMO_FILM)
    w.in_a("not interested", MEMBER_A, title=OTHER_SHARED_FILM)
    with core.db.session() as s:
        latest = s.scalar(select(func.max(Showtime.id))) or 0
    _shared_screenings(core, tmp)
    with core.db.session() as s:
        w.imported_showtimes = list(
            s.scalars(
                select(Showtime.id).where(Showtime.external_uid.is_not(None), Showtime.id <= latest)
            )
        )
        w.shared_showtime = s.scalars(
            select(Showtime.id).where(Showtime.id > latest).order_by(Showtime.id).limit(1)
        ).one()
        w.audit_entry = s.scalars(
            select(AuditEntry.id).where(AuditEntry.community_id == w.a).limit(1)
        ).one()
        # A pending alert of A's subscription, as the scheduler (a system session) records it:
        # `alerts remove` deletes its subscription's alerts itself.
        s.add(
            AlertOutbox(
                community_id=w.a,
                dedupe_key=f"isolation:{w.subscription}:{w.showtime}",
                kind="new",
                subscription_id=w.subscription,
                showtime_id=w.showtime,
                platform=SPACE_A.platform,
                workspace_id=SPACE_A.workspace_id,
                channel_id=SPACE_A.channel_id,
                due_at=core.clock(),
                created_at=core.clock(),
            )
        )
    assert w.imported_showtimes
    return w


def _shared_screenings(core: Marquee, tmp: Path) -> None:
    """The operator's import for every community (the CLI's, with no --community), at a cinema
    no community has yet."""
    path = tmp / "shared.csv"
    path.write_text(
        "film,cinema,city,time zone,start\n"
        f"{SHARED_FILM},{SHARED_CINEMA},Oslo,Europe/Oslo,2027-02-06 19:00\n"
        f"{OTHER_SHARED_FILM},{SHARED_CINEMA},Oslo,Europe/Oslo,2027-02-07 17:30\n",
        encoding="utf-8",
    )
    job = ImportJob(
        db=core.db,
        resolver=core.resolver,
        actor=Actor("cli", "cli:op", "Operator", Role.ADMIN),
        now=core.clock(),
    )
    import_showtimes(job, path)
    core.resolver.mark_stale()


@pytest.fixture
def world(any_core: Marquee, tmp_path: Path) -> World:
    return build_world(any_core, tmp_path)


# ---------------------------------------------------------------------------------------------
# Snapshots: every row A owns, and the catalogue's
# ---------------------------------------------------------------------------------------------

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(w: World) -> Snapshot:
    """Every row of community A in every community table, A's community row itself, and the
    films A can see (shared and its own) with their titles, genres and credits."""
    tables = Base.metadata.tables
    out: Snapshot = {}
    with w.core.db.engine.connect() as conn:

        def rows(table: Table, *where: Any) -> list[tuple[Any, ...]]:
            query = select(table).where(*where)
            return sorted((tuple(r) for r in conn.execute(query)), key=repr)

        for table in COMMUNITY_TABLES:
            out[table.name] = rows(table, table.c.community_id == w.a)
        film = tables["film"]
        out["film (shared)"] = rows(film, film.c.community_id.is_(None))
        visible = select(film.c.id).where(
            or_(film.c.community_id.is_(None), film.c.community_id == w.a)
        )
        for name in FILM_CHILDREN:
            child = tables[name]
            out[name] = rows(child, child.c.film_id.in_(visible))
        showtime = tables["showtime"]
        # By id too: whichever community the import gave them, B must not move A's screenings.
        out["showtime (A's import, shared)"] = rows(
            showtime,
            or_(showtime.c.id.in_(w.imported_showtimes), showtime.c.community_id.is_(None)),
        )
        for name in ("cinema", "event"):
            listing = tables[name]
            out[f"{name} (shared)"] = rows(listing, listing.c.community_id.is_(None))
        community = tables["community"]
        out["community"] = rows(community, community.c.id == w.a)
        events = select(tables["event"].c.id).where(tables["event"].c.community_id == w.a)
        event_cinema = tables["event_cinema"]
        out["event_cinema"] = rows(event_cinema, event_cinema.c.event_id.in_(events))
    guarded = ("review", "showtime", "subscription", "subscription_lead", "alert_outbox")
    assert all(out[name] for name in guarded), "A has rows to guard in every owned table"
    return out


def assert_unchanged(before: Snapshot, after: Snapshot, what: str) -> None:
    for name in before:
        assert before[name] == after[name], f"{what} changed A's {name} rows"


# ---------------------------------------------------------------------------------------------
# B's admin aims every moderator and admin command at A
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    command: str
    args: Callable[[World], dict[str, ArgValue]]
    # A phrase the refusal must contain; None when B may act (on B's own things) as long as A's
    # rows stay the same.
    refusal: str | None = None
    label: str = ""
    # A known isolation bug this case shows (kept as a strict xfail until it is fixed).
    bug: str | None = None


# "No film found", "There is no review #9", "is not this community's": unknown to B either way.
NOT_FOUND = r"\bno\b|\bnot\b"
SHARED = "shared catalogue"

CASES: tuple[Case, ...] = (
    Case(
        "review add",
        lambda w: {
            "film": f"#{w.local_film}",
            "rating": 1,
            "headline": "B's",
            "body": "on A's film",
        },
        NOT_FOUND,
        "on A's local film",
    ),
    Case(
        "review add",
        lambda w: {"film": SHARED_FILM, "rating": 1, "headline": "B's", "body": "B's own"},
        None,
        "B's own, on a shared film",
    ),
    Case(
        "review edit",
        lambda w: {"review": w.review_on_shared, "headline": "taken over", "version": 1},
        NOT_FOUND,
    ),
    Case("review edit", lambda w: {"review": w.review_on_local, "rating": 0.5}, NOT_FOUND),
    Case("review remove", lambda w: {"review": w.review_on_shared}, NOT_FOUND),
    Case("review remove", lambda w: {"review": w.review_on_local}, NOT_FOUND),
    Case("film add", lambda w: {"title": LOCAL_TITLE, "year": 2024, "again": True}, None),
    Case("film edit", lambda w: {"film": f"#{w.local_film}", "runtime": 1}, NOT_FOUND),
    Case("film edit", lambda w: {"film": SHARED_FILM, "runtime": 1}, SHARED, "shared film"),
    Case("film remove", lambda w: {"film": f"#{w.local_film}", "confirm": True}, NOT_FOUND),
    Case("film remove", lambda w: {"film": SHARED_FILM, "confirm": True}, SHARED, "shared film"),
    Case(
        "showtime add",
        lambda w: {"film": SHARED_FILM, "cinema": A_CINEMA, "starts": "2027-07-05 19:30"},
        NOT_FOUND,
        "at A's cinema",
    ),
    Case(
        "showtime add",
        lambda w: {"film": f"#{w.local_film}", "cinema": SHARED_CINEMA, "starts": "2027-07-05"},
        NOT_FOUND,
        "of A's film",
    ),
    Case("showtime remove", lambda w: {"showtime": w.showtime}, NOT_FOUND, "A's"),
    Case(
        "showtime remove",
        lambda w: {"showtime": w.imported_showtimes[0]},
        NOT_FOUND,
        "A's imported",
    ),
    Case("showtime remove", lambda w: {"showtime": w.shared_showtime}, SHARED, "shared"),
    Case("audit", lambda w: {"entry": w.audit_entry}, NOT_FOUND),
    Case("audit", lambda w: {"page": 2}, None, "a later page"),
    Case(
        "import showtimes",
        lambda w: {"file": festival(), "event": FESTIVAL_EVENT, "remove_missing": True},
        None,
        "A's UIDs",
    ),
    Case(
        "import showtimes",
        lambda w: {"file": a_uids_csv(w, days=0), "source": "festival.ics"},
        None,
        "A's UIDs as B's",
    ),
    Case(
        "import showtimes",
        lambda w: {
            "file": a_uids_csv(w, days=1),
            "remove_missing": True,
            "source": "festival.ics",
        },
        None,
        "A's UIDs moved",
    ),
    Case(
        "alerts subscribe",
        lambda w: {"target": f"cinema:{A_CINEMA}", "kinds": "new"},
        NOT_FOUND,
        "A's cinema",
    ),
    Case(
        "alerts subscribe",
        lambda w: {"target": f"film:{LOCAL_TITLE}", "kinds": "new"},
        NOT_FOUND,
        "A's film",
    ),
    Case("alerts remove", lambda w: {"subscription": w.subscription}, NOT_FOUND),
    # The lead's community commands (issue #14): each aimed at A from B.
    Case("settings", lambda w: {}, None),
    Case("community", lambda w: {}, None),
    Case("settings set", lambda w: {"key": "timezone", "value": "Asia/Tokyo"}, None),
    Case("settings set", lambda w: {"key": "moderators", "value": "u-admin-b"}, None),
    Case("community link", lambda w: {}, None),
    Case("community join", lambda w: {"code": "WRONG-CODE"}, "wrong", "a wrong code"),
    Case("community unlink", lambda w: {}, None),
    Case("community export", lambda w: {}, None),
    Case("community delete", lambda w: {"confirm": True}, None),
    Case("community use", lambda w: {"name": str(w.a)}, NOT_FOUND),
)

GUARDED = [c for c in COMMANDS if c.min_role >= Role.MODERATOR]
# Every case must name a registry command: a renamed command fails here, not silently.
LIVE_CASES = list(CASES)


def test_every_case_names_a_registry_command() -> None:
    names = {spec.name for spec in COMMANDS}
    assert not [c.command for c in CASES if c.command not in names]


def test_every_moderator_and_admin_command_has_a_case() -> None:
    covered = {c.command for c in CASES}
    missing = [spec.name for spec in GUARDED if spec.name not in covered]
    assert not missing, f"add a case in {__name__}.CASES for: {missing}"


def _case_id(case: Case) -> str:
    return f"{case.command} ({case.label})" if case.label else case.command


def _args_for(spec: CommandSpec, args: dict[str, ArgValue]) -> dict[str, ArgValue]:
    """Only the arguments the command takes: a case guessing a name must not hide a refusal
    behind an argument error."""
    names = {p.name for p in spec.params}
    unknown = set(args) - names
    assert not unknown, f"{spec.name} takes no {sorted(unknown)}; its params: {sorted(names)}"
    return args


def _params(cases: list[Case]) -> list[Any]:
    return [
        pytest.param(
            c,
            id=_case_id(c),
            marks=[pytest.mark.xfail(strict=True, reason=c.bug)] if c.bug else [],
        )
        for c in cases
    ]


@pytest.mark.parametrize("case", _params(LIVE_CASES))
def test_b_admin_cannot_touch_a(world: World, case: Case) -> None:
    spec = next(s for s in COMMANDS if s.name == case.command)
    args = _args_for(spec, case.args(world))
    before = snapshot(world)
    reply = world.in_b(case.command, **args)
    assert reply.failure is None, text_of(reply)
    if case.refusal is not None:
        assert reply.is_error, f"{case.command} {args} was not refused: {text_of(reply)}"
        assert re.search(case.refusal, error_text(reply).lower()), error_text(reply)
    assert_unchanged(before, snapshot(world), f"B's {case.command} {args}")
    # And A still sees its own things as before.
    assert not world.in_a("review", title=SHARED_FILM).is_error


def test_b_cannot_edit_or_remove_a_shared_film(world: World) -> None:
    """A moderator (not only an admin) of B is told the shared catalogue is not theirs."""
    mod_b = replace(ADMIN_B, user_id="u-mod-b", role=Role.MODERATOR)
    before = snapshot(world)
    for command, args in (
        ("film edit", {"film": SHARED_FILM, "synopsis": "rewritten by B"}),
        ("film remove", {"film": SHARED_FILM, "confirm": True}),
    ):
        reply = world.in_b(command, mod_b, **args)
        assert reply.is_error and SHARED in error_text(reply), text_of(reply)
    assert_unchanged(before, snapshot(world), "B's moderator")


def test_a_chat_import_is_a_own(world: World) -> None:
    """A moderator's import from chat lists screenings for their community only."""
    with world.core.db.session() as s:
        owners = set(
            s.scalars(
                select(Showtime.community_id).where(Showtime.id.in_(world.imported_showtimes))
            )
        )
    assert owners == {world.a}


def test_b_importing_a_uids_makes_b_rows_and_leaves_a_screenings(world: World) -> None:
    reply = world.in_b("import showtimes", file=a_uids_csv(world, days=0), source="festival.ics")
    assert not reply.is_error, text_of(reply)
    assert f"{len(world.imported_showtimes)} created" in text_of(reply), text_of(reply)
    with world.core.db.session() as s:
        mine = list(s.scalars(select(Showtime).where(Showtime.community_id == world.b)))
        theirs = list(
            s.scalars(select(Showtime.id).where(Showtime.id.in_(world.imported_showtimes)))
        )
    assert len(mine) == len(world.imported_showtimes)
    assert sorted(theirs) == sorted(world.imported_showtimes)
    assert not set(s.id for s in mine) & set(world.imported_showtimes)


# ---------------------------------------------------------------------------------------------
# B's reads show nothing of A's
# ---------------------------------------------------------------------------------------------


def test_b_reads_none_of_a_private_data(world: World) -> None:
    audit = world.in_b("audit")
    assert "Mona A" not in everything_said(audit) and LOCAL_TITLE not in everything_said(audit)
    alerts = world.in_b("alerts list")
    assert A_CINEMA not in everything_said(alerts), everything_said(alerts)
    reviews = world.in_b("review", title=SHARED_FILM)
    assert "A's private word" not in everything_said(reviews), everything_said(reviews)
    local = world.in_b("review", title=LOCAL_TITLE)
    assert local.is_error or "A's word" not in everything_said(local)
    film = world.in_b("film", title=LOCAL_TITLE)
    assert film.is_error and "No film found" in error_text(film), text_of(film)
    by_id = world.in_b("film", title=f"#{world.local_film}")
    assert by_id.is_error, text_of(by_id)
    search = world.in_b("search", text="Quillon")
    assert LOCAL_TITLE not in everything_said(search)


def test_b_community_export_holds_nothing_of_a(world: World) -> None:
    reply = world.in_b("community export")
    assert not reply.is_error, text_of(reply)
    exported = everything_said(reply) + repr(reply.exported)
    for private in ("A's private word", LOCAL_TITLE, "Mona A", A_CINEMA):
        assert private not in exported, private


def test_b_showtimes_list_shared_screenings_but_not_a(world: World) -> None:
    with world.core.db.session() as s:
        a_cinemas = set(s.scalars(select(Cinema.name).where(Cinema.community_id == world.a)))
        shared_cinemas = set(s.scalars(select(Cinema.name).where(Cinema.community_id.is_(None))))
    assert a_cinemas and shared_cinemas
    said = everything_said(world.in_b("showtimes", when="2027-02-01..2027-02-28"))
    assert any(name in said for name in shared_cinemas), said
    for when in ("2027-02-01..2027-02-28", "2027-07-01..2027-07-31", None):
        args: dict[str, ArgValue] = {"when": when} if when else {}
        said = everything_said(world.in_b("showtimes", **args))
        assert not any(name in said for name in a_cinemas - shared_cinemas), said
        assert LOCAL_TITLE not in said
    exported = everything_said(world.in_b("export", query="Film Forum"))
    assert LOCAL_TITLE not in exported


def test_b_recommendations_never_name_a_local_film(world: World) -> None:
    world.in_b("rate", MEMBER_B, title=SHARED_FILM, score=5)
    world.in_b("rate", MEMBER_B, title=OTHER_SHARED_FILM, score=5)
    for command, args in (
        ("recommend", {}),
        ("recommend", {"genre": "science fiction"}),
        ("recommend like", {"title": SHARED_FILM}),
        ("recommend showing", {"days": 30}),
    ):
        for page in (1, 2, 3):
            said = everything_said(world.in_b(command, MEMBER_B, page=page, **args))
            assert LOCAL_TITLE not in said, (command, args, page)


def test_the_same_person_in_b_sees_none_of_their_a_lists(world: World) -> None:
    # Their two ratings in A do not make them a rater in B.
    fresh = world.in_b("recommend", MEMBER_B)
    assert "Nothing to recommend yet" in text_of(fresh), text_of(fresh)
    in_a = world.run("recommend", MEMBER_A, SPACE_A)
    assert not in_a.is_error and "Nothing to recommend yet" not in text_of(in_a)
    watchlist = everything_said(world.in_b("watchlist", MEMBER_B))
    assert SHARED_FILM not in watchlist and "Solaris" not in watchlist, watchlist
    in_a_list = everything_said(world.in_a("watchlist", MEMBER_A))
    assert SHARED_FILM in in_a_list and "Solaris" in in_a_list, in_a_list
    # Watching the same shared film in B is B's entry; unwatching it there leaves A's.
    assert not world.in_b("watch", MEMBER_B, title=SHARED_FILM).is_error
    assert not world.in_b("unwatch", MEMBER_B, title=SHARED_FILM).is_error
    assert SHARED_FILM in everything_said(world.in_a("watchlist", MEMBER_A))
    # A's own (demo) film is not B's to watch at all.
    assert world.in_b("watch", MEMBER_B, title=A_DEMO_FILM).is_error
    # "Not interested" in A only: undoing it in B does not undo A's.
    with world.core.db.engine.connect() as conn:
        table = Base.metadata.tables["not_interested"]
        a_rows = list(conn.execute(select(table).where(table.c.community_id == world.a)))
        b_rows = list(conn.execute(select(table).where(table.c.community_id == world.b)))
    assert a_rows and not b_rows
    ratings = Base.metadata.tables["member_rating"]
    with world.core.db.engine.connect() as conn:
        b_ratings = list(conn.execute(select(ratings).where(ratings.c.community_id == world.b)))
    assert not b_ratings
    # Rating in B leaves A's rating of the same film as it was.
    before = snapshot(world)
    world.in_b("rate", MEMBER_B, title=SHARED_FILM, score=1)
    world.in_b("interested", MEMBER_B, title=OTHER_SHARED_FILM)
    assert_unchanged(before, snapshot(world), "the same person's rating in B")


def test_a_recommendation_index_built_for_one_community_shows_b_none_of_its_films(
    any_core: Marquee,
) -> None:
    """Two fresh communities without reviews or ratings have the same index signature, so one
    in-memory index, built in whichever asked first, serves both: C's local film must still
    never reach B."""
    w = World(any_core)
    w.in_a("help")
    space_c = ChannelRef("test", "guild-C", "chan-C")
    mod_c = replace(MOD_A, user_id="u-mod-c")
    operator = replace(MOD_A, user_id="u-operator", operator=True)
    made = w.run(
        "film add", mod_c, space_c, title="Quillon Nocturne", year=2024, genres="Science Fiction"
    )
    assert made.created is not None, text_of(made)
    # The newest film is a shared one, so C's local film changes neither community's signature.
    shared = w.run("film add", operator, SPACE_A, title="Shared Newcomer", year=2025)
    assert shared.created is not None, text_of(shared)
    in_c = w.run("recommend", mod_c, space_c, genre="science fiction")
    assert "Quillon Nocturne" in everything_said(in_c), "the probe must be recommendable in C"
    for args in ({"genre": "science fiction"}, {"era": "recent"}, {}):
        said = everything_said(w.in_b("recommend", MEMBER_B, **args))
        assert "Quillon Nocturne" not in said, args


# bot/importers/showtime_plan.py in an unscoped job (the operator's CLI import for every
# community) resolves films and cinemas among every community's own rows too, so a shared
# screening can name a film or cinema only one community sees: the others' `showtimes` then
# fails (bot/cards.py showtime_item gets film None) and `showtime remove` on it crashes.
SHARED_NAMES_LOCAL = (
    "issue #14: the operator's shared import resolves films and cinemas among communities' "
    "local rows; other communities' `showtimes` then crash on the shared screenings"
)


def test_an_operator_import_for_everyone_names_only_shared_films_and_cinemas(
    any_core: Marquee, tmp_path: Path
) -> None:
    w = World(any_core)
    w.in_a("help")
    w.in_b("help")
    job = ImportJob(
        db=any_core.db,
        resolver=any_core.resolver,
        actor=Actor("cli", "cli:op", "Operator", Role.ADMIN),
        now=any_core.clock(),
    )
    # The file's films are A's own (the demo's): an import for every community cannot list
    # them, so it is refused whole, and nothing of A's is touched.
    with pytest.raises(InvalidRows, match="no such film in the catalogue"):
        import_showtimes(job, EXAMPLES / "showtimes.csv")
    with any_core.db.session() as s:
        assert not list(s.scalars(select(Showtime.id).where(Showtime.community_id.is_(None))))


def test_title_autocomplete_offers_b_none_of_a_local_films(world: World) -> None:
    for_a = world.core.complete_titles("Harbour Lights", where=SPACE_A)
    assert any(LOCAL_TITLE in label for label, _ in for_a), for_a
    for_b = world.core.complete_titles("Harbour Lights", where=SPACE_B)
    assert not any(LOCAL_TITLE in label for label, _ in for_b), for_b
    assert world.core.complete_titles(SHARED_FILM, where=SPACE_B)
