"""Every text limit holds on SQLite and PostgreSQL: the longest value the core accepts is stored,
one character more is refused with a message naming the field and its limit, and nothing
changes. SQLite keeps over-long strings; PostgreSQL refuses them, so these run on both.

The worst case for a stored normal form is text that transliteration lengthens: a CJK
character becomes up to nine letters, some emoji forty-two.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from anyascii import anyascii
from sqlalchemy import select

from bot.core import Marquee
from bot.importers.errors import ImportProblem
from bot.importers.films import import_films
from bot.importers.job import ImportJob
from bot.importers.reviews import import_reviews
from bot.importers.showtimes import import_showtimes
from bot.normalize import normalize
from bot.registry import COMMANDS, CommandSpec, Param, ParamKind
from bot.types import Actor, AttachedFile, Reply, Role
from storage import limits
from storage.models import AuditEntry, Base, Cinema, Event, Film, Person, Review, Subscription
from tests.backend import MODERATOR, SayBot
from tests.conftest import FIXED_NOW

# The characters whose transliteration is longest, so a normal form grows the most.
_CJK = sorted(
    (chr(c) for c in range(0x4E00, 0xA000)), key=lambda ch: (-len(anyascii(ch)), ord(ch))
)[:64]
_EMOJI = sorted(
    (chr(c) for c in range(0x1F300, 0x1FB00)), key=lambda ch: (-len(anyascii(ch)), ord(ch))
)[:64]
INTERNAL_ERROR = "Something went wrong"

# A platform display name longer than the audit column: nobody typed it, so it is shortened.
LONG_NAME = "Moderator " + "名" * 110
ADMIN = Actor("test", "u-long-admin", LONG_NAME, Role.ADMIN)


def worst(n: int, alphabet: list[str], offset: int = 0) -> str:
    """n characters drawn in turn from `alphabet` (varied, so the text is not one repeated
    letter); `offset` makes distinct values of the same length."""
    return "".join(alphabet[(i + offset) % len(alphabet)] for i in range(n))


def text_of(reply: Reply) -> str:
    return " ".join(str(getattr(b, "text", "")) for b in reply.blocks)


# Which space and member used Marquee is bookkeeping a refused command may well record.
BOOKKEEPING = {"community", "space", "community_member"}


def snapshot(core: Marquee) -> dict[str, list[str]]:
    """Every row of every data table, to compare before and after a refusal."""
    with core.db.engine.connect() as conn:
        return {
            t.name: sorted(repr(tuple(r)) for r in conn.execute(t.select()))
            for t in Base.metadata.sorted_tables
            if t.name not in BOOKKEEPING
        }


@pytest.fixture
def admin(any_bot: SayBot) -> SayBot:
    """The long-named admin who asks every command here, on each backend."""
    return any_bot.as_(ADMIN)


def new_film(admin: SayBot, title: str, **args: Any) -> int:
    reply = admin.ask("film add", title=title, **args)
    assert not reply.is_error, text_of(reply)
    return int(reply.created.id)


# ---------------------------------------------------------------------------------------------
# Every text parameter of every command, from the registry
# ---------------------------------------------------------------------------------------------

_STARTS = itertools.count()


def next_start() -> str:
    """A start no earlier case used: an identical screening would be refused as a repeat."""
    return f"{datetime(2027, 3, 1, 9) + timedelta(minutes=5 * next(_STARTS)):%Y-%m-%d %H:%M}"


# Lists whose items are stored one by one, each with its own limit, and their separator.
ITEMS: dict[str, tuple[int, str]] = {
    "directors": (limits.PERSON_NAME_MAX, ", "),
    "cast": (limits.PERSON_NAME_MAX, ", "),
    "genres": (limits.GENRE_MAX, ", "),
    "alt_titles": (limits.TITLE_MAX, " | "),
}
# (command, parameter) pairs whose longest value must be stored, not merely not crash.
STORED = {
    *(("film add", p) for p in (*ITEMS, "title", "original_title", "synopsis")),
    *(("film add", p) for p in ("countries", "languages")),
    *(("film edit", p) for p in (*ITEMS, "title", "original_title", "synopsis")),
    ("review add", "headline"),
    ("review add", "body"),
    ("review add", "author"),
    ("review edit", "headline"),
    ("review edit", "body"),
    ("showtime add", "format"),
    ("showtime add", "ticket"),
    ("import showtimes", "event"),
}


def longest(spec: CommandSpec, param: Param, alphabet: list[str], offset: int) -> str:
    """The longest value `param` accepts, made of text that normalises as long as possible."""
    assert param.max_length is not None
    n = param.max_length
    if param.name == "ticket":
        head = "https://tickets.example/"
        return head + "a" * (n - len(head))
    if param.name in ITEMS:
        item, sep = ITEMS[param.name]
        count = (n + len(sep)) // (item + len(sep))
        items = [worst(item, alphabet, offset + i) for i in range(count)]
        return sep.join(items)
    return worst(n, alphabet, offset)


def base_args(spec: CommandSpec, film_id: int, case: str) -> dict[str, Any]:
    """Valid values for a command's other required parameters."""
    csv = "film,cinema,start\nSecond Victims,Film Forum,2027-03-01 18:30\n"
    known: dict[str, dict[str, Any]] = {
        "film add": {"title": f"Limit case {case}"},
        "review add": {"film": f"#{film_id}", "rating": "4", "headline": "h", "body": "b"},
        "review edit": {"review": "1"},
        "film edit": {"film": f"#{film_id}"},
        "showtime add": {
            "film": f"#{film_id}",
            "cinema": "Film Forum",
            "starts": next_start(),
        },
        "import showtimes": {"file": AttachedFile("listing.csv", csv)},
        "alerts subscribe": {"target": "all"},
        "watch": {"title": f"#{film_id}"},
        "rate": {"score": "4"},
    }
    if spec.name in known:
        return dict(known[spec.name])
    return {p.name: f"#{film_id}" for p in spec.params if p.required and p.kind is ParamKind.TITLE}


TEXT_KINDS = (ParamKind.TEXT, ParamKind.TITLE)
CASES = [
    (spec, param)
    for spec in COMMANDS
    for param in spec.params
    if param.kind in TEXT_KINDS and not spec.hidden
]
# `settings set` takes one of five setting names, and what its value may be depends on the
# setting (a zone, a time, mentions): no one longest value fits them all. Its limits and
# refusals are tested in tests/test_community_commands.py.
FILLED_CASES = [(spec, param) for spec, param in CASES if spec.name != "settings set"]


def test_every_text_parameter_declares_its_limit() -> None:
    missing = [f"{s.name} {p.name}" for s, p in CASES if p.max_length is None]
    assert missing == []


@pytest.mark.slow
def test_every_text_parameter_takes_its_longest_value_and_refuses_one_more(
    admin: SayBot,
) -> None:
    """For each command's text parameters: the longest value (CJK, then emoji) gets an answer
    that is not an internal error, and is stored where the command stores it; one character
    more is refused, naming the parameter and the limit, with the database unchanged."""
    probe = new_film(admin, "Limit Probe", year=2024)
    failures: list[str] = []
    for number, (spec, param) in enumerate(FILLED_CASES):
        for variant, alphabet in (("cjk", _CJK), ("emoji", _EMOJI)):
            value = longest(spec, param, alphabet, offset=number)
            args = {**base_args(spec, probe, f"{number} {variant}"), param.name: value}
            reply = admin.ask(spec.name, **args)
            where = f"{spec.name} {param.name}={variant}"
            if INTERNAL_ERROR in text_of(reply):
                failures.append(f"{where}: {text_of(reply)}")
            elif (spec.name, param.name) in STORED and reply.is_error:
                failures.append(f"{where} was refused: {text_of(reply)[:200]}")
            if admin.ask("film", title=f"#{probe}").is_error or spec.name == "film edit":
                # Renamed or removed by the case (film remove, film edit title=…): a new one.
                probe = new_film(admin, f"Limit Probe {number} {variant}", year=2024)
            args = {**base_args(spec, probe, f"{number} {variant} over"), param.name: value}
            over = value + alphabet[0] if param.name != "ticket" else value + "a"
            # A list's last name is now one over its own limit.
            most = ITEMS[param.name][0] if param.name in ITEMS else param.max_length
            before = snapshot(admin.core)
            refused = admin.ask(spec.name, **{**args, param.name: over})
            message = text_of(refused)
            if not (refused.is_error and param.name in message and f"{most:,}" in message):
                failures.append(f"{where} + 1 was not refused clearly: {message[:200]}")
            if snapshot(admin.core) != before:
                failures.append(f"{where} + 1 changed the database")
    assert failures == [], "\n".join(failures)


# ---------------------------------------------------------------------------------------------
# Values the core derives from input: names split from lists, normal forms, alert targets
# ---------------------------------------------------------------------------------------------


def test_a_long_cjk_title_with_long_names_is_stored_and_found(admin: SayBot) -> None:
    title = worst(limits.TITLE_MAX, _CJK)
    assert len(normalize(title)) > 2 * limits.TITLE_MAX  # the normal form more than doubles
    cast = [worst(limits.PERSON_NAME_MAX, _EMOJI, i) for i in range(4)]
    genres = [worst(limits.GENRE_MAX, _CJK, i) for i in range(3)]
    film_id = new_film(admin, title, year=2025, cast=", ".join(cast), genres=", ".join(genres))
    found = admin.ask("film", title=title)
    assert not found.is_error and any(
        getattr(b, "film_id", None) == film_id for b in found.blocks
    ), text_of(found)
    with admin.core.db.session() as s:
        film = s.get(Film, film_id)
        assert film is not None
        assert film.title == title
        assert [c.person.name for c in film.credits] == cast
        assert all(len(c.person.norm) <= limits.NORM_MAX for c in film.credits)
        assert sorted(g.genre for g in film.genres) == sorted(g.lower() for g in genres)


@pytest.mark.parametrize(
    ("field", "item", "most"),
    [
        ("cast", "name", limits.PERSON_NAME_MAX),
        ("directors", "name", limits.PERSON_NAME_MAX),
        ("genres", "genre", limits.GENRE_MAX),
        ("alt_titles", "title", limits.TITLE_MAX),
    ],
)
def test_one_over_long_name_in_a_list_is_refused(
    admin: SayBot, field: str, item: str, most: int
) -> None:
    before = snapshot(admin.core)
    sep = " | " if field == "alt_titles" else ", "
    value = sep.join(["Short", worst(most + 1, _CJK)])
    for command, args in (
        ("film add", {"title": "Overlong List Film", "year": 2020}),
        ("film edit", {"film": "Second Victims"}),
    ):
        reply = admin.ask(command, **args, **{field: value})
        message = text_of(reply)
        assert reply.is_error, message
        assert field in message and f"at most {most:,}" in message and item in message
        assert "Nothing was changed" in message
    assert snapshot(admin.core) == before


def test_normal_forms_are_bounded_the_same_way_for_storage_and_lookup() -> None:
    for text in (worst(limits.TITLE_MAX, _EMOJI), worst(limits.TITLE_MAX, _CJK), "a " * 500):
        norm = normalize(text)
        assert 0 < len(norm) <= limits.NORM_MAX
        assert normalize(norm) == norm  # a stored form normalises to itself
    emoji_title = worst(limits.TITLE_MAX, _EMOJI)
    assert len(" ".join(anyascii(emoji_title).split())) > limits.NORM_MAX  # it is cut


def test_an_emoji_title_whose_normal_form_is_cut_is_still_found(admin: SayBot) -> None:
    title = worst(limits.TITLE_MAX, _EMOJI)
    film_id = new_film(admin, title, year=2021)
    reply = admin.ask("review", title=f"{title} (2021)")
    assert INTERNAL_ERROR not in text_of(reply)
    found = admin.ask("film", title=title)
    assert any(getattr(b, "film_id", None) == film_id for b in found.blocks), text_of(found)


def test_alert_targets_as_long_as_their_names_are_stored(admin: SayBot, tmp_path: Path) -> None:
    title = worst(limits.TITLE_MAX, _CJK)
    new_film(admin, title, year=2025)
    by_film = admin.ask("alerts subscribe", target=f"film:{title} (2025)")
    assert not by_film.is_error, text_of(by_film)
    # A city as long as a city can be, with a normal form far longer: the subscription keeps
    # the normal form, and its reminder rows keep it inside their key.
    city = worst(limits.CITY_MAX, _EMOJI)
    cinema = worst(limits.CINEMA_NAME_MAX, _CJK)
    listing = tmp_path / "city.csv"
    listing.write_text(
        f"film,cinema,city,time zone,start\nSecond Victims,{cinema},{city},UTC,2027-03-01 18:30\n",
        encoding="utf-8",
    )
    import_showtimes(job(admin.core), listing)
    by_city = admin.ask("alerts subscribe", target=f"city:{city}")
    assert not by_city.is_error, text_of(by_city)
    by_cinema = admin.ask("alerts subscribe", target=f"cinema:{cinema}")
    assert not by_cinema.is_error, text_of(by_cinema)
    with admin.core.db.session() as s:
        texts = set(s.scalars(select(Subscription.target_text)))
    assert f"{title} (2025)" in texts and normalize(city) in texts and cinema in texts


def test_long_display_names_are_shortened_and_every_write_succeeds(admin: SayBot) -> None:
    """A moderator whose platform name is longer than the audit column can still write."""
    mod = Actor("test", "u-long", "M" * 200, Role.MODERATOR)
    writes = [
        ("review add", {"film": "Second Victims", "rating": "4", "headline": "h", "body": "b"}),
        ("film edit", {"film": "Second Victims", "genres": "drama"}),
        (
            "showtime add",
            {"film": "Second Victims", "cinema": "Film Forum", "starts": "2027-03-01 18:30"},
        ),
        ("alerts subscribe", {"target": "all"}),
    ]
    for command, args in writes:
        reply = admin.ask(command, as_=mod, **args)
        assert not reply.is_error, f"{command}: {text_of(reply)}"
    with admin.core.db.session() as s:
        names = set(
            s.scalars(select(AuditEntry.actor_name).where(AuditEntry.actor_user_id == "u-long"))
        )
        bylines = set(
            s.scalars(select(Review.author_name).where(Review.author_user_id == "u-long"))
        )
    assert len(names) == 1 and len(next(iter(names))) == limits.ACTOR_NAME_MAX
    assert next(iter(names)).startswith("MMMM") and next(iter(names)).endswith("…")
    assert all(len(b) <= limits.AUTHOR_NAME_MAX for b in bylines) and bylines


# ---------------------------------------------------------------------------------------------
# Importers
# ---------------------------------------------------------------------------------------------


def job(core: Marquee) -> ImportJob:
    return ImportJob(db=core.db, resolver=core.resolver, actor=MODERATOR, now=FIXED_NOW)


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def test_film_import_stores_the_longest_names_and_refuses_longer(
    any_core: Marquee, tmp_path: Path
) -> None:
    ok = tmp_path / "ok.csv"
    title = worst(limits.TITLE_MAX, _CJK)
    name = worst(limits.PERSON_NAME_MAX, _EMOJI)
    genre = worst(limits.GENRE_MAX, _CJK)
    ok.write_text(
        "title,year,original_title,directors,cast,genres\n"
        + ",".join(
            _csv_cell(v)
            for v in (title, "2024", worst(limits.TITLE_MAX, _EMOJI), name, name, genre)
        )
        + "\n",
        encoding="utf-8",
    )
    summary = import_films(job(any_core), ok)
    assert summary.created == 1
    with any_core.db.session() as s:
        assert s.scalars(select(Person.name).where(Person.name == name)).one() == name
    for column, value, words in (
        ("cast", worst(limits.PERSON_NAME_MAX + 1, _EMOJI), f"at most {limits.PERSON_NAME_MAX}"),
        ("directors", worst(limits.PERSON_NAME_MAX + 1, _CJK), f"at most {limits.PERSON_NAME_MAX}"),
        ("genres", worst(limits.GENRE_MAX + 1, _CJK), f"longer than {limits.GENRE_MAX}"),
        ("title", worst(limits.TITLE_MAX + 1, _CJK), f"longer than {limits.TITLE_MAX}"),
    ):
        bad = tmp_path / f"bad-{column}.csv"
        row = {"title": "Another Film", column: value}
        bad.write_text(
            ",".join(row) + "\n" + ",".join(_csv_cell(v) for v in row.values()) + "\n",
            encoding="utf-8",
        )
        before = snapshot(any_core)
        with pytest.raises(ImportProblem, match=words):
            import_films(job(any_core), bad)
        assert snapshot(any_core) == before


def _review_file(folder: Path, author: str, headline: str) -> None:
    folder.mkdir()
    (folder / "r.md").write_text(
        f"---\nfilm: Second Victims\nauthor: {author}\nrating: 4\n"
        f"headline: {headline}\n---\nText.\n",
        encoding="utf-8",
    )


def test_review_import_limits(any_core: Marquee, tmp_path: Path) -> None:
    author = worst(limits.AUTHOR_NAME_MAX, _EMOJI)
    headline = worst(limits.HEADLINE_MAX, _CJK)
    _review_file(tmp_path / "ok", author, headline)
    assert import_reviews(job(any_core), tmp_path / "ok").created == 1
    with any_core.db.session() as s:
        assert s.scalars(select(Review.headline).where(Review.author_name == author)).one()
    for name, (bad_author, bad_headline) in {
        "author": (author + "x", "h"),
        "headline": ("A", headline + "x"),
    }.items():
        _review_file(tmp_path / name, bad_author, bad_headline)
        before = snapshot(any_core)
        with pytest.raises(ImportProblem, match=name):
            import_reviews(job(any_core), tmp_path / name)
        assert snapshot(any_core) == before


def test_showtime_import_limits(any_core: Marquee, tmp_path: Path) -> None:
    cinema = worst(limits.CINEMA_NAME_MAX, _CJK)
    city = worst(limits.CITY_MAX, _EMOJI)
    event = worst(limits.EVENT_NAME_MAX, _EMOJI)
    ticket = "https://t.example/" + "a" * (limits.TICKET_URL_MAX - 18)
    header = "film,cinema,city,time zone,start,event,format,ticket link\n"

    def listing(name: str, *cells: str) -> Path:
        path = tmp_path / name
        path.write_text(header + ",".join(_csv_cell(c) for c in cells) + "\n", encoding="utf-8")
        return path

    fmt = worst(limits.FORMAT_MAX, _CJK)
    ok = listing(
        "ok.csv", "Second Victims", cinema, city, "UTC", "2027-03-01 18:30", event, fmt, ticket
    )
    assert import_showtimes(job(any_core), ok).created == 1
    with any_core.db.session() as s:
        assert s.scalars(select(Cinema.city).where(Cinema.name == cinema)).one() == city
        assert s.scalars(select(Event.name).where(Event.name == event)).one() == event
    for what, cells in {
        f"cinema name longer than {limits.CINEMA_NAME_MAX}": ("X" + cinema, city, event),
        f"city longer than {limits.CITY_MAX}": ("Elsewhere", city + "x", event),
        # CJK: an emoji name one longer has the same (cut) normal form, so it is the same event.
        f"event name longer than {limits.EVENT_NAME_MAX}": (
            cinema,
            city,
            worst(limits.EVENT_NAME_MAX + 1, _CJK),
        ),
    }.items():
        bad = listing(
            "bad.csv",
            "Second Victims",
            cells[0],
            cells[1],
            "UTC",
            "2027-03-02 18:30",
            cells[2],
            "",
            "",
        )
        before = snapshot(any_core)
        with pytest.raises(ImportProblem, match=what):
            import_showtimes(job(any_core), bad)
        assert snapshot(any_core) == before
