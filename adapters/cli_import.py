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
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.importers import (
    ImportJob,
    ImportProblem,
    ImportSummary,
    calendar_for,
    import_films,
    import_reviews,
    import_showtimes,
)
from bot.importers.source import Progress
from bot.normalize import normalize
from bot.resolve import TitleResolver
from bot.settings import Settings
from bot.timefmt import zone
from bot.types import Actor, Role
from storage import repo
from storage.db import Database
from storage.models import Cinema, Showtime


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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
        if kind == "showtimes":
            p.add_argument(
                "--remove-missing",
                action="store_true",
                help="cancel upcoming screenings of earlier imports that the file no longer has",
            )
            p.add_argument("--event", help="put every screening in this festival or season")
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


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    db.migrate()
    path: Path = args.path
    name = args.user or getpass.getuser()
    job = ImportJob(
        db=db,
        resolver=TitleResolver(),
        actor=Actor("cli", f"cli:{name}"[:64], name[:80], Role.ADMIN),
        now=datetime.now(UTC),
        skip_invalid=args.skip_invalid,
        rejects=args.rejects or path.with_name(path.name + ".rejects.txt"),
    )
    try:
        with _progress_bar(path, enabled=not args.no_progress and sys.stderr.isatty()) as report:
            job.progress = report
            if args.kind == "showtimes":
                summary = import_showtimes(
                    job, path, event=args.event, remove_missing=args.remove_missing
                )
            elif args.kind == "films":
                summary = import_films(job, path)
            else:
                summary = import_reviews(job, path)
    except ImportProblem as exc:
        print(f"marquee import: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print_summary(summary)
    return 0


def print_summary(summary: ImportSummary, out: Callable[[str], None] = print) -> None:
    out(summary.line())
    for note in summary.notes:
        out(f"  {note}")
    if summary.missing_count:
        verb = "cancelled" if summary.removed else "no longer in the file"
        out(f"  {summary.missing_count} earlier screening(s) {verb}:")
        for item in summary.missing:
            out(f"    {item}")
        if summary.missing_count > len(summary.missing):
            out(f"    … and {summary.missing_count - len(summary.missing)} more")
        if not summary.removed:
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


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    db.migrate()
    try:
        with db.session() as session:
            query = select(Showtime).options(
                selectinload(Showtime.film),
                selectinload(Showtime.cinema),
                selectinload(Showtime.event),
            )
            try:
                start = _day(args.start) if args.start else datetime.now(UTC).date()
                end = _day(args.end) if args.end else None
            except ValueError as exc:
                print(f"marquee export: {exc}", file=sys.stderr)
                return 1
            query = query.where(
                Showtime.starts_at >= datetime.combine(start, time(0), UTC) - timedelta(hours=14)
            )
            if end is not None:
                query = query.where(
                    Showtime.starts_at < datetime.combine(end, time(0), UTC) + timedelta(hours=38)
                )
            if not args.include_cancelled:
                query = query.where(Showtime.cancelled.is_(False))
            if args.film:
                resolution = TitleResolver().resolve(session, args.film)
                if resolution.film_id is None:
                    print(f"marquee export: no single film matches “{args.film}”", file=sys.stderr)
                    return 1
                query = query.where(Showtime.film_id == resolution.film_id)
            if args.cinema:
                cinemas = [c.id for c in repo.cinemas_matching(session, normalize(args.cinema))]
                query = query.where(Showtime.cinema_id.in_(cinemas))
            if args.city:
                query = query.where(
                    Showtime.cinema_id.in_(
                        select(Cinema.id).where(Cinema.city_norm == normalize(args.city))
                    )
                )
            if args.event:
                events = [e.id for e in repo.events_matching(session, normalize(args.event))]
                query = query.where(Showtime.event_id.in_(events))
            showtimes = [
                s
                for s in session.scalars(query.order_by(Showtime.starts_at, Showtime.id))
                if _within(s, start, end)
            ]
            text = calendar_for(showtimes, name="Marquee screenings")
    finally:
        db.dispose()
    if args.output:
        args.output.write_text(text, encoding="utf-8", newline="")
        print(f"{len(showtimes)} screening(s) written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _day(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise ValueError(f"“{text}” is not a day like 2025-07-24") from None


def _within(s: Showtime, start: date, end: date | None) -> bool:
    """Days are the cinema's local days."""
    day = s.starts_at.astimezone(zone(s.cinema.timezone)).date()
    return day >= start and (end is None or day <= end)
