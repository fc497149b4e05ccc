"""Shared pieces of the property-based ("fuzz") tests: hostile text, a cheap fingerprint of
the database to prove that a refusal changed nothing, and a count of the cases that ran.

The count is printed at the end of the run (tests/conftest.py), so CI's log says how many
adversarial cases it tried; bench/RESULTS.md records a figure from such a run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from hypothesis import strategies as st
from sqlalchemy import func, select

from storage.db import Database
from storage.models_alerts import AlertOutbox, Subscription, SubscriptionLead
from storage.models_audit import AuditEntry
from storage.models_catalogue import Credit, Film, FilmGenre, FilmTitle, Person, Review
from storage.models_members import MemberRating, NotInterested, WatchlistItem
from storage.models_screenings import Cinema, Event, Showtime


@dataclass
class FuzzTally:
    cases: int = 0
    seconds: float = 0.0


TALLY: dict[str, FuzzTally] = {}


class counted:
    """Context manager counting one case of the named fuzz target, and its time."""

    def __init__(self, name: str) -> None:
        self.tally = TALLY.setdefault(name, FuzzTally())

    def __enter__(self) -> None:
        self._t0 = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.tally.cases += 1
        self.tally.seconds += time.perf_counter() - self._t0


# Text shapes that broke, or could break, a parser, a column, a renderer or a platform.
HOSTILE = [
    "",
    " ",
    "@everyone",
    "@here",
    "<!channel>",
    "<!here|here>",
    "<@U123>",
    "<#C123>",
    "[Second Victims](https://a.bc)",
    "**bold** __u__ ~~s~~ `code` ```block```",
    "||spoiler\\",
    "\\",
    "`",
    '"',
    "'",
    'body="x',
    "=",
    "a=b",
    "title=#1",
    "page=0",
    "#0",
    "#999999999",
    "#-1",
    "#1",
    "Second Victims",
    "second victims (2025)",
    "Solaris",
    "Solaris y:1972",
    "Perth",
    "Luna Leederville",
    "tarkovsky",
    "nordlys",
    "drama tense nordic",
    "today",
    "tomorrow",
    "fri",
    "this week",
    "2025-02-30",
    "2025-07-25 18:30",
    "2027-03-28 02:30",
    "9999-12-31",
    "0001-01-01 00:00",
    "2025-07-24..2025-08-13",
    "2025-08-13..2025-07-24",
    "1900-01-01..2100-01-01",
    "25:61",
    "4.5",
    "½",
    "★★★★",
    "nan",
    "inf",
    "-0",
    "1e309",
    "²",
    "٣",
    "https://tickets.example/a)b**c**[x](https://evil.example)",
    "javascript:alert(1)",
    "\u202egnp.exe",
    "e\u0301" * 40,
    "漢字" * 60,
    "🎬" * 50,
    "\ud800",
    "\x00",
    "\t\r\n",
    "a" * 201,
    " " * 5000,
    "(" * 3000,
    "#" * 500,
    "y:" * 300,
    "a b " * 1000,
]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.builds(
        lambda s, n: s * n,
        st.sampled_from(["a", " ", "(2025)", "=", "é", "漢"]),
        st.integers(1, 400),
    ),
    st.lists(st.sampled_from(HOSTILE), min_size=2, max_size=4).map(" ".join),
)

_COUNTED = (
    Film,
    FilmTitle,
    Credit,
    FilmGenre,
    Person,
    Review,
    Cinema,
    Event,
    Showtime,
    MemberRating,
    WatchlistItem,
    Subscription,
    SubscriptionLead,
    NotInterested,
    AlertOutbox,
    AuditEntry,
)


def fingerprint(db: Database) -> tuple[object, ...]:
    """Row counts and the newest change of the tables commands write: equal before and after
    means nothing was written."""
    with db.session() as session:
        counts = tuple(session.scalar(select(func.count()).select_from(m)) for m in _COUNTED)
        changed = (
            session.scalar(select(func.max(Review.updated_at))),
            session.scalar(select(func.max(Film.updated_at))),
            session.scalar(select(func.max(Showtime.updated_at))),
            session.scalar(select(func.sum(Review.version))),
            session.scalar(select(func.sum(Review.rating_halves))),
            session.scalar(select(func.sum(MemberRating.rating_halves))),
            session.scalar(select(func.count()).where(Subscription.paused.is_(True))),
            session.scalar(select(func.count()).where(Showtime.cancelled.is_(True))),
        )
    return counts + changed
