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
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from storage.limits import USER_ID_MAX

if TYPE_CHECKING:
    from adapters.platform import Platform
    from bot.alerts.observer import AlertObserver
    from bot.core import Marquee
    from bot.notify import Notifier
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
    core = Marquee(db, title_index_dir=settings.title_index_dir)
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


async def run_platforms(core: Marquee, settings: Settings) -> None:
    """Serve each configured platform, and deliver showtime alerts through their notifiers."""
    from adapters.ops.serve import serving_ops
    from adapters.platform import run_platform

    platforms: dict[str, Platform] = {}
    if settings.discord_enabled:
        from adapters.discord.client import MarqueeDiscord

        platforms["discord"] = MarqueeDiscord(core, settings)
    if settings.slack_enabled:
        from adapters.slack.app import SlackAdapter

        platforms["slack"] = SlackAdapter(core, settings)
    notifiers = {name: platform.notifier() for name, platform in platforms.items()}
    # Alerts write their outbox: a read-only database has none to deliver.
    alerts = bool(notifiers) and not core.db.read_only
    period = ALERT_INTERVAL if alerts else None
    # /healthz and /metrics (MARQUEE_HEALTH_PORT) for as long as the platforms run.
    async with serving_ops(core, settings, platforms, alert_period=period) as metrics:

        def alert_loop(stop: asyncio.Event) -> Awaitable[None]:
            return run_alerts(core, notifiers, observer=metrics, stop=stop)

        running = [run_platform(platform) for platform in platforms.values()]
        await serve_until_stopped(running, alert_loop if alerts else None)


# SIGTERM's budget (an orchestrator kills at 10 s): the alert loop may finish the batch it is
# posting, then the platforms close; each step is bounded, so a platform that hangs cannot
# hold the process past it.
DRAIN_TIMEOUT = 5.0
CANCEL_TIMEOUT = 1.0
CLOSE_TIMEOUT = 3.0


async def serve_until_stopped(
    platforms: Sequence[Awaitable[None]],
    alert_loop: Callable[[asyncio.Event], Awaitable[None]] | None,
) -> None:
    """Run the platforms and the alert loop until SIGTERM or SIGINT (or one of them fails),
    then shut down in order: the alert loop first, while the platforms' clients can still post
    the batch in flight, then the platforms. A failure is raised once everything is closed."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    running = [asyncio.ensure_future(p) for p in platforms]
    alerting = asyncio.ensure_future(alert_loop(stop)) if alert_loop else None
    everything = running + ([alerting] if alerting else [])
    stopping = asyncio.ensure_future(stop.wait())
    try:
        # A part that ends cleanly (a Discord client closed) leaves the others running, as
        # before; a part that fails, or a signal, shuts everything down.
        pending = {*everything, stopping}
        while not stop.is_set() and pending - {stopping}:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if any(not t.cancelled() and t.exception() is not None for t in done):
                break
        if stop.is_set():
            log.info("stopping: finishing the alerts in flight, then closing the platforms")
        stop.set()
        if alerting is not None:
            await _bounded(alerting, DRAIN_TIMEOUT, "the alert loop")
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=CLOSE_TIMEOUT)
        if any(not t.done() for t in running):
            log.warning("a platform did not close within %.0f s; exiting anyway", CLOSE_TIMEOUT)
    finally:
        # Cancelled from outside (tests, an embedding program): take everything down with us.
        stopping.cancel()
        for task in everything:
            task.cancel()
        for signum in signals:
            loop.remove_signal_handler(signum)
    for task in everything:
        failure = task.exception() if task.done() and not task.cancelled() else None
        if failure is not None:
            raise failure


async def _bounded(task: asyncio.Future[None], timeout: float, what: str) -> None:
    """Wait for `task` up to `timeout`, then cancel it and give it a moment to clean up."""
    await asyncio.wait([task], timeout=timeout)
    if not task.done():
        log.warning("%s did not stop within %.0f s; cancelling it", what, timeout)
        task.cancel()
        await asyncio.wait([task], timeout=CANCEL_TIMEOUT)


ALERT_INTERVAL = 15.0  # seconds between passes of the alert loop


async def run_alerts(
    core: Marquee,
    notifiers: dict[str, Notifier],
    *,
    interval: float = ALERT_INTERVAL,
    observer: AlertObserver | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """The alert loop: a scheduler tick, then delivery, every `interval` seconds. Every process
    may run it: outbox keys and leased claims keep alerts single across processes. `observer`
    (the metrics, when served) hears what each pass did; setting `stop` ends it gracefully."""
    from bot.alerts.delivery import AlertDelivery, run_forever
    from bot.alerts.observer import NO_OBSERVER
    from bot.alerts.scheduler import AlertScheduler

    observer = observer or NO_OBSERVER
    scheduler = AlertScheduler(core.db, core.clock, observer=observer)
    delivery = AlertDelivery(core.db, notifiers, core.clock, observer=observer)
    await run_forever(
        scheduler.tick,
        delivery,
        interval=interval,
        housekeeping=scheduler.prune,
        observer=observer,
        stop=stop,
    )


def start_console_alerts(core: Marquee) -> None:
    """Print due alerts in the console, from a background thread (ends with the process)."""
    import asyncio
    import threading

    from adapters.console.notifier import ConsoleNotifier

    notifiers: dict[str, Notifier] = {"console": ConsoleNotifier()}
    thread = threading.Thread(
        target=lambda: asyncio.run(run_alerts(core, notifiers, interval=5.0)),
        name="alerts",
        daemon=True,
    )
    thread.start()


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from adapters.ops.logs import configure_logging

    # A long-running bot logs in the operator's format (MARQUEE_LOG_FORMAT), secrets scrubbed.
    configure_logging(settings, verbose=args.verbose)
    core = build_core(settings)
    if not (settings.discord_enabled or settings.slack_enabled):
        log.info("no Discord or Slack credentials found: starting the console")
        return cmd_shell(args, settings, core)
    # SIGTERM and Ctrl-C shut down gracefully (serve_until_stopped); exit status 0 either way.
    try:
        asyncio.run(run_platforms(core, settings))
    except KeyboardInterrupt:
        pass
    return 0


def cmd_shell(args: argparse.Namespace, settings: Settings, core: Marquee | None = None) -> int:
    from adapters.console.shell import run_shell
    from bot.types import Role

    core = core or build_core(settings)
    # Alerts print between prompts when a person is typing; piped input stays deterministic.
    wants_alerts = args.alerts or (args.alerts is None and sys.stdin.isatty())
    if wants_alerts and not core.db.read_only:
        start_console_alerts(core)
    return run_shell(core, user=args.user, role=Role.parse(args.role))


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
