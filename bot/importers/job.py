"""What every import needs from the caller, and the steps they all end with."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from bot import audit
from bot.importers.errors import ProblemLog
from bot.importers.source import Progress
from bot.importers.summary import ImportSummary
from bot.resolve import TitleResolver
from bot.types import Actor
from storage import communities
from storage.community_scope import SHARED_ONLY, Scope, scope_of, set_scope

BATCH = 5000  # rows per executemany; lookups by key stay under SQLite's 32,766 parameters

# Stages an import announces through `ImportJob.stage` (progress displays; tests hook in here).
PLANNED_BATCH = "planned batch"  # a batch of rows read and matched; nothing written yet
PLANNED = "planned"  # the whole file read and checked; the write transaction starts next
WRITING = "writing"  # the write transaction holds the database's write lock
WRITTEN = "written"  # every row written; the commit comes next


class UnitsOfWork(Protocol):
    """Where an import writes: a storage.db.Database (the CLI), or a chat command's own unit
    of work (bot/handlers/imports.py), so the command's rollback covers the import."""

    def session(self) -> AbstractContextManager[Session]: ...


@dataclass
class ImportJob:
    db: UnitsOfWork
    resolver: TitleResolver
    actor: Actor
    now: datetime
    # Import the good rows and write the bad ones to `rejects` instead of refusing the file.
    skip_invalid: bool = False
    rejects: Path | None = None
    progress: Progress | None = None
    stage: Callable[[str], None] | None = None
    # The community the rows are for, when the caller is not a chat command (whose unit of
    # work is scoped already): the CLI's `--community`. None: the operator's import for every
    # community (films, screenings); reviews need a community.
    community_id: int | None = None
    # True: the operator's import for every community (`--shared`): shared rows only.
    shared: bool = False

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work in the job's community; the CLI's imports run as an operator. With
        no community named, a database of one community means that one, else every one."""
        with self.db.session() as session:
            if scope_of(session) is None:
                community = self.community_id
                if community is None and not self.shared:
                    community = communities.only_community(session)
                set_scope(session, Scope(community or SHARED_ONLY, operator=True))
            yield session

    def problem_log(self) -> ProblemLog:
        return ProblemLog(self.rejects if self.skip_invalid else None)

    def announce(self, stage: str) -> None:
        if self.stage is not None:
            self.stage(stage)


def finish(
    job: ImportJob, session: Session, summary: ImportSummary, problems: ProblemLog, entity: str
) -> None:
    """Refuse the whole file if a row was bad (unless skipping), else write the audit entry.

    Raising here, inside the unit of work, rolls back every row already written.
    """
    check_rows(job, summary, problems)
    record_audit(job, session, summary, entity)


def check_rows(job: ImportJob, summary: ImportSummary, problems: ProblemLog) -> None:
    """Refuse the whole file if a row was bad, unless the job skips bad rows."""
    problems.close()
    summary.rejected = problems.count
    if not job.skip_invalid:
        problems.raise_if_any(summary.source)
    if problems.count and job.rejects is not None:
        summary.rejects_path = str(job.rejects)


def record_audit(job: ImportJob, session: Session, summary: ImportSummary, entity: str) -> None:
    """One audit entry for the whole import, naming what it created, changed and cancelled."""
    audit.record(
        session,
        job.actor,
        job.now,
        f"import {summary.kind}",
        entity,
        None,
        None,
        summary.audit(),
    )
