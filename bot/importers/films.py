"""Films from CSV, JSON (an array or one object per line) and IMDb's title.basics.tsv.

Rows are streamed and written in batches inside one transaction: new films, their titles and
genres go in with executemany; an existing film (same external id, or for rows without one the
same title and year) is compared and only rewritten, through `bot.catalogue`, if it changed.
"""

from __future__ import annotations

from pathlib import Path

from bot.importers.errors import RowProblem
from bot.importers.film_rows import film_rows
from bot.importers.film_writer import FilmWriter
from bot.importers.job import ImportJob, finish
from bot.importers.summary import ImportSummary


def import_films(job: ImportJob, path: Path) -> ImportSummary:
    summary = ImportSummary("films", str(path), ids_recorded=True)
    problems = job.problem_log()
    rows = film_rows(path, job, summary)
    with job.session() as session:
        writer = FilmWriter(session, job, summary, problems)
        for item in rows:
            if isinstance(item, tuple):  # first: an IMDb file is a million of these
                writer.add_imdb(item)
            elif isinstance(item, RowProblem):
                problems.add(item)
            else:
                writer.add(item)
        writer.flush()
        finish(job, session, summary, problems, "film")
    job.resolver.mark_stale()
    return summary
