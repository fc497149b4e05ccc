"""`marquee`: the composition root. Reads settings once, builds the database and the core,
and starts the adapters that are configured (the console when no platform is).

Only the standard library, the settings and the command line's own modules are imported at
the top: `marquee --help` must answer at once, so the core, SQLAlchemy, discord.py, Slack's
libraries and the importers are imported by the commands that use them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from storage.limits import USER_ID_MAX

if TYPE_CHECKING:
    from bot.core import Marquee
    from bot.settings import Settings

log = logging.getLogger("marquee")

# bot.types.Role's names, lower-case (tests/test_cli.py checks they agree): importing bot.types
# builds every reply dataclass, a cost `--help` need not pay.
ROLE_NAMES = ("member", "moderator", "admin")

# Exit statuses: 1 a command failed (the line on stderr says why), 2 the command line was
# wrong (argparse's own), 130 interrupted (Ctrl-C), 141 the reader of our output went away
# (what a shell reports for SIGPIPE).
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141


class CliError(Exception):
    """A failure the user can act on: its message is printed as one line, exit status 1."""


def build_core(settings: Settings, *, demo: bool | None = None) -> Marquee:
    """Migrate the database to head, load the demo data into an empty one, warm the index.

    A database that can't be written is served read-only: no migration (its schema must be
    current already), no demo, and one line in the log saying so."""
    from bot.core import Marquee
    from storage.db import Database

    db = Database(settings.database_url, read_only=settings.read_only)
    db.migrate()
    core = Marquee(db, title_index_dir=settings.title_index_dir, operators=settings.operators)
    if db.read_only:
        log.warning(
            "the database is read-only (%s): serving reads; writes and alerts are off",
            db.read_only_reason,
        )
    elif settings.load_demo if demo is None else demo:
        from bot.demo import is_empty, load_demo

        with db.session() as session:
            if is_empty(session):
                count = load_demo(session, core.clock())
                log.info("loaded the demo catalogue (%d films) into an empty database", count)
    core.warm_up()
    return core


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:

    from adapters.ops.logs import configure_logging

    # A long-running bot logs in the operator's format (MARQUEE_LOG_FORMAT), secrets scrubbed.
    configure_logging(settings, verbose=args.verbose)
    core = build_core(settings)
    if not (settings.discord_enabled or settings.slack_enabled):
        log.info("no Discord or Slack credentials found: starting the console")
        return cmd_shell(args, settings, core)
    from adapters.serving import run_platforms

    # SIGTERM and Ctrl-C shut down gracefully (serve_until_stopped); exit status 0 either way.
    try:
        asyncio.run(run_platforms(core, settings))
    except KeyboardInterrupt:
        pass
    return 0


DEFAULT_CONSOLE_COMMUNITY = "local"


def _community_name(text: str) -> str:
    name = text.strip()
    if not name or len(name) > 64:
        raise argparse.ArgumentTypeError("a community name is 1 to 64 characters")
    return name


def cmd_shell(args: argparse.Namespace, settings: Settings, core: Marquee | None = None) -> int:
    from adapters.console.shell import run_shell
    from bot.types import Role

    core = core or build_core(settings)
    # Alerts print between prompts when a person is typing; piped input stays deterministic.
    wants_alerts = args.alerts or (args.alerts is None and sys.stdin.isatty())
    if wants_alerts and not core.db.read_only:
        from adapters.serving import start_console_alerts

        start_console_alerts(core)
    # Exports go beside the database, in the data folder the settings name (`.env` included).
    exports = (settings.state_dir or Path("data")) / "exports"
    return run_shell(
        core,
        user=args.user,
        role=Role.parse(args.role),
        community=args.community,
        exports_dir=exports,
    )


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import Database

    db = Database(settings.database_url, read_only=settings.read_only)
    try:
        db.migrate()
    finally:
        db.dispose()
    print("database is at the newest schema")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    core = build_core(settings, demo=True)
    if core.db.read_only:
        raise CliError(f"the database is read-only ({core.db.read_only_reason}): no demo loaded")
    print("demo data present")
    return 0


def _user_name(text: str) -> str:
    """--user: the console's user id is made from it, so it must fit a user id column."""
    name = " ".join(text.split())
    if not name or len(name) > USER_ID_MAX:
        raise argparse.ArgumentTypeError(f"a name of 1 to {USER_ID_MAX} characters, not {text!r}")
    return name


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="marquee",
        description="Marquee: a film community's reviews, films and showtimes on Discord, "
        "Slack and the console. DATABASE_URL chooses the database (default data/marquee.db); "
        "MARQUEE_READ_ONLY=1 opens it read-only (automatic when it can't be written).",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def console_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--user",
            default="console-user",
            type=_user_name,
            help="who is speaking (a display name)",
        )
        sp.add_argument(
            "--community",
            default=DEFAULT_CONSOLE_COMMUNITY,
            type=_community_name,
            help="which community the console speaks in (default "
            f"{DEFAULT_CONSOLE_COMMUNITY}: the one a fresh database's demo data is in)",
        )
        sp.add_argument(
            "--role",
            default="member",
            choices=ROLE_NAMES,
            help="their role (default member)",
        )
        sp.add_argument(
            "--alerts",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="print showtime alerts as they fall due (default: when typing interactively)",
        )

    run = sub.add_parser("run", help="start the configured platforms, or the console if none")
    console_options(run)
    run.set_defaults(func=cmd_run)
    shell = sub.add_parser("shell", help="the console: type or pipe commands, one per line")
    console_options(shell)
    shell.set_defaults(func=cmd_shell)
    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(
        func=cmd_migrate
    )
    sub.add_parser("demo", help="load the demo catalogue if the database is empty").set_defaults(
        func=cmd_demo
    )
    from adapters import cli_backup, cli_import

    cli_import.register(sub)
    cli_backup.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one `marquee` command. Failures a user can act on (an unreachable or read-only
    database, a closed pipe) end in one line on stderr and a non-zero status, not a traceback;
    `--verbose` adds the traceback to the log."""
    try:
        try:
            return _main(argv)
        finally:
            # Here, not at exit: a closed pipe shows up as BrokenPipeError below (also after
            # argparse's --help, which ends in SystemExit).
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader (`| head`) has what it wanted. Point stdout at /dev/null so the
        # interpreter's final flush doesn't raise a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        _say("standard output was closed before everything was written")
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED


def _main(argv: list[str] | None) -> int:
    args = parser().parse_args(argv)
    if not getattr(args, "func", None):
        parser().print_help()
        return EXIT_USAGE
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Alembic's own INFO lines are noise at every start.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from bot.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        _say(str(exc))
        return EXIT_FAILED
    try:
        return int(args.func(args, settings) or 0)
    except BrokenPipeError:
        raise
    except Exception as exc:  # noqa: BLE001 - classified below; anything else re-raised
        message = explain(exc, settings)
        if message is None:
            raise
        log.debug("details", exc_info=True)
        _say(message)
        return EXIT_FAILED


def explain(exc: BaseException, settings: Settings) -> str | None:
    """One line for a failure the user can act on, or None for a bug (shown as a traceback).

    SQLAlchemy is only imported here when it already is: a failure before any database work
    can't be a database failure."""
    if isinstance(exc, CliError):
        return str(exc)
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from storage.busy import BUSY_MESSAGE, is_busy
    from storage.db import ReadOnlyError, SchemaOutOfDate

    where = _database_label(settings.database_url)
    if isinstance(exc, ReadOnlyError):
        return f"{where} is read-only: nothing was changed"
    if isinstance(exc, SchemaOutOfDate):
        return f"{where}: {exc}"
    if isinstance(exc, ArgumentError):
        return f"DATABASE_URL is not a database URL ({exc})"
    if isinstance(exc, DBAPIError):
        if is_busy(exc):
            return f"{where}: {BUSY_MESSAGE}"
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        return f"can't use {where}: {reason}. Check DATABASE_URL and that the server is running."
    if isinstance(exc, FileNotFoundError) and "database" in str(exc):
        return str(exc)
    return None


def _database_label(url: str) -> str:
    """The database as a person would name it, without its password."""
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - an unparsable URL is named as given
        return "the database"
    if parsed.get_backend_name() == "sqlite":
        return f"the database {parsed.database or ':memory:'}"
    return f"the database {parsed.render_as_string(hide_password=True)}"


def _say(message: str) -> None:
    try:
        print(f"marquee: {message}", file=sys.stderr)
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass  # nowhere left to say it


if __name__ == "__main__":
    sys.exit(main())
