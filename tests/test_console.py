"""The console adapter end to end: the installed `marquee` executable in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every test runs the marquee executable in a subprocess

MARQUEE = shutil.which("marquee", path=str(Path(sys.executable).parent)) or "marquee"


def marquee(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    # No data folder from the caller's shell either: what the console saves lands in tmp_path.
    skipped = ("DISCORD_", "SLACK_", "MARQUEE_DATA_DIR")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skipped)}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'console.db'}"
    return subprocess.run(
        [MARQUEE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )


def test_help_lists_the_subcommands(tmp_path: Path) -> None:
    out = marquee(tmp_path, "--help")
    assert out.returncode == 0
    for sub in ("run", "shell", "migrate", "demo"):
        assert sub in out.stdout


def test_the_seed_case(tmp_path: Path) -> None:
    out = marquee(tmp_path, "shell", stdin="/review Second Victims\n")
    assert out.returncode == 0, out.stderr
    assert "A hospital drama about the doctor, not the patient" in out.stdout
    assert "Ingrid (Marquee demo critic)" in out.stdout
    # The spoiler review is listed, its text hidden behind the command that shows it: the
    # film named by its label, since "#1" beside "review #2" read as the review's number.
    assert "Where the blame lands" in out.stdout
    assert "does not survive" not in out.stdout
    hint = "/review Second Victims (2025) spoilers=yes"
    assert f"To read it: {hint}]" in out.stdout
    shown = marquee(tmp_path, "shell", stdin=hint + "\n")
    assert "does not survive" in shown.stdout


def test_printed_hints_run_when_typed_back(tmp_path: Path) -> None:
    """The paging hint of a quoted `when` and the choices after `rate` parse back as printed."""
    out = marquee(tmp_path, "shell", stdin='/showtimes when="this week"\n/rate solaris 4\n')
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    nxt = next(line for line in lines if "next: " in line).split("next: ", 1)[1]
    assert nxt == '/showtimes when="this week" page=2'
    rate = [line.split("   ")[-1] for line in lines if line.strip().startswith(("1.", "2."))]
    assert rate == ["/rate #37 score=4", "/rate #36 score=4"]
    again = marquee(tmp_path, "shell", stdin=f"{nxt}\n{rate[1]}\n")
    assert "Page 2 of" in again.stdout
    assert "You rated Solaris (1972) 4★" in again.stdout
    assert "✖" not in again.stdout


def test_options_the_command_lacks_are_refused(tmp_path: Path) -> None:
    out = marquee(tmp_path, "shell", stdin="/showtimes Perth day=fri\n/film Persona year=1966\n")
    assert "`showtimes` has no option day. Its options: query, when" in out.stdout
    assert "`film` has no option year. Its options: title." in out.stdout
    assert "Perfect Days" not in out.stdout


def test_member_is_refused_and_moderator_succeeds_and_is_audited(tmp_path: Path) -> None:
    add = "/review add Second Victims rating=4 headline=Worth the tears body=A second look.\n"
    refused = marquee(tmp_path, "shell", "--user", "Mia", stdin=add + "/review Second Victims\n")
    assert "is for moderators" in refused.stdout
    assert "Worth the tears" not in refused.stdout

    done = marquee(
        tmp_path,
        "shell",
        "--user",
        "Max",
        "--role",
        "moderator",
        stdin=add + "/audit\n/review Second Victims\n",
    )
    assert done.returncode == 0, done.stderr
    assert "✔ Review #" in done.stdout
    audit_lines = [line for line in done.stdout.splitlines() if "review add" in line]
    assert audit_lines and "Max" in audit_lines[0]
    assert done.stdout.count("Worth the tears") >= 2


def test_choices_can_be_picked_by_number_and_pages_turned(tmp_path: Path) -> None:
    out = marquee(tmp_path, "shell", stdin="/review solaris\n2\n/search drama\nnext\n")
    assert "could be several films" in out.stdout
    assert "Patience, rewarded" in out.stdout  # choice 2 is Tarkovsky's Solaris (1972)
    assert "Page 2 of" in out.stdout


def test_bad_input_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    out = marquee(
        tmp_path,
        "shell",
        "--role",
        "moderator",
        stdin="/frobnicate\n/review\n/review add Arrival rating=11 headline=h body=b\n"
        "/showtimes Perth when=someday\n",
    )
    assert out.returncode == 0
    assert "Traceback" not in out.stdout + out.stderr
    assert out.stdout.count("✖") == 4


@pytest.mark.parametrize("role", ["superuser"])
def test_unknown_role_is_refused(tmp_path: Path, role: str) -> None:
    out = marquee(tmp_path, "shell", "--role", role)
    assert out.returncode == 2 and "invalid choice" in out.stderr


def test_community_export_saves_the_zip_in_the_data_folder(tmp_path: Path) -> None:
    stdin = "/community export\n/community export\n"
    out = marquee(tmp_path, "shell", "--role", "admin", stdin=stdin)
    assert out.returncode == 0, out.stderr
    # MARQUEE_DATA_DIR unset: the data folder's default, ./data, under the working directory.
    exports = tmp_path / "data" / "exports"
    saved = sorted((p.name for p in exports.iterdir()), key=len)
    assert saved == ["community-1.zip", "community-1-2.zip"], saved
    for name in saved:
        assert f"Saved: {exports.resolve() / name}" in out.stdout
    with zipfile.ZipFile(exports / saved[0]) as archive:
        assert sorted(archive.namelist()) == ["community-1.ics", "community-1.json"]
        assert "review" in json.loads(archive.read("community-1.json"))
