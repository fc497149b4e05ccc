"""Files written to exhaust Marquee or to smuggle content out through its messages.

Each test builds its hostile file here (small: the point is what a small file can cost), and
each one failed on the importers before they were bounded: the time zone that expanded for
ever, rules that never match, a million screenings from one file, lines and files read whole
before being refused, links out of a reviews folder, file content echoed raw in errors.
"""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest
from icalendar.timezone import tzp

from bot.core import Marquee
from bot.importers import ics, recur
from bot.importers.errors import ImportProblem, excerpt
from bot.importers.films import import_films
from bot.importers.job import ImportJob
from bot.importers.reviews import import_reviews
from bot.importers.showtimes import import_showtimes
from bot.importers.source import MAX_RECORD_CHARS
from storage.models_catalogue import Review
from storage.models_screenings import Showtime
from tests.conftest import FIXED_NOW, MODERATOR
from tests.fuzz_support import fingerprint


def job(core: Marquee, **kw: object) -> ImportJob:
    return ImportJob(db=core.db, resolver=core.resolver, actor=MODERATOR, now=FIXED_NOW, **kw)  # type: ignore[arg-type]


def calendar(*parts: str) -> str:
    body = "".join(p.strip() + "\n" for p in parts)
    return ("BEGIN:VCALENDAR\nVERSION:2.0\n" + body + "END:VCALENDAR\n").replace("\n", "\r\n")


def event(uid: str, extra: str = "", start: str = "DTSTART:20270101T180000Z") -> str:
    return (
        f"BEGIN:VEVENT\nUID:{uid}\nSUMMARY:Persona\nLOCATION:Grand Teatret\n{start}\n"
        f"{extra}\nEND:VEVENT".replace("\n\n", "\n")
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


# The 465-byte zone from the report: one rule, every minute, from 1601.
EVERY_MINUTE_ZONE = """BEGIN:VTIMEZONE
TZID:Evil
BEGIN:STANDARD
DTSTART:16010101T000000
RRULE:FREQ=MINUTELY
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T000030
RRULE:FREQ=MINUTELY
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:DAYLIGHT
END:VTIMEZONE"""


# ---------------------------------------------------------------------------------------------
# Time zones
# ---------------------------------------------------------------------------------------------


def test_a_zone_that_changes_every_minute_is_refused_per_event_without_being_run(
    core: Marquee, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Building a dateutil zone from a VTIMEZONE is what expanded it; it must never happen.
    def never(*_a: object, **_k: object) -> None:
        raise AssertionError("a VTIMEZONE from the file was turned into a running zone")

    monkeypatch.setattr(icalendar.Timezone, "to_tz", never)
    text = calendar(
        EVERY_MINUTE_ZONE,
        event("uses-evil", start="DTSTART;TZID=Evil:20270101T180000"),
        event("fine", start="DTSTART;TZID=Europe/Copenhagen:20270101T180000"),
    )
    before = fingerprint(core.db)
    with pytest.raises(ImportProblem) as info:
        import_showtimes(job(core), write(tmp_path, "evil.ics", text))
    message = str(info.value)
    assert "line 3: the time zone “Evil” can't be used" in message
    assert "line 18: unknown time zone “Evil”" in message
    assert "line 24" not in message  # the event in a real zone was fine
    assert fingerprint(core.db) == before


def test_a_files_zone_is_not_left_behind_for_the_next_file(core: Marquee, tmp_path: Path) -> None:
    # icalendar caches a parsed VTIMEZONE process-wide under its TZID; Marquee must not parse
    # the file's zones with it, or the next calendar naming "Evil" would get this one's rules.
    text = calendar(EVERY_MINUTE_ZONE, event("x", start="DTSTART;TZID=Evil:20270101T180000"))
    with pytest.raises(ImportProblem):
        import_showtimes(job(core), write(tmp_path, "evil.ics", text))
    assert tzp.timezone("Evil") is None


def test_zones_map_to_iana_by_name_windows_name_or_matching_offsets(
    core: Marquee, tmp_path: Path
) -> None:
    copenhagen_rules = """BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT"""
    text = calendar(
        # Named by its IANA id at the end of a "globally unique" TZID, with bogus rules that
        # must be ignored: the IANA zone decides.
        "BEGIN:VTIMEZONE\nTZID:/example.org/2027/Europe/Copenhagen\n"
        + EVERY_MINUTE_ZONE.split("\n", 2)[2],
        # Named by nothing Marquee knows: matched by its offsets.
        "BEGIN:VTIMEZONE\nTZID:Kino local time\n" + copenhagen_rules + "\nEND:VTIMEZONE",
        event("a", start="DTSTART;TZID=/example.org/2027/Europe/Copenhagen:20270701T193000"),
        event("b", start="DTSTART;TZID=Kino local time:20270701T193000"),
        event("c", start="DTSTART;TZID=Romance Standard Time:20270101T193000"),
    )
    summary = import_showtimes(job(core), write(tmp_path, "zones.ics", text))
    assert summary.created == 3
    with core.db.session() as s:
        starts = {
            r.external_uid: r.starts_at
            for r in s.query(Showtime).filter(Showtime.external_uid.in_(["a", "b", "c"]))
        }
    assert starts["a"] == starts["b"] == datetime(2027, 7, 1, 17, 30, tzinfo=UTC)
    assert starts["c"] == datetime(2027, 1, 1, 18, 30, tzinfo=UTC)


def test_a_zone_whose_offsets_match_nothing_is_refused(core: Marquee, tmp_path: Path) -> None:
    zone = """BEGIN:VTIMEZONE
TZID:Somewhere
BEGIN:STANDARD
DTSTART:19700101T000000
TZOFFSETFROM:+0117
TZOFFSETTO:+0117
END:STANDARD
END:VTIMEZONE"""
    text = calendar(zone, event("x", start="DTSTART;TZID=Somewhere:20270101T180000"))
    with pytest.raises(ImportProblem) as info:
        import_showtimes(job(core), write(tmp_path, "odd.ics", text))
    assert "line 3: the time zone “Somewhere” can't be used: its clock changes match no IANA" in (
        str(info.value)
    )


# ---------------------------------------------------------------------------------------------
# Recurrences
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30;COUNT=5", "FREQ=MINUTELY isn't supported"),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5", "looks at over 50,000 dates"),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;UNTIL=99991231", "looks at over 50,000 dates"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=5", "looks at over 50,000 dates"),
        ("FREQ=DAILY;COUNT=5000", "more than 1000 screenings"),
        ("FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12;BYMINUTE=0,30;COUNT=9", "times a day"),
    ],
)
def test_a_rule_that_never_or_rarely_matches_is_refused_by_the_work_it_does(
    core: Marquee, tmp_path: Path, rule: str, reason: str
) -> None:
    text = calendar(event("r", f"RRULE:{rule}"))
    before = fingerprint(core.db)
    with pytest.raises(ImportProblem) as info:
        import_showtimes(job(core), write(tmp_path, "r.ics", text))
    assert "line 3: the recurrence" in str(info.value) and reason in str(info.value)
    assert fingerprint(core.db) == before


@pytest.mark.slow
def test_many_costly_rules_exhaust_the_files_budget_and_refuse_the_whole_file(
    core: Marquee, tmp_path: Path
) -> None:
    # Each rule stays inside its own limit (and is only a bad row), but together they would
    # cost the file far more: even --skip-invalid refuses the file, naming where it stopped.
    never = "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5"
    events = [event(f"u{i}", never) for i in range(40)]
    text = calendar(event("good"), *events)
    before = fingerprint(core.db)
    with pytest.raises(ImportProblem) as info:
        import_showtimes(job(core, skip_invalid=True), write(tmp_path, "many.ics", text))
    message = str(info.value)
    assert "look at over 1,000,000 dates in all" in message
    assert "the event “Persona” (UID u19) at line" in message
    assert fingerprint(core.db) == before


@pytest.mark.slow
def test_a_small_file_can_not_expand_into_a_million_screenings(tmp_path: Path) -> None:
    text = calendar(*(event(f"m{i}", "RRULE:FREQ=DAILY;COUNT=1000") for i in range(101)))
    path = write(tmp_path, "million.ics", text)
    assert path.stat().st_size < 20_000
    budget = ics.Budget()
    made = 0
    with pytest.raises(ImportProblem, match=r"make over 100,000 screenings in all.*UID m100"):
        for component in ics.components(path):
            made += len(ics.screenings(component, {}, budget))
    assert made == 100_000


def test_time_spent_expanding_is_checked_inside_the_loop() -> None:
    ticks = iter(range(10**6))
    budget = recur.Budget(clock=lambda: float(next(ticks)))  # one "second" per look
    rule = recur.parse_rule("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5")
    with pytest.raises(recur.BudgetExceeded, match="took over 20 s; it ran out at E"):
        recur.occurrences(rule, datetime(2027, 1, 1, 18), budget, "E")
    assert budget.examined < recur.MAX_EXAMINED_PER_EVENT  # stopped by the clock, not the count


# ---------------------------------------------------------------------------------------------
# Sizes checked before reading
# ---------------------------------------------------------------------------------------------


def test_a_huge_review_file_is_refused_before_it_is_read(core: Marquee, tmp_path: Path) -> None:
    folder = tmp_path / "reviews"
    folder.mkdir()
    path = folder / "huge.md"
    with path.open("wb") as f:
        f.write(b"---\nfilm: Persona\nauthor: Bo\n---\n# H\n")
        f.truncate(300 * 2**20)  # sparse: 300 MB that cost no disk
    with pytest.raises(ImportProblem) as info:
        import_reviews(job(core), folder)
    assert "huge.md line 1: the file is far longer than a review can be" in str(info.value)


@pytest.mark.slow
def test_a_long_folded_line_is_never_built(core: Marquee, tmp_path: Path) -> None:
    folded = "\r\n ".join(["x" * 70] * 60_000)  # 4 MB once unfolded
    ignored = calendar(event("d", f"DESCRIPTION:{folded}"))
    path = write(tmp_path, "desc.ics", ignored)
    tracemalloc.start()
    try:
        found = list(ics.components(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [c.kind for c in found] == ["VEVENT"]
    assert peak < 2 * 2**20  # a description Marquee doesn't read is dropped, not assembled
    assert import_showtimes(job(core), path).created == 1
    wanted = calendar(event("s", f"X-MARQUEE-FORMAT:{folded}"))
    with pytest.raises(ImportProblem, match="X-MARQUEE-FORMAT property at line 8 is longer"):
        import_showtimes(job(core), write(tmp_path, "summary.ics", wanted))


def test_a_long_folded_calendar_name_is_never_built(tmp_path: Path) -> None:
    from bot.importers.origin import KEY_MAX, calendar_name

    folded = "\r\n ".join(["n" * 70] * 60_000)  # a 4 MB X-WR-CALNAME once unfolded
    path = write(
        tmp_path, "name.ics", f"BEGIN:VCALENDAR\r\nX-WR-CALNAME:{folded}\r\nEND:VCALENDAR\r\n"
    )
    tracemalloc.start()
    try:
        name = calendar_name(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Continuation lines count toward the header's line budget, and the name stops growing.
    assert name is None or len(name) <= 4 * KEY_MAX + 70
    assert peak < 2**20


def test_an_imported_ticket_link_that_carries_markup_is_refused(
    core: Marquee, tmp_path: Path
) -> None:
    crafted = "https://tickets.example/a> **bold** <https://evil.example|x>"
    rows = ["film,cinema,start,ticket link", f"Persona,Grand Teatret,2027-01-01 18:00,{crafted}"]
    path = write(tmp_path, "tickets.csv", "\n".join(rows) + "\n")
    before = fingerprint(core.db)
    with pytest.raises(ImportProblem, match="ticket link"):
        import_showtimes(job(core), path)
    assert fingerprint(core.db) == before


def test_a_csv_record_left_open_by_a_quote_is_cut_off(core: Marquee, tmp_path: Path) -> None:
    lines = ["film,cinema,start", '"Persona,Grand Teatret,2027-01-01 18:00']
    lines += ["x" * 100] * (MAX_RECORD_CHARS // 100 + 10)
    path = write(tmp_path, "open.csv", "\n".join(lines) + "\n")
    with pytest.raises(ImportProblem, match="record starting at line 2 runs over 100 KiB"):
        import_showtimes(job(core), path)


def test_a_json_array_over_the_cap_is_refused_from_its_size(core: Marquee, tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as f:
        f.write(b'[\n{"title": "x"},\n')
        f.truncate(17 * 2**20)
    with pytest.raises(ImportProblem, match="is a JSON array over 16 MB"):
        import_films(job(core), path)


# ---------------------------------------------------------------------------------------------
# Reviews: links out of the folder, and what messages quote
# ---------------------------------------------------------------------------------------------

REVIEW = "---\nfilm: Persona\nauthor: Bo\nrating: 4\n---\n# Mirror\n\nIt stays.\n"


def test_reviews_do_not_follow_links_out_of_their_folder(core: Marquee, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text(REVIEW.replace("Bo", "Outsider"))
    folder = tmp_path / "reviews"
    folder.mkdir()
    (folder / "own.md").write_text(REVIEW)
    (folder / "alias.md").symlink_to(folder / "own.md")  # a link inside the folder is fine
    (folder / "out.md").symlink_to(secret)
    before = fingerprint(core.db)
    with pytest.raises(ImportProblem) as info:
        import_reviews(job(core), folder)
    message = str(info.value)
    assert "out.md line 1: it is a link to a file outside the folder" in message
    assert "alias.md" not in message and "own.md" not in message
    assert str(secret) not in message
    assert fingerprint(core.db) == before
    (folder / "out.md").unlink()
    import_reviews(job(core), folder)
    with core.db.session() as s:
        assert [
            r.author_name for r in s.query(Review).filter(Review.author_platform == "import")
        ] == ["Bo"]


def test_a_bad_line_is_quoted_only_as_a_short_escaped_excerpt(
    core: Marquee, tmp_path: Path
) -> None:
    hostile = "\x1b[2J\x1b[31m`@everyone` [x](https://a.bc)\u202e" + "A" * 500
    path = write(tmp_path, "bad.md", f"---\n{hostile}\nfilm: Persona\n---\n# H\n\nText.\n")
    with pytest.raises(ImportProblem) as info:
        import_reviews(job(core), path)
    message = str(info.value)
    line = next(x for x in message.splitlines() if "is not a header line" in x)
    quoted = line.split("“", 1)[1].split("”", 1)[0]
    assert len(quoted) <= 60 and quoted.endswith("…")
    assert quoted.startswith("\\x1b[2J\\x1b[31m\\x60@everyone\\x60")
    assert not any(ord(c) < 32 or c in "`\u202e" for c in message.replace("\n", ""))


def test_excerpt_escapes_like_repr_and_stays_short() -> None:
    assert excerpt("Solaris (1972)") == "Solaris (1972)"
    assert excerpt("a\\b\nc\u200bd`") == "a\\\\b\\x0ac\\u200bd\\x60"
    assert len(excerpt("\x00" * 500)) <= 60
    assert excerpt("x" * 61).endswith("…") and len(excerpt("x" * 61)) == 60


def test_an_event_or_city_without_letters_is_refused(core: Marquee, tmp_path: Path) -> None:
    rows = [
        "film,cinema,city,time zone,start,event",
        "Persona,Grand Teatret,,,2027-01-01 18:00,!!!",
        "Persona,New Place,???,Europe/Oslo,2027-01-02 18:00,",
    ]
    before = fingerprint(core.db)
    with pytest.raises(ImportProblem) as info:
        import_showtimes(job(core), write(tmp_path, "punct.csv", "\n".join(rows) + "\n"))
    assert "line 2: event “!!!” has no letters or digits" in str(info.value)
    assert "line 3: city “???” has no letters or digits" in str(info.value)
    assert fingerprint(core.db) == before
