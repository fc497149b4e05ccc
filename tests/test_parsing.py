"""Text arguments, dates and normalisation: the small parsers every adapter relies on."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.args import ArgError, coerce_args, parse_rating
from bot.normalize import normalize
from bot.registry import COMMANDS, CommandSpec, ParamKind, find_command
from bot.textargs import ArgSyntaxError, command_line, command_readings, parse_args, parse_line
from bot.types import Role
from bot.when import WhenError, parse_local_datetime, parse_range

TODAY = date(2026, 11, 24)  # a Tuesday


def test_bare_words_fill_the_first_parameter() -> None:
    spec, args = parse_line("/review Second Victims")  # type: ignore[misc]
    assert spec.name == "review" and args == {"title": "Second Victims"}


def test_named_values_run_to_the_next_name_and_may_be_quoted() -> None:
    spec, args = parse_line(  # type: ignore[misc]
        "/review add Second Victims rating=4.5 headline=Quiet storm "
        'body="x=1 stays, text" spoiler=no'
    )
    assert spec.name == "review add"
    assert args == {
        "film": "Second Victims",
        "rating": "4.5",
        "headline": "Quiet storm",
        "body": "x=1 stays, text",
        "spoiler": "no",
    }


def test_a_name_given_twice_is_refused() -> None:
    with pytest.raises(ArgSyntaxError):
        parse_args(find_command("review add"), "X rating=1 rating=2")  # type: ignore[arg-type]


def test_unknown_lines_are_not_commands() -> None:
    assert parse_line("/nonsense here") is None


@pytest.mark.parametrize(
    ("typed", "stars"), [("4", 4.0), ("4.5", 4.5), ("3,5", 3.5), ("5/5", 5.0), ("0.5", 0.5)]
)
def test_ratings(typed: str, stars: float) -> None:
    assert parse_rating(typed) == stars


@pytest.mark.parametrize("typed", ["0", "5.5", "-1", "4.25", "ten", "nan", "inf"])
def test_bad_ratings(typed: str) -> None:
    with pytest.raises(ArgError):
        parse_rating(typed)


@given(st.text(max_size=30))
def test_rating_parser_never_crashes(text: str) -> None:
    try:
        value = parse_rating(text)
    except ArgError:
        return
    assert 0.5 <= value <= 5 and (value * 2).is_integer()


@given(
    st.dictionaries(
        st.sampled_from(["film", "rating", "headline", "body", "spoiler"]), st.text(max_size=50)
    )
)
def test_coercion_either_refuses_or_returns_typed_values(raw: dict[str, str]) -> None:
    spec = find_command("review add")
    assert spec is not None
    try:
        args = coerce_args(spec, raw)  # type: ignore[arg-type]
    except ArgError as exc:
        assert str(exc)
        return
    assert isinstance(args["rating"], float) and args["headline"] and args["body"]


def test_dates() -> None:
    assert parse_range("tomorrow", TODAY).first == date(2026, 11, 25)
    assert parse_range("fri", TODAY).first == date(2026, 11, 27)
    week = parse_range("this week", TODAY)
    assert (week.first, week.last) == (TODAY, date(2026, 11, 30))
    fest = parse_range("2025-07-24..2025-08-13", TODAY)
    assert (fest.first, fest.last) == (date(2025, 7, 24), date(2025, 8, 13))
    assert parse_range("Friday 25 July 2025", TODAY).first == date(2025, 7, 25)
    assert parse_local_datetime("2025-07-25 18:30", TODAY) == datetime(2025, 7, 25, 18, 30)
    assert parse_local_datetime("fri 7pm", TODAY) == datetime(2026, 11, 27, 19, 0)


@pytest.mark.parametrize("typed", ["soon", "2025-13-01", "2025-02-30", "2025-08-13..2025-07-24"])
def test_bad_dates(typed: str) -> None:
    with pytest.raises(WhenError):
        parse_range(typed, TODAY)


@pytest.mark.parametrize("typed", ["2025-07-25", "2025-07-25 24:00", "fri 13pm", "later 19:00"])
def test_bad_start_times(typed: str) -> None:
    with pytest.raises(WhenError):
        parse_local_datetime(typed, TODAY)


def test_normalisation() -> None:
    assert normalize("Östlund") == normalize("ostlund") == "ostlund"
    assert normalize("Smørrebrød & Æbleskiver") == "smorrebrod aebleskiver"
    assert normalize("Straße") == "strasse"
    assert normalize("Quisling: The Final Days") == "quisling the final days"
    assert normalize("  ") == ""


# ---------------------------------------------------------------------------------------------
# Options never become titles; quoting keeps "x=y" in text
# ---------------------------------------------------------------------------------------------


def test_typographic_quotes_work_like_straight_ones() -> None:
    _, args = parse_line("/review add Arrival rating=4 headline=“a=b” body=Text.")  # type: ignore[misc]
    assert args["headline"] == "a=b"


@pytest.mark.parametrize(
    ("line", "unknown", "known"),
    [
        ("/film Persona year=1966", "year", "title"),
        ("/showtimes Perth day=fri", "day", "query, when"),
        ("/review Second Victims spoiler=yes", "spoiler", "title, spoilers"),
        ("/review add Arrival rating=4 headline=h body=b stars=5", "stars", "film, rating"),
    ],
)
def test_an_option_the_command_lacks_is_refused_with_the_ones_it_has(
    line: str, unknown: str, known: str
) -> None:
    with pytest.raises(ArgSyntaxError) as caught:
        parse_line(line)
    message = str(caught.value)
    assert f"has no option {unknown}." in message
    assert f"Its options: {known}" in message
    assert "quotes" in message  # how to keep "x=y" as text


def test_quoted_text_keeps_its_equals_signs_and_named_options() -> None:
    spec, args = parse_line(  # type: ignore[misc]
        '/review add Arrival rating=4 headline="a=b, c=d" body="rating=5 is a joke" spoiler=no'
    )
    assert args == {
        "film": "Arrival",
        "rating": "4",
        "headline": "a=b, c=d",
        "body": "rating=5 is a joke",
        "spoiler": "no",
    }
    assert parse_line('/film "E=mc2"') == (find_command("film"), {"title": "E=mc2"})


def test_an_equals_sign_inside_a_word_is_text() -> None:
    _, args = parse_line("/review add Arrival rating=4 headline=h body=a=b ticket?x=1")  # type: ignore[misc]
    assert args["body"] == "a=b ticket?x=1"


def test_apostrophes_do_not_open_quotes() -> None:
    _, args = parse_line(  # type: ignore[misc]
        "/review add Schindler's List rating=4 headline=It's 'Round Midnight body=Don't"
    )
    assert args == {
        "film": "Schindler's List",
        "rating": "4",
        "headline": "It's 'Round Midnight",
        "body": "Don't",
    }


def test_a_command_without_options_refuses_text_after_it() -> None:
    with pytest.raises(ArgSyntaxError, match="takes nothing"):
        parse_line("/watchlist Arrival")
    assert parse_line("/watchlist") == (find_command("watchlist"), {})


# ---------------------------------------------------------------------------------------------
# Printed commands parse back to what they stand for
# ---------------------------------------------------------------------------------------------


def test_the_first_parameter_is_written_bare_whatever_the_dict_order() -> None:
    # The hint after `rate` once read "rate 4.0 title=#37": the title given twice.
    assert command_line("rate", {"score": 4.0, "title": "#37"}) == "rate #37 score=4"
    assert command_line("showtimes", {"when": "this week", "page": 2}) == (
        'showtimes when="this week" page=2'
    )
    # A title whose first word would make a longer command is quoted.
    assert command_line("film", {"title": "add Arrival"}) == 'film "add Arrival"'


_TYPED = [s for s in COMMANDS if all(p.kind is not ParamKind.FILE for p in s.params)]
_VALUE = (
    st.text(
        st.characters(
            whitelist_categories=("L", "N"), whitelist_characters=" '=#:.,-é", max_codepoint=0x24F
        ),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)


@given(st.sampled_from(_TYPED), st.data())
def test_command_lines_parse_back_to_their_arguments(
    spec: CommandSpec, data: st.DataObject
) -> None:
    names = [p.name for p in spec.params]
    chosen = data.draw(st.lists(st.sampled_from(names), unique=True)) if names else []
    args = {name: data.draw(_VALUE) for name in chosen}
    line = command_line(spec.name, args)
    assert parse_line(line) == (spec, args), line


# ---------------------------------------------------------------------------------------------
# Titles that start with a command's name
# ---------------------------------------------------------------------------------------------


def test_a_title_that_starts_with_a_command_reads_as_that_command() -> None:
    def read(text: str, role: Role = Role.MEMBER) -> list[tuple[str, str, bool]]:
        found = command_readings(text, role=role)
        return [(r.spec.name, r.rest, r.full_name) for r in found]

    assert read("review Arrival") == [("review", "Arrival", True)]
    assert read("recommend like Arrival") == [("recommend like", "Arrival", True)]
    assert read("help") == [("help", "", True)]
    # A sub-command's word on the wrong parent, for those who may run it.
    assert read("like Arrival") == [("recommend like", "Arrival", False)]
    assert ("review add", "Arrival", False) in read("add Arrival", Role.MODERATOR)
    assert all(name != "review add" for name, _, _ in read("add Arrival"))
    assert read("review review Arrival") == [("review", "review Arrival", True)]
    assert read("#12") == [] and read("Arrival") == [] and read("Solaris (1972)") == []
