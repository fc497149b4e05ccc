"""Days are local days: `today`, `fri`, dates and ranges mean the local day where each screening
happens, in `showtimes`, `export`, the CLI export and digests.

The clock is fixed at FIXED_NOW, Tuesday 24 Nov 2026 03:00 UTC: still Monday 22:00 in New York,
Tuesday 04:00 in Berlin, 11:00 in Perth and 16:00 in Auckland (daylight time there). The same UTC
instant is a different day in different cinemas, which is what each case below turns on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from adapters import cli, cli_import
from bot.catalogue import FilmFields, create_film
from bot.core import Marquee
from bot.types import ErrorNotice, Reply, ShowtimeList
from bot.when import LocalDays
from storage import showtime_queries
from storage.models import Cinema, Event, Showtime
from tests.backend import SayBot
from tests.conftest import FIXED_NOW, make_core

# Perth first: the festival's first cinema, whose zone the old code used for all of them.
ZONES = {
    "perth": ("Swan Picturehouse", "Perth", "Australia/Perth"),
    "akl": ("Waitemata Picturehouse", "Auckland", "Pacific/Auckland"),
    "berlin": ("Spree Picturehouse", "Berlin", "Europe/Berlin"),
    "ny": ("Hudson Picturehouse", "New York", "America/New_York"),
}

# name: (cinema, local start). Comments give the UTC instant where it decides the case.
SCREENINGS = {
    # Started already today: not upcoming.
    "ny_mon_past": ("ny", "2026-11-23 20:00"),  # Tue 01:00 UTC
    "perth_tue_past": ("perth", "2026-11-24 10:00"),  # Tue 02:00 UTC
    # Today where they are.
    "ny_mon_late": ("ny", "2026-11-23 23:30"),
    "perth_tue": ("perth", "2026-11-24 20:00"),
    "akl_tue": ("akl", "2026-11-24 23:30"),  # Tue 10:30 UTC
    # Tomorrow where they are (Tuesday in New York is tomorrow there).
    "ny_tue": ("ny", "2026-11-24 19:00"),
    "akl_wed": ("akl", "2026-11-25 00:30"),  # still Tue 11:30 UTC
    # Thursday night in New York and Friday morning in Perth: the same UTC instant.
    "ny_thu": ("ny", "2026-11-26 21:00"),  # Fri 02:00 UTC
    "perth_fri": ("perth", "2026-11-27 10:00"),  # Fri 02:00 UTC
    "berlin_fri": ("berlin", "2026-11-27 23:00"),  # Fri 22:00 UTC
    "akl_fri": ("akl", "2026-11-27 23:30"),
    "akl_sat": ("akl", "2026-11-28 00:30"),  # Fri 11:30 UTC
    # Daylight-saving changes inside a range: Berlin springs forward on 28 Mar 2027,
    # New York on 14 Mar 2027, and Auckland falls back on 4 Apr 2027.
    "berlin_dst_last": ("berlin", "2027-03-28 23:30"),  # 21:30 UTC, CEST
    "berlin_dst_after": ("berlin", "2027-03-29 00:30"),  # 22:30 UTC on the 28th
    "ny_dst_last": ("ny", "2027-03-14 23:30"),  # 03:30 UTC on the 15th, EDT
    "ny_dst_after": ("ny", "2027-03-15 00:30"),
    "akl_dst_last": ("akl", "2027-04-04 23:30"),  # 11:30 UTC, NZST (+12)
    "akl_dst_after": ("akl", "2027-04-05 00:30"),  # 12:30 UTC on the 4th
}

# A festival whose first cinema is in Perth and whose closing night is in New York.
FESTIVAL = "Quokka Film Week"
FESTIVAL_SCREENINGS = {
    "fest_open": ("perth", "2026-12-03 19:00"),
    "fest_close": ("ny", "2026-12-05 21:00"),  # Sun 6 Dec 02:00 UTC, 10:00 in Perth
    "fest_after": ("ny", "2026-12-06 10:00"),
}


@dataclass
class World:
    bot: SayBot
    film: int
    ids: dict[str, int]

    @property
    def core(self) -> Marquee:
        return self.bot.core

    def listed(self, reply: Reply) -> set[str]:
        assert not reply.is_error, reply
        names = {v: k for k, v in self.ids.items()}
        return {
            names[item.showtime_id]
            for block in reply.blocks
            if isinstance(block, ShowtimeList)
            for item in block.items
        }

    def showtimes(self, query: str, when: str) -> set[str]:
        reply = self.bot.ask("showtimes", query=query, when=when)
        if reply.blocks and "nothing scheduled" in getattr(reply.blocks[0], "text", ""):
            return set()
        assert reply.page is None or reply.page.page_count == 1, reply.page
        return self.listed(reply)


def _local(tz: str, text: str) -> datetime:
    from bot.timefmt import zone

    return datetime.fromisoformat(text).replace(tzinfo=zone(tz)).astimezone(UTC)


def _build(url: str) -> World:
    core = make_core(url, now=FIXED_NOW, demo=False)
    ids: dict[str, int] = {}
    with core.db.session() as s:
        film = create_film(s, FilmFields(title="The Tide Clock", year=2024), FIXED_NOW)
        cinemas = {}
        for key, (name, city, tz) in ZONES.items():
            cinemas[key] = Cinema(
                name=name, norm=name.lower(), city=city, city_norm=city.lower(), timezone=tz
            )
            s.add(cinemas[key])
        event = Event(
            name=FESTIVAL,
            norm=FESTIVAL.lower(),
            starts_on=date(2026, 12, 3),
            ends_on=date(2026, 12, 5),
            cinemas=[cinemas["perth"], cinemas["ny"]],
        )
        s.add(event)
        s.flush()
        rows = {}
        for table, in_event in ((SCREENINGS, False), (FESTIVAL_SCREENINGS, True)):
            for name, (where, local) in table.items():
                rows[name] = Showtime(
                    film=film,
                    cinema=cinemas[where],
                    event=event if in_event else None,
                    starts_at=_local(cinemas[where].timezone, local),
                    created_at=FIXED_NOW,
                    updated_at=FIXED_NOW,
                )
                s.add(rows[name])
        s.flush()
        ids = {name: st.id for name, st in rows.items()}
        film_id = film.id
    return World(SayBot(core), film_id, ids)


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    w = _build(db_url)
    yield w
    w.core.db.dispose()


def test_weekdays_are_the_local_weekday_of_each_cinema(world: World) -> None:
    film = f"#{world.film}"
    # Thursday 21:00 in New York is Friday in UTC and in Perth; it is Thursday's screening.
    assert world.showtimes(film, "fri") == {"perth_fri", "berlin_fri", "akl_fri"}
    assert world.showtimes(film, "thu") == {"ny_thu"}
    assert world.showtimes(film, "2026-11-27") == {"perth_fri", "berlin_fri", "akl_fri"}
    heading = world.bot.ask("showtimes", query=film, when="fri").blocks[0]
    assert isinstance(heading, ShowtimeList) and heading.heading.endswith("Fri 27 Nov 2026")


def test_today_is_each_cinemas_today_and_starts_now(world: World) -> None:
    film = f"#{world.film}"
    # Monday night in New York, Tuesday elsewhere; what has started is left out.
    assert world.showtimes(film, "today") == {"ny_mon_late", "perth_tue", "akl_tue"}
    assert world.showtimes(film, "tomorrow") == {"ny_tue", "akl_wed"}
    heading = world.bot.ask("showtimes", query=film, when="today").blocks[0]
    assert isinstance(heading, ShowtimeList)
    assert heading.heading.endswith("today (each cinema's local day)")
    # A city's "today" is that city's: Auckland's Tuesday ends at its own midnight.
    assert world.showtimes("Auckland", "today") == {"akl_tue"}


def test_an_events_days_are_local_at_each_of_its_cinemas(world: World) -> None:
    found = world.showtimes(FESTIVAL, "2026-12-03..2026-12-05")
    assert found == {"fest_open", "fest_close"}  # the closing night in New York is in


@pytest.mark.parametrize(
    ("when", "inside", "outside"),
    [
        ("2027-03-26..2027-03-28", "berlin_dst_last", "berlin_dst_after"),
        ("2027-03-13..2027-03-14", "ny_dst_last", "ny_dst_after"),
        ("2027-04-03..2027-04-04", "akl_dst_last", "akl_dst_after"),
    ],
)
def test_a_range_across_a_daylight_saving_change_ends_at_local_midnight(
    world: World, when: str, inside: str, outside: str
) -> None:
    assert world.showtimes(f"#{world.film}", when) == {inside}
    assert outside in world.showtimes(f"#{world.film}", outside_day(outside))


def outside_day(name: str) -> str:
    return SCREENINGS[name][1][:10]


def test_counts_and_pages_come_from_the_same_local_days(world: World) -> None:
    days = LocalDays.parse("this week", FIXED_NOW)
    with world.core.db.session() as s:
        zones = showtime_queries.showtime_zones(s, film_ids=[world.film])
        assert zones == sorted(tz for _, _, tz in ZONES.values())
        windows = days.windows(zones)
        rows, total = showtime_queries.upcoming_showtimes(s, zone_windows=windows, limit=None)
        first, _ = showtime_queries.upcoming_showtimes(s, zone_windows=windows, limit=3)
        rest, again = showtime_queries.upcoming_showtimes(
            s, zone_windows=windows, offset=3, limit=50
        )
    expected = {
        "ny_mon_late", "perth_tue", "akl_tue", "ny_tue", "akl_wed", "ny_thu", "perth_fri",
        "berlin_fri", "akl_fri", "akl_sat",
    }  # fmt: skip
    assert {s.id for s in rows} == {world.ids[n] for n in expected}
    assert total == again == len(expected)
    assert [s.id for s in first + rest] == [s.id for s in rows]


# ---------------------------------------------------------------------------------------------
# export: the chat command and the CLI share one query, and unknown names are errors
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def cli_world(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("DATABASE_URL", world.core.db.url.render_as_string(hide_password=False))
    monkeypatch.setattr(cli_import, "_utc_now", lambda: FIXED_NOW)
    return world


def _uids(text: str) -> set[int]:
    return {
        int(line.rsplit("-", 1)[1])
        for line in text.splitlines()
        if line.startswith("UID:marquee-showtime-")
    }


def test_cli_export_days_are_local_days(
    cli_world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w = cli_world
    ids = w.ids
    assert cli.main(["export", "showtimes", "--event", FESTIVAL, "--to", "2026-12-05"]) == 0
    assert _uids(capsys.readouterr().out) == {ids["fest_open"], ids["fest_close"]}
    film = ["export", "showtimes", "--film", "The Tide Clock"]
    assert cli.main([*film, "--from", "2026-11-26", "--to", "2026-11-26"]) == 0
    assert _uids(capsys.readouterr().out) == {ids["ny_thu"]}
    assert cli.main([*film, "--city", "Perth", "--to", "2026-11-24"]) == 0
    assert _uids(capsys.readouterr().out) == {ids["perth_tue"]}  # today starts now
    # With no days given, everything upcoming; the chat command lists the same screenings.
    assert cli.main(film) == 0
    upcoming = {v for k, v in ids.items() if not k.endswith("_past")}
    assert _uids(capsys.readouterr().out) == upcoming
    chat = w.bot.ask("export", query=FESTIVAL)
    assert set(chat.exported) == {ids[n] for n in FESTIVAL_SCREENINGS}


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--event", "nosuch", "No festival or season matches “nosuch”."),
        ("--film", "xyzzy", "no single film matches “xyzzy”"),
        ("--cinema", "nosuch", "No cinema matches “nosuch”."),
        ("--city", "Atlantis", "No cinema is in a city called “Atlantis”."),
        ("--cinema", "!!!", "No cinema matches “!!!”."),
    ],
)
def test_cli_export_refuses_unknown_names(
    cli_world: World, capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    assert cli.main(["export", "showtimes", option, value]) == 1
    out, err = capsys.readouterr()
    assert out == ""  # no empty calendar
    assert err.strip().splitlines() == [f"marquee export: {message}"]


def test_cli_export_refuses_a_cinema_outside_the_city(
    cli_world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["export", "showtimes", "--cinema", "Swan Picturehouse", "--city", "Berlin"]
    assert cli.main(args) == 1
    assert "is in “Berlin”" in capsys.readouterr().err


def test_chat_export_refuses_unknown_names(world: World) -> None:
    reply = world.bot.ask("export", query="nosuchthing")
    assert reply.is_error
    assert isinstance(reply.blocks[0], ErrorNotice)
    assert "nosuchthing" in reply.blocks[0].text
    assert reply.exported == ()
