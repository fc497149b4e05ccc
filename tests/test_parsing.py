"""Text arguments, dates and normalisation: the small parsers every adapter relies on."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.args import ArgError, coerce_args, parse_rating
from bot.normalize import normalize
from bot.registry import find_command
from bot.textargs import ArgSyntaxError, parse_args, parse_line
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
