"""`import showtimes`: a moderator imports an attached .ics or CSV listing from chat.

The adapter hands over the file's text; the handler writes it to a temporary file and runs
the same importer as `marquee import showtimes`, inside the command's own unit of work, so a
refused file (or any failure) rolls back every row with the rest of the command. The importer
reads and checks the whole file before its first write, so the database's write lock is held
only for the short write at the end (adapters run the core off their event loop).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy.orm import Session

from bot.context import Context, UserError
from bot.importers.errors import ImportProblem
from bot.importers.job import ImportJob
from bot.importers.showtimes import import_showtimes
from bot.importers.summary import ImportSummary
from bot.types import ArgValue, AttachedFile, Imported, Notice, Reply, Text

MESSAGE_MAX = 1800  # characters of a reply; Discord allows 2,000 in a message
CALENDAR_SUFFIXES = (".ics", ".ical", ".ifb", ".icalendar")
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_CLI_HINT = "Fix them, or use --skip-invalid"


class _CommandUnitOfWork:
    """The command's open session, offered to the importer as its unit of work: the core
    commits it when the handler returns and rolls it back when the handler raises."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @contextmanager
    def session(self) -> Iterator[Session]:
        yield self._session


def import_showtimes_file(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    attached = args["file"]
    if not isinstance(attached, AttachedFile):  # coerce_args guarantees it; keeps types honest
        raise UserError("Attach the file to import.")
    name = file_name(attached)
    event = args.get("event")
    source = args.get("source")
    job = ImportJob(
        db=_CommandUnitOfWork(ctx.session),
        resolver=ctx.resolver,
        actor=ctx.actor,
        now=ctx.now,
    )
    with TemporaryDirectory(prefix="marquee-import-") as folder:
        path = Path(folder) / name
        path.write_text(attached.text, encoding="utf-8", newline="")
        try:
            summary = import_showtimes(
                job,
                path,
                event=str(event) if event else None,
                remove_missing=bool(args.get("remove_missing")),
                source=str(source) if source else None,
                # The source is the name the moderator's file has, so attaching the updated
                # programme under the same name replaces the earlier one.
                name=attached.name,
            )
        except ImportProblem as exc:
            raise UserError(_refusal(str(exc).replace(str(path), name))) from None
    summary.source = name
    return _summary_reply(summary)


def file_name(attached: AttachedFile) -> str:
    """A safe local name that keeps the suffix the importer reads the format from; a calendar
    sent without a calendar suffix is still read as one."""
    name = _UNSAFE.sub("_", Path(attached.name).name).strip(" .")[:100] or "attachment"
    looks_like_calendar = attached.text.lstrip("\ufeff \r\n").upper().startswith("BEGIN:VCALENDAR")
    if looks_like_calendar and not name.lower().endswith(CALENDAR_SUFFIXES):
        name += ".ics"
    return name


def _refusal(message: str) -> str:
    cut = message.find(_CLI_HINT)
    if cut >= 0:
        # The CLI's --skip-invalid is not offered in chat: the file is refused whole.
        message = message[:cut] + "Fix them and attach the file again."
    return _fit(message)


def _summary_reply(summary: ImportSummary) -> Reply:
    lines = list(summary.notes)
    if summary.missing_count:
        verb = "cancelled" if summary.removed else "no longer in the file"
        lines.append(
            f"{summary.missing_count} earlier screening(s) from {summary.source_label} {verb}:"
        )
        lines += [f"  {item}" for item in summary.missing]
        if summary.missing_count > len(summary.missing):
            lines.append(f"  … and {summary.missing_count - len(summary.missing)} more")
        if summary.kept_missing_because:
            lines.append(f"Not cancelled: {summary.kept_missing_because}.")
        elif not summary.removed:
            lines.append("Import again with remove_missing=yes to cancel them.")
    head = Notice(summary.line())
    # The counts, for whoever measures imports (the metrics endpoint); never rendered.
    rows = {
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "rejected": summary.rejected,
        "removed": summary.removed,
    }
    blocks = (head, Text(_fit("\n".join(lines)))) if lines else (head,)
    return Reply(blocks=blocks, imported=Imported(summary.kind, rows))


def _fit(text: str) -> str:
    """At most MESSAGE_MAX characters, cut at a line end, saying that more was left out."""
    if len(text) <= MESSAGE_MAX:
        return text
    kept = text[:MESSAGE_MAX].rpartition("\n")[0] or text[:MESSAGE_MAX]
    return kept + "\n… (more left out; `marquee import showtimes FILE` on the server lists all)"
