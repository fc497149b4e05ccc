"""`import showtimes` from chat: the attached file goes through the core like any command."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.core import Marquee
from bot.importers.summary import expand_ids
from bot.types import AttachedFile, ErrorNotice, Invocation, Notice, Reply, Text
from storage.models_audit import AuditEntry
from storage.models_screenings import Showtime
from tests.conftest import CHANNEL, MEMBER, MODERATOR

FESTIVAL = Path(__file__).resolve().parent.parent / "examples" / "festival.ics"
EVENT = "Nordlys Winter Film Days 2027"


def attach(core: Marquee, file: AttachedFile | str, actor=MODERATOR, **args: object) -> Reply:  # type: ignore[no-untyped-def]
    return core.handle(Invocation("import showtimes", {"file": file, **args}, actor, CHANNEL))  # type: ignore[dict-item]


def festival() -> AttachedFile:
    return AttachedFile("festival.ics", FESTIVAL.read_text(encoding="utf-8"))


def text_of(reply: Reply) -> str:
    return "\n".join(b.text for b in reply.blocks if isinstance(b, Notice | Text | ErrorNotice))


def imported_count(core: Marquee) -> int:
    with core.db.session() as s:
        return len(s.scalars(select(Showtime.id).where(Showtime.external_uid.is_not(None))).all())


def import_audits(core: Marquee) -> list[AuditEntry]:
    with core.db.session() as s:
        query = select(AuditEntry).where(AuditEntry.action == "import showtimes")
        return list(s.scalars(query).all())


def test_a_moderator_imports_then_reimporting_changes_nothing(core: Marquee) -> None:
    first = attach(core, festival(), event=EVENT)
    assert not first.ephemeral
    assert "showtimes from festival.ics: 7 created, 0 updated, 0 unchanged, 0 rejected" in (
        text_of(first)
    )
    assert imported_count(core) == 7
    second = attach(core, festival(), event=EVENT)
    assert "0 created, 0 updated, 7 unchanged, 0 rejected" in text_of(second)
    assert imported_count(core) == 7
    audits = import_audits(core)
    assert [a.after["counts"]["created"] for a in audits if a.after] == [7, 0]
    # The first entry names exactly the screenings it created; the second created none.
    with core.db.session() as s:
        ids = set(s.scalars(select(Showtime.id).where(Showtime.external_uid.is_not(None))))
    assert audits[0].after is not None and set(expand_ids(audits[0].after["created"])) == ids
    assert audits[1].after is not None and audits[1].after["created"] == ""
    assert {a.actor_name for a in audits} == {MODERATOR.display_name}


def test_a_member_is_refused_and_nothing_changes(core: Marquee) -> None:
    reply = attach(core, festival(), actor=MEMBER)
    assert isinstance(reply.blocks[0], ErrorNotice) and reply.ephemeral
    assert "for moderators" in text_of(reply)
    assert imported_count(core) == 0 and import_audits(core) == []


def test_a_malformed_file_is_refused_by_line_and_nothing_is_written(core: Marquee) -> None:
    good = FESTIVAL.read_text(encoding="utf-8")
    # Break two events: an unparsable start and an unknown time zone.
    bad = good.replace("DTSTART;TZID=Europe/Copenhagen:20270115T210000", "DTSTART:tomorrow-ish")
    bad = bad.replace("TZID=Copenhagen local:20270114T193000", "TZID=Mars/Olympus:20270114T193000")
    assert bad.count("tomorrow-ish") == 1 and bad.count("Mars/Olympus") == 1
    lines = bad.splitlines()
    before = {s.id for s in _all_showtimes(core)}
    reply = attach(core, AttachedFile("festival.ics", bad))
    message = text_of(reply)
    assert isinstance(reply.blocks[0], ErrorNotice)
    assert "festival.ics: 2 bad rows; nothing was written." in message
    # Each bad event is named by the line where it starts in the attached file.
    for marker in ("UID:opening-2027@nordlys.example", "UID:oslo-august-2027@nordlys.example"):
        begins = lines.index(marker)  # the line after BEGIN:VEVENT, 0-based = BEGIN's 1-based
        assert f"line {begins}:" in message
    assert "--skip-invalid" not in message and "/tmp" not in message
    assert imported_count(core) == 0 and import_audits(core) == []
    assert {s.id for s in _all_showtimes(core)} == before


def test_typed_text_is_not_a_file(core: Marquee) -> None:
    # Slack's slash commands and the console can only send text: the core says where to go.
    reply = attach(core, "BEGIN:VCALENDAR")
    message = text_of(reply)
    assert "on Discord" in message
    assert "marquee import showtimes FILE" in message
    assert imported_count(core) == 0


def test_an_oversized_file_is_refused(core: Marquee) -> None:
    reply = attach(core, AttachedFile("huge.csv", "x" * (2 * 1024 * 1024 + 1)))
    assert "at most 2 MB" in text_of(reply)
    assert imported_count(core) == 0


def _all_showtimes(core: Marquee) -> list[Showtime]:
    with core.db.session() as s:
        return list(s.scalars(select(Showtime)).all())
