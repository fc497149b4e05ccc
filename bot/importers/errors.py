"""The one error type importers raise, and the log of bad rows that feeds it.

Every way a file can be wrong ends in `ImportProblem` with a message a person can act on:
the CLI and the chat command print it, and nothing else (no traceback) reaches them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.excerpt import EXCERPT_MAX as EXCERPT_MAX  # re-exported for the importers
from bot.excerpt import excerpt as excerpt

# The message names at most this many rows; a rejects file (--skip-invalid) gets them all.
LISTED_MAX = 50


class ImportProblem(Exception):
    """The file can't be imported as it is; nothing was written."""


@dataclass(frozen=True)
class RowProblem:
    line: int  # 1-based line (or item) where the bad row starts
    reason: str
    where: str = "line"  # "line" for text files, "item" for a JSON array, a file name for a folder

    def __str__(self) -> str:
        return f"{self.where} {self.line}: {self.reason}"


class InvalidRows(ImportProblem):
    """Some rows are bad: the message lists them (the first LISTED_MAX) by line and reason."""

    def __init__(self, source: str, problems: list[RowProblem], total: int) -> None:
        self.problems = problems
        self.total = total
        lines = "\n".join(f"  {p}" for p in problems)
        more = total - len(problems)
        tail = f"\n  … and {more} more" if more > 0 else ""
        super().__init__(
            f"{source}: {total} bad row{'s' if total != 1 else ''}; nothing was written.\n"
            f"{lines}{tail}\n"
            "Fix them, or use --skip-invalid to import the good rows and write the bad ones "
            "to a rejects file."
        )


class ProblemLog:
    """Collects bad rows: keeps the first LISTED_MAX, streams every one to `rejects` if given."""

    def __init__(self, rejects: Path | None = None) -> None:
        self.kept: list[RowProblem] = []
        self.count = 0
        self.rejects_path = rejects
        self._out: TextIO | None = None

    def add(self, problem: RowProblem) -> None:
        self.count += 1
        if len(self.kept) < LISTED_MAX:
            self.kept.append(problem)
        if self.rejects_path is not None:
            if self._out is None:
                self._out = self.rejects_path.open("w", encoding="utf-8")
            self._out.write(f"{problem}\n")

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def raise_if_any(self, source: str) -> None:
        if self.count:
            raise InvalidRows(source, self.kept, self.count)
