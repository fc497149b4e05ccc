"""Imports know their source: `remove_missing` touches only what the same source put there,
the audit names every row an import wrote, and an import never keeps other writers waiting
while it reads its file."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import OperationalError

from adapters import cli
from bot.audit import id_ranges
from bot.core import Marquee
from bot.importers.errors import ImportProblem
from bot.importers.job import PLANNED, PLANNED_BATCH, WRITING, WRITTEN, ImportJob
from bot.importers.origin import origin_of
from bot.importers.showtimes import import_showtimes
from bot.importers.summary import expand_ids
from bot.types import AttachedFile, ErrorNotice, Invocation, Notice, Reply, Text
from storage.busy import BUSY_MESSAGE, is_busy
from storage.db import Database
from storage.models_audit import AuditEntry
from storage.models_members import MemberRating
from storage.models_screenings import Showtime
from tests.conftest import CHANNEL, FIXED_NOW, MEMBER, MODERATOR

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FESTIVAL = EXAMPLES / "festival.ics"
EVENT = "Nordlys Winter Film Days 2027"
GRAND_TEATRET_ROWS = [
    "Persona,Grand Teatret,Copenhagen,2027-01-21 18:00",
    "Persona,Grand Teatret,Copenhagen,2027-01-22 18:00",
    "Sentimental Value,Grand Teatret,Copenhagen,2027-01-23 20:00",
]


def job(core: Marquee, **kw: Any) -> ImportJob:
    """An import for the demo community (`--community 1`), the one CHANNEL's space joins: a
    chat import there may cancel what these imported."""
    kw.setdefault("community_id", 1)
    return ImportJob(db=core.db, resolver=core.resolver, actor=MODERATOR, now=FIXED_NOW, **kw)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def listing(folder: Path, name: str, rows: list[str]) -> Path:
    return write(folder, name, "film,cinema,city,start\n" + "\n".join(rows) + "\n")


def without_event(text: str, uid: str) -> str:
    start = text.index(f"BEGIN:VEVENT\r\nUID:{uid}")
    end = text.index("END:VEVENT\r\n", start) + len("END:VEVENT\r\n")
    return text[:start] + text[end:]


def state(core: Marquee) -> dict[int, tuple[Any, ...]]:
    """Every screening as stored, to compare whole databases before and after."""
    with core.db.session() as s:
        return {
            r.id: (r.film_id, r.cinema_id, r.event_id, r.starts_at, r.cancelled, r.source)
            for r in s.scalars(select(Showtime))
        }


def by_uid(core: Marquee) -> dict[str, Showtime]:
    with core.db.session() as s:
        rows = s.scalars(select(Showtime).where(Showtime.external_uid.is_not(None)))
        return {r.external_uid: r for r in rows if r.external_uid}


def text_of(reply: Reply) -> str:
    return "\n".join(b.text for b in reply.blocks if isinstance(b, Notice | Text | ErrorNotice))


def add_by_command(core: Marquee) -> int:
    reply = core.handle(
        Invocation(
            "showtime add",
            {"film": "Persona", "cinema": "Grand Teatret", "starts": "2027-01-24 18:00"},
            MODERATOR,
            CHANNEL,
        )
    )
    assert not reply.is_error, text_of(reply)
    with core.db.session() as s:
        return max(s.scalars(select(Showtime.id).where(Showtime.source.is_(None))))


@pytest.fixture
def several_sources(core: Marquee, tmp_path: Path) -> dict[str, set[int]]:
    """Demo screenings, a festival calendar imported without an event, a cinema's CSV for
    one of the festival's cinemas, and a screening added by command at that cinema."""
    with core.db.session() as s:
        demo = set(s.scalars(select(Showtime.id)))
    festival = import_showtimes(job(core), FESTIVAL)
    cinema = import_showtimes(job(core), listing(tmp_path, "grand.csv", GRAND_TEATRET_ROWS))
    by_command = add_by_command(core)
    assert (festival.created, cinema.created) == (7, 3)
    return {
        "demo": demo,
        "festival": set(festival.created_ids),
        "csv": set(cinema.created_ids),
        "command": {by_command},
    }


# ---------------------------------------------------------------------------------------------
# remove_missing touches only its own source
# ---------------------------------------------------------------------------------------------


def test_a_cinema_listing_never_cancels_the_festivals_screenings_at_that_cinema(
    core: Marquee, tmp_path: Path, several_sources: dict[str, set[int]]
) -> None:
    before = state(core)
    # The updated listing drops one of its own rows; the festival's five Grand Teatret
    # screenings, the demo's and the command's are not in it either, and must stay.
    path = listing(tmp_path, "grand.csv", GRAND_TEATRET_ROWS[:2])
    summary = import_showtimes(job(core), path, remove_missing=True)
    after = state(core)
    cancelled = {i for i in after if after[i][4] and not before[i][4]}
    assert len(cancelled) == 1 and cancelled <= several_sources["csv"]
    assert summary.missing_count == summary.removed == 1
    assert "2027-01-23" in summary.missing[0] or "23 Jan" in summary.missing[0]
    untouched = set(before) - cancelled
    assert {i: after[i] for i in untouched} == {i: before[i] for i in untouched}


def test_a_renamed_calendar_download_is_the_same_source_and_cancels_only_its_own(
    core: Marquee, tmp_path: Path, several_sources: dict[str, set[int]]
) -> None:
    before = state(core)
    trimmed = without_event(FESTIVAL.read_bytes().decode("utf-8"), "opening-2027")
    # Another file name, the same calendar (X-WR-CALNAME): the same source.
    path = write(tmp_path, "nordlys-programme (2).ics", trimmed)
    summary = import_showtimes(job(core), path, remove_missing=True)
    assert (summary.removed, summary.unchanged) == (1, 6)
    after = state(core)
    cancelled = {i for i in after if after[i][4] and not before[i][4]}
    assert cancelled == {by_uid(core)["opening-2027@nordlys.example"].id}
    assert cancelled <= several_sources["festival"]
    untouched = set(before) - cancelled
    assert {i: after[i] for i in untouched} == {i: before[i] for i in untouched}


def test_a_listing_under_another_name_is_another_source(
    core: Marquee, tmp_path: Path, several_sources: dict[str, set[int]]
) -> None:
    before = state(core)
    path = listing(tmp_path, "grand-teatret-week-2.csv", GRAND_TEATRET_ROWS[:1])
    summary = import_showtimes(job(core), path, remove_missing=True)
    assert (summary.unchanged, summary.missing_count, summary.removed) == (1, 0, 0)
    after = state(core)
    assert [i for i in after if after[i][4] != before[i][4]] == []
    # The row both files list now belongs to the newer one.
    assert {after[i][5] for i in several_sources["csv"]} == {
        "file:grand.csv",
        "file:grand-teatret-week-2.csv",
    }


def test_an_explicit_source_name_ties_differently_named_files_together(
    core: Marquee, tmp_path: Path
) -> None:
    first = listing(tmp_path, "luna-2027-01.csv", GRAND_TEATRET_ROWS)
    import_showtimes(job(core), first, source="Grand Teatret programme")
    second = listing(tmp_path, "luna-2027-02.csv", GRAND_TEATRET_ROWS[1:])
    summary = import_showtimes(
        job(core), second, source="grand teatret  PROGRAMME", remove_missing=True
    )
    assert summary.removed == 1 and summary.source_label == "source “grand teatret PROGRAMME”"
    rows = [r for r in by_uid(core).values() if r.source == "name:grand teatret programme"]
    assert len(rows) == 3 and sum(r.cancelled for r in rows) == 1


def test_with_an_event_only_that_events_screenings_of_the_source_are_candidates(
    core: Marquee, tmp_path: Path
) -> None:
    header = "film,cinema,city,start,event\n"
    rows = [
        "Persona,Grand Teatret,Copenhagen,2027-03-01 18:00,Bergman Spring",
        "Persona,Grand Teatret,Copenhagen,2027-03-02 18:00,Bergman Spring",
        "Sentimental Value,Grand Teatret,Copenhagen,2027-03-03 18:00,Nordic Nights",
    ]
    import_showtimes(job(core), write(tmp_path, "seasons.csv", header + "\n".join(rows) + "\n"))
    # The same listing, now with one Bergman screening only: confined to that season, the
    # Nordic Nights screening the file doesn't list is left alone.
    path = write(tmp_path, "seasons.csv", header + rows[0] + "\n")
    confined = import_showtimes(job(core), path, event="Bergman Spring", remove_missing=True)
    assert confined.removed == 1
    assert "Nordic" not in " ".join(confined.missing)
    # Without an event the file speaks for all of its source's screenings.
    whole = import_showtimes(job(core), path, remove_missing=True)
    assert whole.removed == 1 and "Sentimental Value" in whole.missing[0]
    assert sum(r.cancelled for r in by_uid(core).values()) == 2


def test_rows_rejected_with_skip_invalid_cancel_nothing(core: Marquee, tmp_path: Path) -> None:
    import_showtimes(job(core), listing(tmp_path, "grand.csv", GRAND_TEATRET_ROWS))
    # The third row is unreadable now: it may well be the "missing" one, so nothing goes.
    rows = [*GRAND_TEATRET_ROWS[:2], "Sentimental Value,Grand Teatret,Copenhagen,soon"]
    summary = import_showtimes(
        job(core, skip_invalid=True, rejects=tmp_path / "rejects.txt"),
        listing(tmp_path, "grand.csv", rows),
        remove_missing=True,
    )
    assert (summary.rejected, summary.missing_count, summary.removed) == (1, 1, 0)
    assert summary.kept_missing_because == "1 row(s) of the file were rejected"
    assert not any(r.cancelled for r in by_uid(core).values())


def test_the_chat_import_reports_and_cancels_within_its_source(
    core: Marquee, several_sources: dict[str, set[int]]
) -> None:
    before = state(core)
    text = "film,cinema,city,start\n" + GRAND_TEATRET_ROWS[0] + "\n"
    # Attached under the name it was first imported with (by the CLI): the same source.
    file = AttachedFile("grand.csv", text)
    args: dict[str, Any] = {"file": file, "remove_missing": True}
    reply = core.handle(Invocation("import showtimes", args, MODERATOR, CHANNEL))
    message = text_of(reply)
    assert "2 earlier screening(s) from file “grand.csv” cancelled" in message
    after = state(core)
    cancelled = {i for i in after if after[i][4] and not before[i][4]}
    assert len(cancelled) == 2 and cancelled <= several_sources["csv"]


# ---------------------------------------------------------------------------------------------
# Source identity
# ---------------------------------------------------------------------------------------------


def test_source_identity(tmp_path: Path) -> None:
    csv = listing(tmp_path, "x.csv", GRAND_TEATRET_ROWS)
    assert origin_of(csv, "Programme.CSV").key == "file:programme.csv"
    # A browser's second download is the same file; other names are other listings.
    assert origin_of(csv, "Programme (1).csv").key == "file:programme.csv"
    assert origin_of(csv, "programme-2.csv").key == "file:programme-2.csv"
    assert origin_of(csv, "x.csv", "  Luna   Programme ").key == "name:luna programme"
    assert origin_of(FESTIVAL, "anything.ics").key == "calendar:nordlys winter film days 2027"
    folded = (
        "BEGIN:VCALENDAR\r\nX-WR-CALNAME;VALUE=TEXT:Kino\\, Vinyl\r\n  Winter\r\nEND:VCALENDAR\r\n"
    )
    assert origin_of(write(tmp_path, "k.ics", folded), "k.ics").key == "calendar:kino, vinyl winter"
    nameless = "BEGIN:VCALENDAR\r\nPRODID:-//x//y//EN\r\nEND:VCALENDAR\r\n"
    assert origin_of(write(tmp_path, "n.ics", nameless), "n.ics").key == "file:n.ics"


# ---------------------------------------------------------------------------------------------
# The audit names what an import created, changed and cancelled
# ---------------------------------------------------------------------------------------------


def test_id_ranges_round_trip() -> None:
    ids = [9, 3, 4, 5, 12, 11, 20]
    assert id_ranges(ids) == "3-5, 9, 11-12, 20"
    assert expand_ids(id_ranges(ids)) == sorted(ids)
    assert id_ranges([]) == "" and expand_ids("") == []


def test_the_audit_entry_lists_every_created_updated_and_cancelled_screening(
    any_core: Marquee, tmp_path: Path
) -> None:
    core = any_core
    import_showtimes(job(core), FESTIVAL, event=EVENT)
    text = FESTIVAL.read_bytes().decode("utf-8")
    changed = without_event(text, "closing-2027").replace("20270115T210000", "20270115T213000")
    summary = import_showtimes(
        job(core), write(tmp_path, "festival.ics", changed), event=EVENT, remove_missing=True
    )
    assert (summary.created, summary.updated, summary.unchanged, summary.removed) == (0, 1, 5, 1)
    rows = by_uid(core)
    with core.db.session() as s:
        entries = list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "import showtimes")
                .order_by(AuditEntry.id)
            )
        )
    first, second = (e.after for e in entries)
    assert first is not None and second is not None
    assert set(expand_ids(first["created"])) == {r.id for r in rows.values()}
    assert first["counts"]["created"] == 7 and first["source"] == summary.source_key
    assert expand_ids(second["updated"]) == [rows["oslo-august-2027@nordlys.example"].id]
    assert expand_ids(second["cancelled"]) == [rows["closing-2027@nordlys.example"].id]
    assert second["created"] == "" and second["counts"]["cancelled"] == 1
    assert rows["closing-2027@nordlys.example"].cancelled


# ---------------------------------------------------------------------------------------------
# Locks: an import keeps other writers waiting for its short write only
# ---------------------------------------------------------------------------------------------


def big_calendar(events: int) -> str:
    """`events` screenings of one film at one cinema, a minute apart."""
    start = datetime(2027, 6, 1, 10, 0, tzinfo=UTC)
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:big-{i}@example\r\nSUMMARY:Persona\r\n"
        f"LOCATION:Grand Teatret\\, Copenhagen\r\n"
        f"DTSTART:{start + timedelta(minutes=i):%Y%m%dT%H%M%SZ}\r\nEND:VEVENT\r\n"
        for i in range(events)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Big\r\n{body}END:VCALENDAR\r\n"


def rate(core: Marquee, score: str) -> Reply:
    args = {"title": "Persona", "score": score}
    return core.handle(Invocation("rate", args, MEMBER, CHANNEL))  # type: ignore[arg-type]


def ratings(core: Marquee) -> int:
    """The test member's ratings (the demo's members have their own)."""
    with core.db.session() as s:
        query = select(MemberRating.id).where(MemberRating.user_id == MEMBER.user_id)
        return len(s.scalars(query).all())


class ImportThread(threading.Thread):
    def __init__(self, core: Marquee, path: Path, stage: Any) -> None:
        super().__init__(daemon=True)
        self.importing = job(core, stage=stage)
        self.path = path
        self.result: Any = None

    def run(self) -> None:
        try:
            self.result = import_showtimes(self.importing, self.path)
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.result = exc


EVENTS = 12_000  # more than two batches: the old importer held the lock from the first


@pytest.mark.slow
def test_a_member_can_rate_while_a_long_import_reads_its_file(
    core: Marquee, tmp_path: Path
) -> None:
    path = write(tmp_path, "big.ics", big_calendar(EVENTS))
    reading, rated = threading.Event(), threading.Event()
    timed_out: list[str] = []

    def stage(name: str) -> None:
        if name == PLANNED_BATCH and not reading.is_set():
            reading.set()  # the first batch is read and matched; more of the file to go
            if not rated.wait(60):
                timed_out.append("the test never let the import go on")

    importer = ImportThread(core, path, stage)
    importer.start()
    assert reading.wait(120), "the import never got through its first batch"
    try:
        reply = rate(core, "4")
    finally:
        rated.set()
    importer.join(300)
    assert not reply.is_error, text_of(reply)
    assert ratings(core) == 1
    assert not isinstance(importer.result, BaseException), importer.result
    assert importer.result.created == EVENTS and timed_out == []


@pytest.mark.slow
def test_the_write_step_is_bulk_statements_only(core: Marquee, tmp_path: Path) -> None:
    path = write(tmp_path, "big.ics", big_calendar(EVENTS))
    statements: list[str] = []
    writing = threading.Event()

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if writing.is_set():
            statements.append(" ".join(statement.split()))

    def stage(name: str) -> None:
        if name == WRITING:
            writing.set()
        elif name == WRITTEN:
            writing.clear()

    event.listen(core.db.engine, "before_cursor_execute", count)
    try:
        summary = import_showtimes(job(core, stage=stage), path)
    finally:
        event.remove(core.db.engine, "before_cursor_execute", count)
    assert summary.created == EVENTS
    # While the lock is held: 12,000 rows in a few multi-row INSERTs, and no film matching
    # (a per-row statement would make this thousands).
    assert 1 <= sum(s.startswith("INSERT INTO showtime") for s in statements) <= EVENTS // 500
    assert len(statements) <= EVENTS // 500, statements[:20]
    assert not [s for s in statements if " FROM film" in s or " FROM title" in s]


@pytest.mark.slow
def test_a_writer_during_the_write_step_gets_through(core: Marquee, tmp_path: Path) -> None:
    path = write(tmp_path, "big.ics", big_calendar(EVENTS))
    writing = threading.Event()
    replies: list[Reply] = []

    def stage(name: str) -> None:
        if name == WRITING:
            writing.set()

    def member_rates() -> None:
        writing.wait(120)
        replies.append(rate(core, "3.5"))  # waits for the import's commit, then writes

    writer = threading.Thread(target=member_rates, daemon=True)
    writer.start()
    summary = import_showtimes(job(core, stage=stage), path)
    writer.join(120)
    assert summary.created == EVENTS
    assert len(replies) == 1 and not replies[0].is_error, text_of(replies[0])
    assert ratings(core) == 1


# ---------------------------------------------------------------------------------------------
# A busy database is said so, not apologised for
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def locked(core: Marquee) -> Iterator[None]:
    """Another process holding SQLite's write lock (as a long import used to)."""
    other = sqlite3.connect(core.db.url.database or "", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.slow
def test_a_write_while_the_database_is_locked_says_busy_and_changes_nothing(
    core: Marquee, locked: None
) -> None:
    reply = rate(core, "4")  # waits busy_timeout for the lock, then gives up
    assert reply.is_error and BUSY_MESSAGE in text_of(reply)
    assert "went wrong" not in text_of(reply)
    assert ratings(core) == 0


@pytest.mark.slow
def test_the_cli_import_says_busy_when_locked(
    core: Marquee,
    locked: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", core.db.url.render_as_string(hide_password=False))
    assert cli.main(["import", "showtimes", str(FESTIVAL), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert BUSY_MESSAGE in err and "Traceback" not in err
    assert by_uid(core) == {}


def test_a_screening_changed_while_the_file_is_read_refuses_the_import(
    core: Marquee, tmp_path: Path
) -> None:
    import_showtimes(job(core), FESTIVAL, event=EVENT)
    oslo = by_uid(core)["oslo-august-2027@nordlys.example"]
    moved = FESTIVAL.read_bytes().decode("utf-8").replace("20270115T210000", "20270115T213000")
    removed: list[Reply] = []

    def stage(name: str) -> None:
        if name == PLANNED:  # read and checked; a moderator removes the screening right now
            args = {"showtime": oslo.id}
            removed.append(core.handle(Invocation("showtime remove", args, MODERATOR, CHANNEL)))

    with pytest.raises(ImportProblem, match="changed while the file was being read"):
        import_showtimes(job(core, stage=stage), write(tmp_path, "f.ics", moved), event=EVENT)
    assert len(removed) == 1 and not removed[0].is_error, text_of(removed[0])
    after = by_uid(core)["oslo-august-2027@nordlys.example"]
    # The moderator's change stands and the import wrote nothing (one audit entry: the first).
    assert after.cancelled and after.starts_at == oslo.starts_at
    with core.db.session() as s:
        query = select(AuditEntry.id).where(AuditEntry.action == "import showtimes")
        assert len(s.scalars(query).all()) == 1


def test_an_empty_file_cancels_nothing(core: Marquee, tmp_path: Path) -> None:
    import_showtimes(job(core), FESTIVAL)
    empty = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Nordlys Winter Film Days 2027\r\n"
    path = write(tmp_path, "festival.ics", empty + "END:VCALENDAR\r\n")
    summary = import_showtimes(job(core), path, remove_missing=True)
    assert (summary.missing_count, summary.removed) == (7, 0)
    assert summary.kept_missing_because == "the file lists no screenings at all"
    assert not any(r.cancelled for r in by_uid(core).values())


def test_the_cli_takes_a_source_name(
    core: Marquee,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", core.db.url.render_as_string(hide_password=False))
    first = listing(tmp_path, "week-1.csv", GRAND_TEATRET_ROWS)
    assert cli.main(["import", "showtimes", str(first), "--source", "Grand", "--no-progress"]) == 0
    second = listing(tmp_path, "week-2.csv", GRAND_TEATRET_ROWS[:2])
    args = ["import", "showtimes", str(second), "--source", "grand", "--remove-missing"]
    assert cli.main([*args, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "1 earlier screening(s) from source “grand” cancelled" in out
    assert sum(r.cancelled for r in by_uid(core).values()) == 1


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_lock_wait_on_postgresql_counts_as_busy(db: Database) -> None:
    with db.engine.begin() as setup:
        setup.execute(text("CREATE TABLE busy_probe (id int primary key)"))
    with db.engine.connect() as holder, db.engine.connect() as waiter:
        holder.execute(text("INSERT INTO busy_probe VALUES (1)"))  # uncommitted: holds the key
        waiter.execute(text("SET lock_timeout = '50ms'"))
        with pytest.raises(OperationalError) as info:
            waiter.execute(text("INSERT INTO busy_probe VALUES (1)"))
        assert is_busy(info.value)
        waiter.rollback()
        holder.rollback()
    assert not is_busy(ValueError("database is locked"))


def test_cinemas_and_events_the_file_introduces_are_added_in_the_write_step(
    any_core: Marquee,
) -> None:
    core = any_core
    summary = import_showtimes(job(core), EXAMPLES / "showtimes.csv", event="Winter Listings")
    assert summary.created == 4
    assert "added event Winter Listings" in summary.notes
    with core.db.session() as s:
        rows = s.scalars(select(Showtime).where(Showtime.id.in_(summary.created_ids))).all()
        places = sorted((r.cinema.name, r.cinema.timezone, r.event.name) for r in rows if r.event)
        assert len(places) == 4
        assert ("Kino Vinyl", "Europe/Oslo", "Winter Listings") in places
        event_row = rows[0].event
        assert event_row is not None
        assert {c.name for c in event_row.cinemas} == {name for name, _, _ in places}
        assert str(event_row.starts_on) == "2027-02-05" and str(event_row.ends_on) == "2027-02-07"
