"""`settings`, `community …` and the console's `--community`, as a community's admins use them."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from adapters import cli
from adapters.console.shell import ConsoleSession
from adapters.reply_files import safe_name
from bot.core import Marquee
from bot.types import Actor, ChannelRef, Notice, Reply, Role, Table
from tests.backend import ADMIN, MEMBER, SayBot

DISCORD = ChannelRef("discord", "guild-1", "chan")
SLACK = ChannelRef("slack", "T-staff", "chan")
SLACK_ADMIN = Actor("slack", "U-ADMIN", "Sam Admin", Role.ADMIN)
DISCORD_MEMBER = Actor("discord", "4242", "Roley", Role.MEMBER, groups=("555555555555",))


def said(reply: object) -> str:
    return " ".join(str(getattr(b, "text", "")) for b in getattr(reply, "blocks", ()))


@pytest.fixture
def festival(core: Marquee) -> SayBot:
    return SayBot(core, actor=ADMIN, channel=DISCORD)


def test_settings_name_moderators_per_community(festival: SayBot) -> None:
    refused = festival.ask("review remove", as_=DISCORD_MEMBER, review=1)
    assert refused.is_error and "moderator" in said(refused)
    set_ = festival.ask("settings set", key="moderators", value="<@&555555555555>")
    assert "Discord role 555555555555" in said(set_)
    assert not festival.ask("review remove", as_=DISCORD_MEMBER, review=1).is_error
    # The same role in another server grants nothing there.
    elsewhere = SayBot(festival.core, channel=ChannelRef("discord", "guild-2", "c"))
    assert elsewhere.ask("review remove", as_=DISCORD_MEMBER, review=2).is_error
    shown = festival.ask("settings")
    table = next(b for b in shown.blocks if isinstance(b, Table))
    assert ("moderators", "Discord role 555555555555") == table.rows[0][:2]
    audit = said(festival.ask("audit")) + str(festival.ask("audit").blocks)
    assert "settings set" in audit


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("timezone", "Mars/Olympus", "not a time zone"),
        ("reminder", "1", "out of range"),
        ("digest", "25:00", "not a time of day"),
        ("colour", "red", "no setting"),
        ("moderators", "@everyone", "not a role"),
    ],
)
def test_a_bad_setting_is_refused_and_changes_nothing(
    festival: SayBot, key: str, value: str, why: str
) -> None:
    before = festival.ask("settings").blocks
    reply = festival.ask("settings set", key=key, value=value)
    assert reply.is_error and why in said(reply), said(reply)
    assert festival.ask("settings").blocks == before


def test_home_city_and_alert_defaults_apply(festival: SayBot) -> None:
    assert not festival.ask("settings set", key="city", value="Copenhagen").is_error
    listing = said(festival.ask("showtimes")) + str(festival.last.blocks if festival.last else "")
    assert "Copenhagen" in listing and "Perth" not in listing
    assert not festival.ask("settings set", key="reminder", value="2h").is_error
    sub = festival.ask("alerts subscribe", target="film:Second Victims")
    assert not sub.is_error, said(sub)
    assert "120" in str(festival.ask("alerts list").blocks)


def test_link_join_and_unlink_share_then_separate(festival: SayBot) -> None:
    link = festival.ask("community link")  # the server arrives first: the demo's community
    staff = SayBot(festival.core, actor=SLACK_ADMIN, channel=SLACK)
    assert "No film found" in said(staff.ask("review", as_=MEMBER, title="Second Victims"))
    assert link.ephemeral
    code = re.search(r"community join ([A-Z0-9]+)", said(link))
    assert code is not None
    assert staff.ask("community join", code="NOT-IT").is_error
    joined = staff.ask("community join", code=code.group(1))
    assert not joined.is_error, said(joined)
    assert "Where the blame lands" in str(staff.ask("review", title="Second Victims").blocks)
    again = staff.ask("community join", code=code.group(1))  # used up
    assert again.is_error and "wrong, used or expired" in said(again)
    spaces = next(b for b in festival.ask("community").blocks if isinstance(b, Table))
    assert {r[0] for r in spaces.rows} == {"discord", "slack"}
    assert not staff.ask("community unlink").is_error
    assert "No film found" in said(staff.ask("review", title="Second Victims"))
    assert festival.ask("community unlink").is_error  # alone again: nothing to undo


def test_an_expired_code_changes_nothing(festival: SayBot) -> None:
    from datetime import timedelta

    code = re.search(r"community join ([A-Z0-9]+)", said(festival.ask("community link")))
    assert code is not None
    start = festival.core.clock()
    festival.core.clock = lambda: start + timedelta(minutes=11)
    staff = SayBot(festival.core, actor=SLACK_ADMIN, channel=SLACK)
    assert staff.ask("community join", code=code.group(1)).is_error
    assert "No film found" in said(staff.ask("review", title="Second Victims"))


def test_a_direct_message_acts_in_the_members_community_and_says_so(festival: SayBot) -> None:
    festival.ask("watch", as_=DISCORD_MEMBER, title="Arrival")
    dm = SayBot(festival.core, actor=DISCORD_MEMBER, channel=ChannelRef("discord", "dm", "d"))
    reply = dm.ask("watchlist")
    assert "Arrival" in str(reply.blocks)
    assert any(isinstance(b, Notice) and "community" in b.text for b in reply.blocks)
    # In a second server too: the DM names how to switch, and switching works.
    other = SayBot(festival.core, channel=ChannelRef("discord", "guild-9", "c"))
    other.ask("watchlist", as_=DISCORD_MEMBER)
    note = said(dm.ask("watchlist"))
    assert "community use" in note
    name = re.search(r"`community use ([^`]+)`", note)
    assert name is not None
    assert not dm.ask("community use", name=name.group(1)).is_error
    assert "Arrival" in str(dm.ask("watchlist").blocks)  # festival's community again


def test_delete_asks_first_then_removes_everything(festival: SayBot) -> None:
    asked = festival.ask("community delete")
    assert asked.is_error and "`community delete yes`" in said(asked)
    assert "Where the blame lands" in str(festival.ask("review", title="Second Victims").blocks)
    assert not festival.ask("community delete", confirm=True).is_error
    assert "No film found" in said(festival.ask("review", title="Second Victims"))


def exported(reply: Reply) -> tuple[str, dict[str, Any], str]:
    """The reply's one file: its name, the JSON inside and the calendar inside."""
    (attached,) = reply.files
    assert attached.mime == "application/zip"
    with zipfile.ZipFile(io.BytesIO(attached.data)) as archive:
        stem = attached.name.removesuffix(".zip")
        assert sorted(archive.namelist()) == [f"{stem}.ics", f"{stem}.json"]
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in archive.infolist())
        data = json.loads(archive.read(f"{stem}.json").decode("utf-8"))
        calendar = archive.read(f"{stem}.ics").decode("utf-8")
    return attached.name, data, calendar


def test_export_attaches_the_communitys_rows_and_screenings(
    core: Marquee, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = SayBot(core, actor=ADMIN, channel=DISCORD)
    reply = bot.ask("community export")
    assert not reply.is_error and reply.ephemeral
    name, data, calendar = exported(reply)
    assert name == "community-1.zip" and "community-1.zip" in said(reply)
    assert {"review", "member_rating", "showtime", "cinema", "space"} <= set(data)
    assert data["review"] and all(r["community_id"] == 1 for r in data["review"])
    assert "BEGIN:VEVENT" in calendar
    table = next(b for b in reply.blocks if isinstance(b, Table))
    assert ("review", str(len(data["review"]))) in table.rows
    # Where a platform cannot take the file, the adapter shows `instead`: the operator's
    # command, which must run as printed and write the same files.
    printed = re.search(r"`(marquee export community \d+) --output FOLDER`", reply.files[0].instead)
    assert printed is not None, reply.files[0].instead
    monkeypatch.setenv("DATABASE_URL", str(core.db.engine.url))
    out = tmp_path / "out"
    args = printed.group(1).split()[1:] + ["--output", str(out)]
    assert cli.main(args) == 0
    assert json.loads((out / "1.json").read_text(encoding="utf-8")) == data
    assert (out / "1.ics").read_bytes().decode("utf-8") == calendar


def test_another_communitys_export_holds_nothing_of_the_first(core: Marquee) -> None:
    first = exported(SayBot(core, actor=ADMIN, channel=DISCORD).ask("community export"))[1]
    staff = SayBot(core, actor=SLACK_ADMIN, channel=SLACK)
    name, data, _ = exported(staff.ask("community export"))
    assert name != "community-1.zip"
    headlines = {r["headline"] for r in first["review"]}
    assert headlines and not headlines & {r["headline"] for r in data.get("review", [])}
    assert all(r.get("community_id") != 1 for table in data.values() for r in table)


def test_console_saves_the_export_and_never_overwrites(core: Marquee, tmp_path: Path) -> None:
    actor = Actor("console", "ada", "Ada", Role.ADMIN, operator=True)
    session = ConsoleSession(core, actor, exports_dir=tmp_path / "exports")
    first = session.run_line("/community export")
    second = session.run_line("/community export")
    saved = sorted((p.name for p in (tmp_path / "exports").iterdir()), key=len)
    assert len(saved) == 2 and saved[0].endswith(".zip"), saved
    stem = saved[0].removesuffix(".zip")
    assert saved[1] == f"{stem}-2.zip"  # the first one is kept, not overwritten
    assert str((tmp_path / "exports" / saved[0]).resolve()) in first
    assert str((tmp_path / "exports" / saved[1]).resolve()) in second
    with zipfile.ZipFile(tmp_path / "exports" / saved[0]) as archive:
        assert f"{stem}.json" in archive.namelist()
    # A session with no folder (a script) saves nothing and says how else to get the files.
    unsaved = ConsoleSession(core, actor).run_line("/community export")
    assert "not attached: this console saves no files" in unsaved
    assert "marquee export community" in unsaved


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("community-3.zip", "community-3.zip"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\.bashrc", "bashrc"),
        ("two words?.zip", "two-words-.zip"),
        ("...", "marquee-file"),
        ("a" * 300 + ".zip", "a" * 96 + ".zip"),
    ],
)
def test_file_names_are_made_safe(given: str, safe: str) -> None:
    assert safe_name(given) == safe


def test_settings_set_typed_as_one_line_runs_as_the_hint_says(festival: SayBot) -> None:
    shown = festival.say("/settings")
    assert "settings set <setting> <value>" in str(shown.blocks)
    assert "Copenhagen" in said(festival.say("/settings set city Copenhagen"))
    assert "Europe/Copenhagen" in said(festival.say("/settings set timezone Europe/Copenhagen"))
    missing = festival.say("/settings set digest")
    assert missing.is_error and "needs a value" in said(missing)
    table = next(b for b in festival.say("/settings").blocks if isinstance(b, Table))
    assert ("city", "Copenhagen") in [r[:2] for r in table.rows]
