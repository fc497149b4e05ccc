"""Bulk import and export: showtimes (iCalendar, CSV), films (CSV, JSON, IMDb TSV), reviews
(Markdown with front matter), and screenings out as iCalendar.

Every importer streams its file, writes in batches inside one unit of work and raises
`ImportProblem` (with every bad row by line and reason) for anything wrong with the file.
"""

from bot.importers.errors import ImportProblem, InvalidRows, RowProblem
from bot.importers.export import calendar_for
from bot.importers.films import import_films
from bot.importers.job import ImportJob
from bot.importers.reviews import import_reviews
from bot.importers.showtimes import import_showtimes
from bot.importers.summary import ImportSummary

__all__ = [
    "ImportJob",
    "ImportProblem",
    "ImportSummary",
    "InvalidRows",
    "RowProblem",
    "calendar_for",
    "import_films",
    "import_reviews",
    "import_showtimes",
]
