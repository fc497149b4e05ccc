"""`marquee`: the composition root. Reads settings once, builds the database and the core,
and starts the adapters that are configured (the console when no platform is)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.core import Marquee
from bot.demo import is_empty, load_demo
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
    tasks = []
    if settings.discord_enabled:
        from adapters.discord.app import run_discord

        tasks.append(run_discord(core, settings))
    if settings.slack_enabled:
        from adapters.slack.app import run_slack

        tasks.append(run_slack(core, settings))
    await asyncio.gather(*tasks)


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
