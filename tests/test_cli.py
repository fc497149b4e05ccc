"""The `marquee` executable itself, run as a user runs it: help without the heavy libraries,
one clear line (and the right status) for a closed pipe, an unreachable database and a
read-only one."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from adapters import cli
from bot.types import Role
from storage.db import READ_ONLY_MESSAGE

MARQUEE = Path(sys.executable).with_name("marquee")
# Libraries `--help` must not import: each costs from tens of milliseconds to a second.
HEAVY = {
    "discord",
    "slack_bolt",
    "slack_sdk",
    "aiohttp",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "rapidfuzz",
    "numpy",
    "icalendar",
    "rich",
    "anyascii",
    "dotenv",
}
HEAVY_OURS = {"bot.core", "bot.importers", "bot.handlers", "bot.recommend", "storage.db"}
UNREACHABLE = "postgresql+psycopg://marquee:hunter2@127.0.0.1:1/marquee"


def marquee(
    *args: str, env: dict[str, str] | None = None, stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MARQUEE), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


def subcommands() -> list[list[str]]:
    """Every subcommand path of the parser: ["run"], ["import", "showtimes"], …"""
    out: list[list[str]] = []

    def walk(parser: object, path: list[str]) -> None:
        for action in getattr(parser, "_actions", []):
            choices = getattr(action, "choices", None)
            if isinstance(choices, dict):
                for name, sub in choices.items():
                    out.append([*path, name])
                    walk(sub, [*path, name])

    walk(cli.parser(), [])
    return out


def imported_modules(stderr: str) -> set[str]:
    """Module names from `-X importtime` output (`import time: self | cumulative | name`)."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def heavy(modules: set[str]) -> list[str]:
    return sorted(
        m
        for m in modules
        if m.split(".")[0] in HEAVY or any(m == o or m.startswith(o + ".") for o in HEAVY_OURS)
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", [[], *subcommands()], ids=lambda p: " ".join(p) or "marquee")
def test_help_answers_without_importing_heavy_libraries(path: list[str]) -> None:
    result = marquee(*path, "--help", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("usage: marquee")
    modules = imported_modules(result.stderr)
    assert "adapters.cli" in modules  # the profile did record this run's imports
    assert heavy(modules) == []


@pytest.mark.slow
def test_building_the_parser_imports_nothing_heavy() -> None:
    code = "import sys, adapters.cli; adapters.cli.parser(); print('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert heavy(set(result.stdout.split())) == []


def test_the_role_names_are_the_cores() -> None:
    assert cli.ROLE_NAMES == tuple(r.name.lower() for r in Role)


def _closed_pipe(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run marquee with its standard output a pipe nobody reads (`| head` after head has
    exited): every write fails with EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [str(MARQUEE), *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
            timeout=120,
        )
    finally:
        os.close(write_end)
    return proc.returncode, proc.stderr


@pytest.fixture
def demo_db(tmp_path: Path) -> dict[str, str]:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "MARQUEE_DEMO": "1"}
    assert marquee("demo", env=env).returncode == 0
    return env


@pytest.mark.slow
def test_a_closed_pipe_is_one_line_and_status_141(demo_db: dict[str, str]) -> None:
    status, stderr = _closed_pipe("export", "showtimes", env=demo_db)
    assert status == cli.EXIT_BROKEN_PIPE
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    lines = [line for line in stderr.splitlines() if "marquee:" in line]
    assert lines == ["marquee: standard output was closed before everything was written"]


@pytest.mark.slow
def test_help_into_a_closed_pipe_ends_quietly(demo_db: dict[str, str]) -> None:
    # argparse drops a help text it can't write; what matters is that nothing else is said.
    status, stderr = _closed_pipe("--help", env=demo_db)
    assert status in (0, cli.EXIT_BROKEN_PIPE)
    assert "Traceback" not in stderr and "Exception ignored" not in stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [["migrate"], ["export", "showtimes"], ["shell"], ["import", "films", "x.csv"]],
    ids=" ".join,
)
def test_an_unreachable_database_is_one_line_and_status_1(args: list[str], tmp_path: Path) -> None:
    result = marquee(*args, env={"DATABASE_URL": UNREACHABLE}, cwd=tmp_path)
    assert result.returncode == cli.EXIT_FAILED
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith("marquee: can't use the database postgresql+psycopg://marquee:")
    assert "127.0.0.1:1" in lines[0] and "DATABASE_URL" in lines[0]
    assert "hunter2" not in result.stderr  # the password is never printed


@pytest.mark.slow
def test_a_url_that_is_not_one_is_one_line(tmp_path: Path) -> None:
    result = marquee("migrate", env={"DATABASE_URL": "not a url"}, cwd=tmp_path)
    assert result.returncode == cli.EXIT_FAILED
    assert result.stderr.strip().splitlines() == [
        line for line in result.stderr.strip().splitlines() if line.startswith("marquee:")
    ]
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_read_only_start_serves_reads_and_refuses_writes(demo_db: dict[str, str]) -> None:
    script = (
        "/review Second Victims\n"
        "/rate Second Victims 4\n"
        "/review add Second Victims rating=4 headline=Hi body=There\n"
    )
    env = {**demo_db, "MARQUEE_READ_ONLY": "1"}
    before = _rows(demo_db)
    result = marquee("shell", "--role", "moderator", env=env, stdin=script)
    assert result.returncode == 0, result.stderr
    assert "Where the blame lands" in result.stdout  # the demo review is read
    assert result.stdout.count(READ_ONLY_MESSAGE) == 2  # both writes refused
    said = [line for line in result.stderr.splitlines() if "read-only" in line]
    assert len(said) == 1 and "writes and alerts are off" in said[0]
    assert _rows(demo_db) == before


def _rows(env: dict[str, str]) -> tuple[int, int, int]:
    """(reviews, member ratings, audit entries) in the test database."""
    path = env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("review", "member_rating", "audit_entry")
        )


@pytest.mark.slow
def test_a_long_console_user_name_is_refused_by_the_command_line(tmp_path: Path) -> None:
    result = marquee(
        "shell",
        "--user",
        "x" * 65,
        env={"DATABASE_URL": f"sqlite:///{tmp_path / 'u.db'}"},
    )
    assert result.returncode == cli.EXIT_USAGE
    assert "a name of 1 to 64 characters" in result.stderr
