"""Bulk import and export: showtimes (iCalendar, CSV), films (CSV, JSON, IMDb TSV), reviews
(Markdown with front matter), and screenings out as iCalendar.

Every importer streams its file, writes in batches inside one unit of work and raises
`ImportProblem` (with every bad row by line and reason) for anything wrong with the file.
Import from the modules themselves (`bot.importers.films`, ...): this package file stays empty
so that importing one importer never imports the others.
"""
