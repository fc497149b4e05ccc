"""`marquee backup PATH` and `marquee restore PATH`: the database to a file and back.

A backup is safe while the bot runs (it saves one consistent moment); a restore goes only into
an empty database and leaves it at the newest schema. The mechanics live in storage.backup.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

# storage.backup pulls in SQLAlchemy and Alembic: imported by the commands, not by `--help`.
if TYPE_CHECKING:
    from bot.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `backup` and `restore` subcommands to the `marquee` parser."""
    pg_help = "where PostgreSQL's pg_dump and pg_restore are (default: PATH, then pg_config)"
    b = sub.add_parser(
        "backup",
        help="save the database to a file (safe while Marquee runs)",
        description="Save the database named by DATABASE_URL to PATH, which must not exist: "
        "an SQLite file for SQLite, a pg_dump archive (custom format) for PostgreSQL.",
    )
    b.add_argument("path", type=Path, help="the backup file to write")
    b.add_argument("--pg-bindir", type=Path, default=None, help=pg_help)
    b.set_defaults(func=cmd_backup)
    r = sub.add_parser(
        "restore",
        help="load a backup into an empty database, then migrate it",
        description="Restore the backup at PATH into the database named by DATABASE_URL, "
        "which must be empty (no tables); afterwards its schema is the newest.",
    )
    r.add_argument("path", type=Path, help="a file written by `marquee backup`")
    r.add_argument("--pg-bindir", type=Path, default=None, help=pg_help)
    r.set_defaults(func=cmd_restore)


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.cli import CliError
    from storage.backup import BackupError, backup

    try:
        result = backup(settings.database_url, args.path, pg_bindir=args.pg_bindir)
    except BackupError as exc:
        raise CliError(str(exc)) from exc
    print(
        f"backed up to {result.path} ({result.kind}, {_size(result.size)}, "
        f"schema revision {result.revision or 'none'})"
    )
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.cli import CliError
    from storage.backup import BackupError, restore

    try:
        revision = restore(settings.database_url, args.path, pg_bindir=args.pg_bindir)
    except BackupError as exc:
        raise CliError(str(exc)) from exc
    print(f"restored {args.path} (taken at schema revision {revision}); the schema is now current")
    return 0


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB"):
        value /= 1024
        if value < 1024:
            return f"{value:.1f} {unit}"
    return f"{value / 1024:.1f} GB"
