"""`marquee`: the composition root. Reads settings once, builds the database and the core,
and starts the adapters that are configured (the console when no platform is)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import threading
from typing import Any

from bot.core import Marquee
from bot.demo import is_empty, load_demo
from bot.notify import Notifier
from bot.settings import Settings
from bot.types import Role
from storage.db import Database

log = logging.getLogger("marquee")


def build_core(settings: Settings, *, demo: bool | None = None) -> Marquee:
    """Migrate the database to head, load the demo data into an empty one, warm the index."""
    db = Database(settings.database_url)
    db.migrate()
    core = Marquee(db)
    if settings.load_demo if demo is None else demo:
        with db.session() as session:
            if is_empty(session):
                count = load_demo(session, core.clock())
                log.info("loaded the demo catalogue (%d films) into an empty database", count)
    core.warm_up()
    return core


async def run_platforms(core: Marquee, settings: Settings) -> None:
    """Serve each configured platform, and deliver showtime alerts through their notifiers."""
    notifiers: dict[str, Notifier] = {}
    tasks = []
    if settings.discord_enabled:
        from adapters.discord.client import MarqueeDiscord

        bot = MarqueeDiscord(core, settings)
        notifiers["discord"] = bot.notifier()
        tasks.append(_serve_discord(bot))
    if settings.slack_enabled:
        from adapters.slack.app import SlackAdapter

        adapter = SlackAdapter(core, settings)
        notifiers["slack"] = adapter.notifier()
        tasks.append(_serve_slack(adapter))
    if notifiers:
        tasks.append(run_alerts(core, notifiers))
    await asyncio.gather(*tasks)


async def _serve_discord(bot: Any) -> None:
    try:
        await bot.start()
        await bot.wait_ready()
        await bot.run_until_closed()
    finally:
        await bot.close()


async def _serve_slack(adapter: Any) -> None:
    await adapter.start()
    try:
        await asyncio.Event().wait()  # until the surrounding task is cancelled
    finally:
        await adapter.stop()


async def run_alerts(
    core: Marquee, notifiers: dict[str, Notifier], *, interval: float = 15.0
) -> None:
    """The alert loop: a scheduler tick, then delivery, every `interval` seconds. Every process
    may run it: outbox keys and leased claims keep alerts single across processes."""
    from bot.alerts.delivery import AlertDelivery, run_forever
    from bot.alerts.scheduler import AlertScheduler

    scheduler = AlertScheduler(core.db, core.clock)
    delivery = AlertDelivery(core.db, notifiers, core.clock)
    await run_forever(scheduler.tick, delivery, interval=interval, housekeeping=scheduler.prune)


def start_console_alerts(core: Marquee) -> None:
    """Print due alerts in the console, from a background thread (ends with the process)."""
    from adapters.console.notifier import ConsoleNotifier

    notifiers: dict[str, Notifier] = {"console": ConsoleNotifier()}
    thread = threading.Thread(
        target=lambda: asyncio.run(run_alerts(core, notifiers, interval=5.0)),
        name="alerts",
        daemon=True,
    )
    thread.start()


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    core = build_core(settings)
    if not (settings.discord_enabled or settings.slack_enabled):
        log.info("no Discord or Slack credentials found: starting the console")
        return cmd_shell(args, settings, core)
    try:
        asyncio.run(run_platforms(core, settings))
    except KeyboardInterrupt:
        pass
    return 0


def cmd_shell(args: argparse.Namespace, settings: Settings, core: Marquee | None = None) -> int:
    from adapters.console.shell import run_shell

    core = core or build_core(settings)
    # Alerts print between prompts when a person is typing; piped input stays deterministic.
    if args.alerts or (args.alerts is None and sys.stdin.isatty()):
        start_console_alerts(core)
    return run_shell(core, user=args.user, role=Role.parse(args.role))


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    Database(settings.database_url).migrate()
    print("database is at the newest schema")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    build_core(settings, demo=True)
    print("demo data present")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="marquee",
        description="Marquee: a film community's reviews, films and showtimes on Discord, "
        "Slack and the console. DATABASE_URL chooses the database (default data/marquee.db).",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def console_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--user", default="console-user", help="who is speaking (a display name)")
        sp.add_argument(
            "--role",
            default="member",
            choices=[r.name.lower() for r in Role],
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
    from adapters import cli_import

    cli_import.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not getattr(args, "func", None):
        parser().print_help()
        return 2
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Alembic's own INFO lines are noise at every start.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = Settings.from_env()
    return int(args.func(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())
