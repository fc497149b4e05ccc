"""`marquee import …` and `marquee export showtimes`: bulk data in and out from the shell.

Imports run as the operator (an admin actor named by --user), show a progress bar on stderr
while they read, and end with one summary line; a refused file prints every bad row and exits
with status 1, having written nothing.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

# The importers, SQLAlchemy and the title index are imported by the commands that use them:
# `marquee --help` builds this parser and must not pay for them.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.importers.source import Progress
    from bot.importers.summary import ImportSummary
    from bot.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `import` and `export` subcommands to the `marquee` parser."""
    imp = sub.add_parser("import", help="import showtimes, films or reviews from files")
    kinds = imp.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, help_text in (
        ("showtimes", "an iCalendar feed (.ics) or a CSV listing"),
        ("films", "CSV, JSON / JSON Lines, or IMDb's title.basics.tsv"),
        ("reviews", "a folder of Markdown reviews with a front-matter header"),
    ):
        p = kinds.add_parser(kind, help=help_text)
        p.add_argument("path", type=Path, help="the file (or, for reviews, the folder)")
        p.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the good rows and write the bad ones to a rejects file",
        )
        p.add_argument("--rejects", type=Path, help="where bad rows go (default PATH.rejects.txt)")
        p.add_argument("--user", default=None, help="who is importing, for the audit log")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
        p.add_argument(
            "--community",
            type=int,
            help="the community the rows are for, by number (`community` in chat shows it); "
            "default: the database's only community, if it has one",
        )
        if kind != "reviews":
            p.add_argument(
                "--shared",
                action="store_true",
                help="for every community: the shared catalogue, or listings all of them see",
            )
        if kind == "showtimes":
            p.add_argument(
                "--remove-missing",
                action="store_true",
                help="cancel upcoming screenings of earlier imports that the file no longer has",
            )
            p.add_argument("--event", help="put every screening in this festival or season")
            p.add_argument(
                "--source",
                help="name this listing (default: the calendar's name, else the file's name); "
                "--remove-missing only cancels screenings of the same source",
            )
        p.set_defaults(func=cmd_import)

    exp = sub.add_parser("export", help="export screenings as an iCalendar feed")
    what = exp.add_subparsers(dest="kind", metavar="KIND", required=True)
    shows = what.add_parser("showtimes", help="screenings as .ics (standard output or --output)")
    shows.add_argument("--film", help="a film title")
    shows.add_argument("--cinema", help="a cinema name")
    shows.add_argument("--city", help="a city")
    shows.add_argument("--event", help="a festival or season")
    shows.add_argument("--from", dest="start", help="first day, 2025-07-24 (default today)")
    shows.add_argument("--to", dest="end", help="last day, 2025-08-13 (default: no end)")
    shows.add_argument("--include-cancelled", action="store_true")
    shows.add_argument("-o", "--output", type=Path, help="write here instead of standard output")
    shows.set_defaults(func=cmd_export)
    whole = what.add_parser(
        "community", help="everything a community owns: NUMBER.json and NUMBER.ics in a folder"
    )
    whole.add_argument("number", type=int, help="the community's number (`community` shows it)")
    whole.add_argument("-o", "--output", type=Path, required=True, help="the folder to write")
    whole.set_defaults(func=cmd_export_community)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.exc import OperationalError

    from bot.importers.errors import ImportProblem
    from bot.importers.films import import_films
    from bot.importers.job import ImportJob
    from bot.importers.reviews import import_reviews
    from bot.importers.showtimes import import_showtimes
    from bot.resolve import TitleResolver
    from bot.types import Actor, Role
    from storage.busy import BUSY_MESSAGE, is_busy
    from storage.db import Database

    db = Database(settings.database_url, read_only=settings.read_only)
    db.migrate()
    path: Path = args.path
    name = args.user or getpass.getuser()
    with db.session() as session:
        shared = bool(getattr(args, "shared", False))
        community, problem = import_community(session, args.community, args.kind, shared)
    if problem:
        print(f"marquee import: {problem}", file=sys.stderr)
        db.dispose()
        return 1
    job = ImportJob(
        db=db,
        resolver=TitleResolver(),
        actor=Actor("cli", f"cli:{name}"[:64], name[:80], Role.ADMIN),
        now=datetime.now(UTC),
        skip_invalid=args.skip_invalid,
        rejects=args.rejects or path.with_name(path.name + ".rejects.txt"),
        community_id=community,
        shared=shared,
    )
    try:
        with _progress_bar(path, enabled=not args.no_progress and sys.stderr.isatty()) as report:
            job.progress = report
            if args.kind == "showtimes":
                summary = import_showtimes(
                    job,
                    path,
                    event=args.event,
                    remove_missing=args.remove_missing,
                    source=args.source,
                )
            elif args.kind == "films":
                summary = import_films(job, path)
            else:
                summary = import_reviews(job, path)
    except ImportProblem as exc:
        print(f"marquee import: {exc}", file=sys.stderr)
        return 1
    except OperationalError as exc:
        if not is_busy(exc):
            raise
        print(f"marquee import: {BUSY_MESSAGE}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print_summary(summary)
    return 0


def import_community(
    session: Session, number: int | None, kind: str, shared: bool
) -> tuple[int | None, str | None]:
    """The community the import is for (None with `--shared`: every one), and what is wrong
    when the command line does not say which."""
    from storage import communities

    if number is not None:
        if shared:
            return None, "--community and --shared contradict each other."
        if communities.get_community(session, number) is None:
            return None, f"there is no community {number}."
        return number, None
    if shared:
        return None, None
    only = communities.only_community(session)
    if only is None:
        also = "" if kind == "reviews" else ", or --shared for all of them"
        return None, f"the database has several communities: name one with --community N{also}."
    return only, None


def print_summary(summary: ImportSummary, out: Callable[[str], None] = print) -> None:
    out(summary.line())
    for note in summary.notes:
        out(f"  {note}")
    if summary.missing_count:
        verb = "cancelled" if summary.removed else "no longer in the file"
        out(f"  {summary.missing_count} earlier screening(s) from {summary.source_label} {verb}:")
        for item in summary.missing:
            out(f"    {item}")
        if summary.missing_count > len(summary.missing):
            out(f"    … and {summary.missing_count - len(summary.missing)} more")
        if summary.kept_missing_because:
            out(f"  Not cancelled: {summary.kept_missing_because}.")
        elif not summary.removed:
            out("  Re-run with --remove-missing to cancel them.")
    if summary.rejects_path:
        out(f"  bad rows written to {summary.rejects_path}")


@contextmanager
def _progress_bar(path: Path, *, enabled: bool) -> Iterator[Progress | None]:
    if not enabled or not path.is_file():
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(f"reading {path.name}", total=path.stat().st_size)
        yield lambda done: bar.update(task, completed=done)


def cmd_export_community(args: argparse.Namespace, settings: Settings) -> int:
    from bot.community_export import community_files
    from storage import communities
    from storage.db import Database

    db = Database(settings.database_url, read_only=settings.read_only)
    db.migrate()
    try:
        with db.session() as session:
            if communities.get_community(session, args.number) is None:
                print(f"marquee export: there is no community {args.number}.", file=sys.stderr)
                return 1
            files = community_files(session, args.number)
    finally:
        db.dispose()
    folder: Path = args.output
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{args.number}.json").write_text(files.json_text, encoding="utf-8")
    (folder / f"{args.number}.ics").write_text(files.calendar, encoding="utf-8")
    rows = ", ".join(f"{n} {table}" for table, n in files.counts.items())
    print(f"community {args.number}: {rows or 'nothing'} → {folder}")
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Screenings as .ics, found by the same code as the chat `export` (days are each
    cinema's local days); a name that matches nothing is an error, not an empty calendar."""
    from bot.context import UserError
    from bot.handlers.export import export_scope, screenings_to_export
    from bot.importers.export import calendar_for
    from bot.resolve import TitleResolver
    from bot.when import LocalDays
    from storage.db import Database

    db = Database(settings.database_url, read_only=settings.read_only)
    db.migrate()
    try:
        with db.session() as session:
            try:
                first = _day(args.start) if args.start else None
                last = _day(args.end) if args.end else None
                if first and last and last < first:
                    raise ValueError(f"--to {args.end} is before --from {args.start}")
                film_ids = None
                if args.film is not None:
                    resolution = TitleResolver().resolve(session, args.film)
                    if resolution.film_id is None:
                        raise ValueError(f"no single film matches “{args.film}”")
                    film_ids = [resolution.film_id]
                scope = export_scope(
                    session, film_ids=film_ids, cinema=args.cinema, city=args.city, event=args.event
                )
                showtimes, _ = screenings_to_export(
                    session,
                    LocalDays(now=_utc_now(), first=first, last=last),
                    scope,
                    include_cancelled=args.include_cancelled,
                )
            except (ValueError, UserError) as exc:
                print(f"marquee export: {exc}", file=sys.stderr)
                return 1
            text = calendar_for(showtimes, name="Marquee screenings")
    finally:
        db.dispose()
    if args.output:
        args.output.write_text(text, encoding="utf-8", newline="")
        print(f"{len(showtimes)} screening(s) written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _utc_now() -> datetime:
    """The export's "now" (what has started is not exported); tests replace it."""
    return datetime.now(UTC)


def _day(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise ValueError(f"“{text}” is not a day like 2025-07-24") from None
