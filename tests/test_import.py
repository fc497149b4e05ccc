"""Bulk import and export: the README's example files, idempotent re-imports, bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters import cli
from bot.core import Marquee
from bot.importers.errors import ImportProblem, InvalidRows
from bot.importers.films import import_films
from bot.importers.job import ImportJob
from bot.importers.reviews import import_reviews
from bot.importers.showtimes import import_showtimes
from bot.importers.source import MAX_LINE_BYTES
from bot.importers.summary import expand_ids
from bot.importers.tracker import KeyTracker
from bot.types import Invocation, Notice, Text
from storage import film_queries
from storage.models_audit import AuditEntry
from storage.models_catalogue import Film, Review
from storage.models_screenings import Cinema, Event, Showtime
from tests.conftest import CHANNEL, FIXED_NOW, MEMBER, MODERATOR

IMDB_COLUMNS = "tconst titleType primaryTitle originalTitle isAdult startYear endYear".split()
IMDB_COLUMNS += ["runtimeMinutes", "genres"]
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FESTIVAL = EXAMPLES / "festival.ics"
EVENT = "Nordlys Winter Film Days 2027"


def job(core: Marquee, **kw: object) -> ImportJob:
    return ImportJob(db=core.db, resolver=core.resolver, actor=MODERATOR, now=FIXED_NOW, **kw)  # type: ignore[arg-type]


def imported(core: Marquee) -> dict[str, Showtime]:
    with core.db.session() as s:
        rows = s.scalars(select(Showtime).where(Showtime.external_uid.is_not(None))).all()
        for r in rows:
            _ = (r.film.title, r.cinema.name, r.event)
        return {r.external_uid: r for r in rows if r.external_uid}


def count(core: Marquee, model: type) -> int:
    with core.db.session() as s:
        return film_queries.count(s, model)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def calendar(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n".replace(
        "\n", "\r\n"
    ).replace("\r\r\n", "\r\n")


# ---------------------------------------------------------------------------------------------
# Showtimes from iCalendar
# ---------------------------------------------------------------------------------------------


def test_festival_feed_imports_with_zones_recurrence_and_escaped_commas(core: Marquee) -> None:
    summary = import_showtimes(job(core), FESTIVAL, event=EVENT)
    assert (summary.created, summary.updated, summary.rejected) == (7, 0, 0)
    rows = imported(core)
    opening = rows["opening-2027@nordlys.example"]
    # 19:30 in the file's own VTIMEZONE ("Copenhagen local", CET in January) is 18:30 UTC.
    assert opening.starts_at == datetime(2027, 1, 14, 18, 30, tzinfo=UTC)
    assert opening.film.title == "Sentimental Value"
    assert opening.ticket_url == "https://tickets.nordlys.example/opening"
    assert opening.event is not None and opening.event.name == EVENT
    # The escaped comma belongs to the title, not a list separator.
    assert rows["oslo-august-2027@nordlys.example"].film.title == "Oslo, August 31st"
    perth = rows["perth-satellite-2027@nordlys.example"]
    assert perth.cinema.name == "Luna Leederville"
    assert perth.starts_at == datetime(2027, 1, 17, 10, 30, tzinfo=UTC)
    # COUNT=4 daily from the 16th, minus the EXDATE on the 18th, with the 17th moved to 16:00.
    stalker = sorted(
        (r.starts_at for k, r in rows.items() if k.startswith("stalker-matinees")),
    )
    assert stalker == [
        datetime(2027, 1, 16, 13, 0, tzinfo=UTC),
        datetime(2027, 1, 17, 15, 0, tzinfo=UTC),
        datetime(2027, 1, 19, 13, 0, tzinfo=UTC),
    ]
    with core.db.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "import showtimes")).one()
        assert entry.after is not None and entry.after["counts"]["created"] == 7
        assert entry.actor_name == MODERATOR.display_name


def test_reimporting_the_same_feed_changes_nothing(core: Marquee) -> None:
    import_showtimes(job(core), FESTIVAL, event=EVENT)
    before = {k: (v.id, v.starts_at, v.updated_at) for k, v in imported(core).items()}
    again = import_showtimes(job(core), FESTIVAL, event=EVENT)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)
    assert {k: (v.id, v.starts_at, v.updated_at) for k, v in imported(core).items()} == before


def test_a_moved_screening_is_an_update_not_a_duplicate(core: Marquee, tmp_path: Path) -> None:
    import_showtimes(job(core), FESTIVAL, event=EVENT)
    moved = FESTIVAL.read_text().replace("20270115T210000", "20270115T213000")
    summary = import_showtimes(job(core), write(tmp_path, "f.ics", moved), event=EVENT)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 6)
    oslo = imported(core)["oslo-august-2027@nordlys.example"]
    assert oslo.starts_at == datetime(2027, 1, 15, 20, 30, tzinfo=UTC)


def test_screenings_gone_from_the_feed_are_reported_then_removed_on_request(
    core: Marquee, tmp_path: Path
) -> None:
    import_showtimes(job(core), FESTIVAL, event=EVENT)
    text = FESTIVAL.read_bytes().decode("utf-8")
    start = text.index("BEGIN:VEVENT\r\nUID:closing-2027")
    trimmed = text[:start] + text[text.index("END:VEVENT\r\n", start) + len("END:VEVENT\r\n") :]
    path = write(tmp_path, "trimmed.ics", trimmed)
    summary = import_showtimes(job(core), path, event=EVENT)
    assert summary.missing_count == 1 and "closing-2027@nordlys.example" in summary.missing[0]
    assert not imported(core)["closing-2027@nordlys.example"].cancelled
    summary = import_showtimes(job(core), path, event=EVENT, remove_missing=True)
    assert summary.removed == 1
    rows = imported(core)
    assert rows["closing-2027@nordlys.example"].cancelled
    assert sum(r.cancelled for r in rows.values()) == 1


def test_one_bad_event_refuses_the_whole_file_naming_every_bad_row(
    core: Marquee, tmp_path: Path
) -> None:
    showtimes, events = count(core, Showtime), count(core, Event)
    text = calendar(
        "UID:ok-1\nSUMMARY:Persona\nLOCATION:Grand Teatret\nDTSTART:20270101T180000Z",
        "UID:tz\nSUMMARY:Persona\nLOCATION:Grand Teatret\n"
        "DTSTART;TZID=Mars/Olympus:20270101T180000",
        "UID:date\nSUMMARY:Persona\nLOCATION:Grand Teatret\nDTSTART:2027-01-01 banana",
        "UID:untitled\nLOCATION:Grand Teatret\nDTSTART:20270101T180000Z",
        "UID:ok-1\nSUMMARY:Stalker\nLOCATION:Grand Teatret\nDTSTART:20270102T180000Z",
        "UID:which\nSUMMARY:Solaris\nLOCATION:Grand Teatret\nDTSTART:20270103T180000Z",
        "UID:nowhere\nSUMMARY:Persona\nLOCATION:Odeon Atlantis\nDTSTART:20270103T180000Z",
    )
    with pytest.raises(InvalidRows) as info:
        import_showtimes(job(core), write(tmp_path, "bad.ics", text), event="Should not exist")
    message = str(info.value)
    assert info.value.total == 6
    assert "line 9: unknown time zone “Mars/Olympus”" in message
    assert "line 15: unparsable date in DTSTART" in message
    assert "line 21: missing title" in message
    assert "line 26: duplicate UID “ok-1” (also line 3)" in message
    assert "line 32: film “Solaris” can't be matched: it could be Solaris (2002)" in message
    assert "Solaris (1972)" in message
    assert "line 38: unknown cinema “Odeon Atlantis”" in message
    assert (count(core, Showtime), count(core, Event)) == (showtimes, events)
    with core.db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_skip_invalid_imports_the_good_rows_and_writes_the_rejects(
    core: Marquee, tmp_path: Path
) -> None:
    text = calendar(
        "UID:good\nSUMMARY:Persona\nLOCATION:Grand Teatret\nDTSTART:20270101T180000Z",
        "UID:bad\nSUMMARY:Persona\nLOCATION:Grand Teatret\n"
        "DTSTART;TZID=Nowhere/Zone:20270101T180000",
    )
    rejects = tmp_path / "rejects.txt"
    summary = import_showtimes(
        job(core, skip_invalid=True, rejects=rejects), write(tmp_path, "mixed.ics", text)
    )
    assert (summary.created, summary.rejected) == (1, 1)
    assert set(imported(core)) == {"good"}
    assert rejects.read_text() == "line 9: unknown time zone “Nowhere/Zone”\n"


def test_an_endless_recurrence_is_refused(core: Marquee, tmp_path: Path) -> None:
    text = calendar(
        "UID:r\nSUMMARY:Persona\nLOCATION:Grand Teatret\nDTSTART:20270101T180000Z\nRRULE:FREQ=DAILY"
    )
    with pytest.raises(InvalidRows, match="never ends"):
        import_showtimes(job(core), write(tmp_path, "r.ics", text))


def test_export_then_import_round_trips(
    core: Marquee, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", core.db.url.render_as_string(hide_password=False))
    import_showtimes(job(core), FESTIVAL, event=EVENT)
    out = tmp_path / "out.ics"
    args = ["export", "showtimes", "--event", "nordlys", "--from", "2027-01-01", "-o", str(out)]
    assert cli.main(args) == 0
    text = out.read_text()
    assert text.count("BEGIN:VEVENT") == 7 and "BEGIN:VTIMEZONE" in text
    again = import_showtimes(job(core), out)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)


# ---------------------------------------------------------------------------------------------
# Showtimes from CSV
# ---------------------------------------------------------------------------------------------


def test_cinema_listing_csv_adds_its_cinema_and_reimports_idempotently(core: Marquee) -> None:
    path = EXAMPLES / "showtimes.csv"
    summary = import_showtimes(job(core), path)
    assert (summary.created, summary.rejected) == (4, 0)
    assert any("Kino Vinyl" in n for n in summary.notes)
    with core.db.session() as s:
        vinyl = s.scalars(select(Cinema).where(Cinema.name == "Kino Vinyl")).one()
        assert vinyl.timezone == "Europe/Oslo"
        aftersun = s.scalars(select(Showtime).where(Showtime.cinema_id == vinyl.id)).first()
        assert aftersun is not None
        # 19:00 in Oslo in February is 18:00 UTC.
        assert aftersun.starts_at == datetime(2027, 2, 6, 18, 0, tzinfo=UTC)
        assert aftersun.format == "English, Norwegian subtitles"
    again = import_showtimes(job(core), path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_csv_rows_are_refused_by_line_and_reason(core: Marquee, tmp_path: Path) -> None:
    text = (
        "film,cinema,time zone,start\n"
        "Persona,Grand Teatret,Europe/Copenhagen,2027-03-01 18:00\n"
        ",Grand Teatret,,2027-03-01 18:00\n"
        "Persona,Grand Teatret,Atlantis/Capital,2027-03-01 18:00\n"
        "Persona,Grand Teatret,,next tuesday\n"
        "Persona,Grand Teatret,Europe/Copenhagen,2027-03-28 02:30\n"
    )
    with pytest.raises(InvalidRows) as info:
        import_showtimes(job(core), write(tmp_path, "l.csv", text))
    message = str(info.value)
    assert "line 3: missing title" in message
    assert "line 4: unknown time zone “Atlantis/Capital”" in message
    assert "line 5: unparsable date “next tuesday”" in message
    assert "line 6: 2027-03-28 02:30 does not exist in Europe/Copenhagen" in message
    assert "line 2" not in message
    assert imported(core) == {}


# ---------------------------------------------------------------------------------------------
# Films
# ---------------------------------------------------------------------------------------------


def test_imdb_tsv_imports_films_and_the_running_resolver_finds_them(core: Marquee) -> None:
    summary = import_films(job(core), EXAMPLES / "films.tsv")
    assert (summary.created, summary.skipped, summary.rejected) == (3, 1, 0)
    reply = core.handle(Invocation("film", {"title": "den stille havn"}, MEMBER, CHANNEL))
    assert not reply.is_error
    card = reply.blocks[0]
    assert getattr(card, "title", None) == "The Quiet Harbour" and card.year == 2024  # type: ignore[union-attr]
    assert card.genres == ("drama", "romance")  # type: ignore[union-attr]
    again = import_films(job(core), EXAMPLES / "films.tsv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_a_changed_tsv_row_updates_the_film_with_the_same_id(core: Marquee, tmp_path: Path) -> None:
    import_films(job(core), EXAMPLES / "films.tsv")
    changed = (
        (EXAMPLES / "films.tsv")
        .read_text()
        .replace("Winter Orchard\t\\N\t0\t\\N", "Winter Orchard\t\\N\t0\t2026")
    )
    summary = import_films(job(core), write(tmp_path, "t.tsv", changed))
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 2)
    with core.db.session() as s:
        film = s.scalars(select(Film).where(Film.external_id == "tt9900004")).one()
        assert film.year == 2026


def test_films_csv_and_json_lines(core: Marquee, tmp_path: Path) -> None:
    summary = import_films(job(core), EXAMPLES / "films.csv")
    assert summary.created == 2
    reply = core.handle(Invocation("film", {"title": "Fyrvokterens datter"}, MEMBER, CHANNEL))
    assert reply.blocks[0].directors == ("Ingrid Halvorsen",)  # type: ignore[union-attr]
    lines = [
        {"title": "Salt on the Wind", "year": 2025, "external_id": "mq-0002", "runtime": 91},
        {"title": "Ferry Lights", "year": 2026, "genres": ["drama"], "directors": ["Ola Berg"]},
    ]
    path = write(tmp_path, "f.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    summary = import_films(job(core), path)
    assert (summary.created, summary.updated) == (1, 1)
    with core.db.session() as s:
        salt = s.scalars(select(Film).where(Film.external_id == "mq-0002")).one()
        assert salt.runtime_minutes == 91 and salt.year == 2025


def test_bad_film_rows_name_their_lines(core: Marquee, tmp_path: Path) -> None:
    films = count(core, Film)
    header = "\t".join(IMDB_COLUMNS) + "\n"
    rows = (
        "tt1\tmovie\tFine\t\\N\t0\t2020\t\\N\t90\tDrama\n"
        "tt2\tmovie\t\\N\t\\N\t0\t2020\t\\N\t90\tDrama\n"
        "tt3\tmovie\tYear\t\\N\t0\t20x0\t\\N\t90\tDrama\n"
        "tt1\tmovie\tAgain\t\\N\t0\t2020\t\\N\t90\tDrama\n"
        "tt4\tmovie\tShort row\n"
    )
    with pytest.raises(InvalidRows) as info:
        import_films(job(core), write(tmp_path, "b.tsv", header + rows))
    message = str(info.value)
    assert "line 3: missing title" in message
    assert "line 4: year “20x0” is not a year" in message
    assert "line 5: same external id as line 2" in message
    assert "line 6: expected 9 tab-separated fields, found 3" in message
    assert count(core, Film) == films


# ---------------------------------------------------------------------------------------------
# Reviews
# ---------------------------------------------------------------------------------------------


def test_a_critics_folder_of_markdown_reviews(core: Marquee, tmp_path: Path) -> None:
    folder = EXAMPLES / "reviews"
    summary = import_reviews(job(core), folder)
    assert (summary.created, summary.rejected) == (3, 0)
    reply = core.handle(Invocation("review", {"title": "Stalker"}, MEMBER, CHANNEL))
    card = reply.blocks[0]
    assert card.author == "Ingrid" and card.rating == 5.0  # type: ignore[union-attr]
    assert card.headline == "Three men, one room, and the patience to look"  # type: ignore[union-attr]
    with core.db.session() as s:
        square = s.scalars(select(Review).where(Review.headline.like("The ape-man%"))).one()
        assert square.spoiler and square.rating_halves == 7
    again = import_reviews(job(core), folder)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    edited = tmp_path / "reviews"
    edited.mkdir()
    for f in folder.iterdir():
        (edited / f.name).write_text(f.read_text().replace("rating: 4\n", "rating: 4.5\n"))
    summary = import_reviews(job(core), edited)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 2)


def test_bad_review_files_are_named_with_their_lines(core: Marquee, tmp_path: Path) -> None:
    reviews = count(core, Review)
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "a.md").write_text("---\nfilm: Persona\nauthor: Bo\nrating: 7\n---\n# H\nText.\n")
    (folder / "b.md").write_text("---\nfilm: Persona\nrating: 4\n---\n# H\nText.\n")
    (folder / "c.md").write_text("no header here\n")
    (folder / "d.md").write_bytes(b"---\nfilm: Caf\xe9\n---\n")
    (folder / "e.md").write_text("---\nfilm: Persona\nauthor: Bo\nrating: 4\n---\n# H\nText.\n")
    with pytest.raises(InvalidRows) as info:
        import_reviews(job(core), folder)
    message = str(info.value)
    assert "a.md line 4: rating 7 is not 0.5 to 5 in half stars" in message
    assert "b.md line 1: missing author" in message
    assert "c.md line 1: the file must start with a front-matter header" in message
    assert "d.md line 1: line 2 is not UTF-8" in message
    assert "e.md" not in message
    assert count(core, Review) == reviews


# ---------------------------------------------------------------------------------------------
# Files that aren't what they claim
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.ics", b"", "is empty"),
        ("empty.csv", b"", "is empty"),
        ("junk.tsv", bytes(range(256)) * 4, "binary"),
        (
            "latin1.csv",
            "film,cinema,start\nAmélie,x,2027-01-01 10:00\n".encode("latin-1"),
            "line 2 is not UTF-8",
        ),
        ("utf16.csv", "film,cinema,start\n".encode("utf-16"), "UTF-16"),
        (
            "huge.csv",
            b"film,cinema,start\n" + b"x" * (MAX_LINE_BYTES + 10) + b"\n",
            "line 2 is longer",
        ),
        ("notcal.ics", b"hello\r\n", "not an iCalendar file"),
        ("open.ics", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", "never ends"),
        ("header.csv", b"name,place\nx,y\n", "no film, cinema, start column"),
        ("deep.json", b"[\n" * 50_000 + b"]\n" * 50_000, "JSON can't be read"),
        ("digits.json", b'[{"title": "x", "year": ' + b"9" * 5000 + b"}]", "JSON can't be read"),
    ],
)
def test_unreadable_files_get_a_clear_error(
    core: Marquee, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    importer = import_films if name.endswith((".tsv", ".json")) else import_showtimes
    with pytest.raises(ImportProblem, match=expected):
        importer(job(core), path)


def test_cli_prints_a_summary_or_the_bad_rows_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert cli.main(["demo"]) == 0
    args = ["import", "showtimes", str(FESTIVAL), "--event", EVENT, "--user", "Festival office"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "showtimes from" in out and "7 created, 0 updated, 0 unchanged, 0 rejected" in out
    bad = write(tmp_path, "bad.csv", "film,cinema,start\nPersona,Grand Teatret,soon\n")
    assert cli.main(["import", "showtimes", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 2: unparsable date “soon”" in err and "Traceback" not in err
    assert cli.main(["import", "showtimes", str(bad), "--skip-invalid"]) == 0
    assert (tmp_path / "bad.csv.rejects.txt").read_text().startswith("line 2: unparsable date")


# ---------------------------------------------------------------------------------------------
# The chat command
# ---------------------------------------------------------------------------------------------


def test_export_command_gives_members_the_calendar_of_an_event(core: Marquee) -> None:
    import_showtimes(job(core), FESTIVAL, event=EVENT)
    now_core = Marquee(core.db, clock=lambda: FIXED_NOW)
    reply = now_core.handle(Invocation("export", {"query": "nordlys"}, MEMBER, CHANNEL))
    assert not reply.is_error
    notice, text = reply.blocks
    assert isinstance(notice, Notice) and isinstance(text, Text)
    assert text.text.startswith("BEGIN:VCALENDAR") and len(text.text) <= 1800
    assert "SUMMARY:Oslo\\, August 31st (2011)" in text.text
    reply = now_core.handle(Invocation("export", {"query": "Stalker"}, MEMBER, CHANNEL))
    assert reply.blocks[1].text.count("BEGIN:VEVENT") == 3  # type: ignore[union-attr]
    reply = now_core.handle(Invocation("export", {"query": "Persona"}, MEMBER, CHANNEL))
    assert reply.is_error and "No upcoming screenings" in reply.blocks[0].text  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# Both backends
# ---------------------------------------------------------------------------------------------


def test_imports_on_sqlite_and_postgresql(any_core: Marquee) -> None:
    films = import_films(job(any_core), EXAMPLES / "films.tsv")
    shows = import_showtimes(job(any_core), FESTIVAL, event=EVENT)
    assert (films.created, shows.created) == (3, 7)
    shows = import_showtimes(job(any_core), FESTIVAL, event=EVENT)
    assert shows.unchanged == 7
    with any_core.db.session() as s:
        film = s.scalars(select(Film).where(Film.external_id == "tt9900001")).one()
        assert [t.norm for t in film.titles] == ["the quiet harbour", "den stille havn"]


def test_key_tracker_finds_repeats_across_many_batches() -> None:
    tracker = KeyTracker()
    for batch in range(40):
        keys = [f"uid-{batch * 100 + i}" for i in range(100)]
        assert tracker.add_batch(keys, [batch * 100 + i + 1 for i in range(100)]) == {}
    repeats = tracker.add_batch(["uid-7", "new", "new", "uid-3999"], [5001, 5002, 5003, 5004])
    assert repeats == {0: 8, 2: 5002, 3: 4000}
    assert tracker.contains(["uid-0", "uid-4000", "new"]) == [True, False, True]
    assert len(tracker) == 4001


def test_film_and_review_imports_audit_the_ids_they_wrote(core: Marquee) -> None:
    """The audit names what an import created and changed, not only how many."""
    import_films(job(core), EXAMPLES / "films.tsv")
    import_reviews(job(core), EXAMPLES / "reviews")
    with core.db.session() as s:
        tsv = {f.id for f in s.scalars(select(Film).where(Film.external_id.like("tt99%")))}
        reviews = {
            r.id for r in s.scalars(select(Review).where(Review.author_platform == "import"))
        }
        entries = {
            e.action: e.after
            for e in s.scalars(select(AuditEntry).where(AuditEntry.action.like("import %")))
        }
    assert len(tsv) == 3 and len(reviews) == 3
    assert set(expand_ids(entries["import films"]["created"])) == tsv
    assert set(expand_ids(entries["import reviews"]["created"])) == reviews
    assert entries["import reviews"]["updated"] == ""
