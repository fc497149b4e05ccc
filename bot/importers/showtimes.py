"""Showtimes from an iCalendar feed or a CSV listing, matched to films, cinemas and events.

An import runs in two steps so that a long file never keeps other writers (`rate`, `review
add`, …) waiting on the database's write lock:

1. *Plan*, reading only: every row is parsed and checked on its own (film, cinema, time zone,
   time), then in batches against the rest of the file (a UID may appear once) and the
   database (an existing UID is an update or unchanged). Cinemas and events the file
   introduces are only planned. A bad row refuses the whole file here, before anything is
   written (unless the job skips invalid rows).
2. *Apply*, in one short transaction: create the planned cinemas and events, check that no
   screening the plan touches was changed meanwhile, and write the rows in bulk.

Every screening carries its source (bot/importers/origin.py); `remove_missing` cancels only
upcoming screenings of the same source (and of the given event) that the file no longer lists.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from bot.importers.errors import ImportProblem, RowProblem
from bot.importers.job import (
    PLANNED,
    WRITING,
    WRITTEN,
    ImportJob,
    check_rows,
    record_audit,
)
from bot.importers.origin import origin_of
from bot.importers.showtime_plan import CHANGED_MEANWHILE, Planner
from bot.importers.showtime_rows import ShowtimeInput, calendar_rows, csv_rows
from bot.importers.summary import ImportSummary
from storage import import_repo


def import_showtimes(
    job: ImportJob,
    path: Path,
    *,
    event: str | None = None,
    remove_missing: bool = False,
    source: str | None = None,
    name: str | None = None,
) -> ImportSummary:
    """Import one file; `event` puts every screening in that festival or season.

    `source` names the listing explicitly (else the calendar's name or the file's name does,
    see origin.py); `name` is the file's name as the person knows it (default: the path's).
    """
    origin = origin_of(path, name or path.name, source)
    summary = ImportSummary(
        "showtimes",
        str(path),
        source_key=origin.key,
        source_label=origin.label,
        event=event,
        ids_recorded=True,
    )
    problems = job.problem_log()
    if path.suffix.lower() in (".ics", ".ical", ".ifb", ".icalendar"):
        rows: Iterator[ShowtimeInput | RowProblem] = calendar_rows(path, job)
    else:
        rows = csv_rows(path, job)
    with job.session() as session:
        plan = Planner(session, job, summary, problems, event, origin)
        for item in rows:
            if isinstance(item, RowProblem):
                problems.add(item)
            else:
                plan.add(item)
        plan.flush()
        check_rows(job, summary, problems)  # a refused file never reaches the write step
        plan.find_missing(remove_missing)
    job.announce(PLANNED)
    try:
        with job.session() as session:
            import_repo.lock_for_writing(session)
            job.announce(WRITING)
            plan.apply(session)
            record_audit(job, session, summary, "showtime")
            job.announce(WRITTEN)
    except IntegrityError as exc:
        # Another import added one of these UIDs, or a film went, since the plan was made.
        raise ImportProblem(CHANGED_MEANWHILE.format(what="The catalogue", which="")) from exc
    return summary
