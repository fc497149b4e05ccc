"""Every parser of user or file input must do work linear in its input.

No wall-clock threshold: each parser runs on a pathological input of SMALL characters and on
one ten times longer, in the same run, and the CPU time (`time.process_time`) of the two is
compared. A linear parser takes about 10× as long on the longer input, a quadratic one about
100×; the test fails above 40×. `split_year` with its old regular expression took 462 s on
100,000 spaces and fails here at about 100×.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import textargs, when
from bot.importers import ics, recur, reviews
from bot.importers.film_fields import film_fields as _fields
from bot.importers.showtime_rows import RowError
from bot.importers.showtime_rows import csv_row as _csv_row
from bot.importers.source import read_records
from bot.normalize import normalize, split_list
from bot.registry import COMMANDS
from bot.resolve import split_year

SMALL = 5_000  # characters; the large input is 10× — both under the 64 KiB line cap
LIMIT = 40.0  # linear ≈ 10×, quadratic ≈ 100×
TODAY = date(2026, 11, 24)


def _per_call(fn: Callable[[], object], calls: int, runs: int) -> float:
    best = math.inf
    for _ in range(runs):
        start = time.process_time()
        for _ in range(calls):
            fn()
        best = min(best, time.process_time() - start)
    return best / calls


def growth(parse: Callable[[str], object], make: Callable[[int], str]) -> float:
    """How many times longer `parse` takes on make(10·SMALL) than on make(SMALL)."""
    small, large = make(SMALL), make(10 * SMALL)
    calls = 1
    while _per_call(lambda: parse(small), calls, 1) * calls < 0.02 and calls < 4096:
        calls *= 2  # enough calls that the small input's time is well above the clock's grain
    small_time = _per_call(lambda: parse(small), calls, 5)
    large_time = _per_call(lambda: parse(large), max(1, calls // 10), 1)
    if large_time / small_time >= LIMIT:  # measure again before calling it super-linear
        large_time = min(large_time, _per_call(lambda: parse(large), max(1, calls // 10), 2))
    return large_time / max(small_time, 1e-9)


def quiet(fn: Callable[[str], object], *errors: type[Exception]) -> Callable[[str], object]:
    """`fn`, with the refusals it is meant to give swallowed: a refusal must be linear too."""

    def run(text: str) -> object:
        try:
            return fn(text)
        except errors:
            return None

    return run


SPEC = next(c for c in COMMANDS if c.name == "review add")

CASES: dict[str, tuple[Callable[[str], object], Callable[[int], str]]] = {
    "split_year spaces": (split_year, lambda n: "a" + " " * n + "x"),
    "split_year y:": (split_year, lambda n: "a" + " " * n + "y:"),
    "split_year parens": (split_year, lambda n: "(" * n + "1972)"),
    "normalize": (normalize, lambda n: ("Ø é! " * n)[:n]),
    "split_list": (split_list, lambda n: ",".join(str(i) for i in range(n // 6))),
    "when.parse_date": (
        quiet(lambda t: when.parse_date(t, TODAY), when.WhenError),
        lambda n: "1 " * (n // 2),
    ),
    "when.parse_range": (
        quiet(lambda t: when.parse_range(t, TODAY), when.WhenError),
        lambda n: "fri.." * (n // 5),
    ),
    "when.parse_local_datetime": (
        quiet(lambda t: when.parse_local_datetime(t, TODAY), when.WhenError),
        lambda n: "1 " * (n // 2) + "x",
    ),
    "textargs.parse_args keys": (
        quiet(lambda t: textargs.parse_args(SPEC, t), textargs.ArgSyntaxError),
        lambda n: "x rating=" * (n // 9),
    ),
    "textargs.parse_args spaces": (
        quiet(lambda t: textargs.parse_args(SPEC, t), textargs.ArgSyntaxError),
        lambda n: "Persona" + " " * n + "body=" + '"' * 3,
    ),
    "ics properties": (
        lambda t: ics.properties(ics.Component("VEVENT", 1, t)),
        lambda n: "BEGIN:VEVENT\r\nSUMMARY;X=" + ";Y=" * (n // 3) + ":a\r\nEND:VEVENT\r\n",
    ),
    "ics quoted parameters": (
        quiet(lambda t: ics.properties(ics.Component("VEVENT", 1, t)), ics.EventError),
        lambda n: 'BEGIN:VEVENT\r\nSUMMARY;X="' + ':"' * (n // 2) + ":a\r\nEND:VEVENT\r\n",
    ),
    "ics text unescaping": (
        lambda t: ics._text({"SUMMARY": [ics.Prop({}, t)]}, "SUMMARY"),
        lambda n: "\\\\," * (n // 3),
    ),
    "ics categories": (
        lambda t: ics._categories({"CATEGORIES": [ics.Prop({}, t)]}),
        lambda n: "\\," * (n // 2),
    ),
    "recurrence rule": (
        quiet(recur.parse_rule, recur.RuleError),
        lambda n: "FREQ=DAILY;COUNT=1" + ";" * n,
    ),
    "film fields": (
        quiet(lambda t: _fields({"title": "Persona", "cast": t, "directors": t}), ValueError),
        lambda n: ",".join(f"P{i}" for i in range(n // 6)),
    ),
    "showtime csv row": (
        quiet(
            lambda t: _csv_row(2, {"film": t, "cinema": t, "start": "2027-01-01 18:00"}), RowError
        ),
        lambda n: "a" + " " * n + "(1972)",
    ),
}


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", sorted(CASES))
def test_parser_is_linear(name: str) -> None:
    parse, make = CASES[name]
    ratio = growth(parse, make)
    assert ratio < LIMIT, f"{name}: 10× the input took {ratio:.0f}× the time"


def _file_parser(
    tmp_path: Path, suffix: str, read: Callable[[Path], object]
) -> Callable[[str], object]:
    counter = iter(range(10**6))

    def run(text: str) -> object:
        path = tmp_path / f"f{next(counter)}{suffix}"
        path.write_text(text, encoding="utf-8", newline="")
        return read(path)

    return run


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    ("suffix", "read", "make"),
    [
        (
            ".ics",
            lambda p: list(ics.components(p)),
            lambda n: (
                "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDESCRIPTION:x\r\n"
                + " y\r\n" * (n // 4)
                + "END:VEVENT\r\nEND:VCALENDAR\r\n"
            ),
        ),
        (
            ".csv",
            lambda p: [r for _, r in read_records(p, progress=None)[1]],
            lambda n: 'film,cinema,start\n"' + '""' * (n // 2) + '",x,y\n',
        ),
        (
            ".md",
            quiet(lambda p: reviews.parse_review(p, datetime(2026, 1, 1)), reviews.ReviewError),
            lambda n: "---\n" + "# note\n" * (n // 7) + "---\n# H\n\n" + "text " * (n // 5) + "\n",
        ),
    ],
    ids=["ics unfolding", "csv quoted field", "markdown review"],
)
def test_file_parser_is_linear(
    tmp_path: Path, suffix: str, read: Callable[[Path], object], make: Callable[[int], str]
) -> None:
    ratio = growth(_file_parser(tmp_path, suffix, read), make)
    assert ratio < LIMIT, f"{suffix}: 10× the input took {ratio:.0f}× the time"


_OLD_YEAR_HINT = re.compile(r"^(?P<title>.*?)\s*(?:\((?P<paren>\d{4})\)|\by:\s*(?P<tag>\d{4}))\s*$")


def _old_split_year(text: str) -> tuple[str, int | None]:
    m = _OLD_YEAR_HINT.match(text.strip())
    if m and m["title"]:
        return m["title"], int(m["paren"] or m["tag"])
    return text.strip(), None


@given(
    st.text(alphabet="ay:()_ 1290\n\t-é٣", max_size=14),
    st.sampled_from(["", "(2016)", " y:2016", "y: 1999", " (1972) ", "y:12345", "\n(2001)"]),
)
def test_split_year_gives_the_old_answers(head: str, tail: str) -> None:
    text = head + tail
    assert split_year(text) == _old_split_year(text)
