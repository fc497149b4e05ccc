"""Reading an import file safely: streaming, strict UTF-8, no binary junk, no giant lines.

Lines are read as bytes with a length cap (a file with one 2 GB line must not be read whole),
decoded one at a time, so a bad byte is reported with its line number.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

from bot.importers.errors import ImportProblem

MAX_LINE_BYTES = 64 * 1024
Progress = Callable[[int], None]  # called with the number of bytes read so far


def _no_progress(_done: int) -> None:
    return None


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise ImportProblem(f"{path}: can't read it ({exc.strerror or exc}).") from exc


def read_lines(path: Path, progress: Progress | None = None) -> Iterator[tuple[int, str]]:
    """(line number, text without the line ending) for each line; raises ImportProblem."""
    report = progress or _no_progress
    if path.is_dir():
        raise ImportProblem(f"{path} is a folder, not a file.")
    if file_size(path) == 0:
        raise ImportProblem(f"{path} is empty: there is nothing to import.")
    done = 0
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ImportProblem(f"{path}: can't open it ({exc.strerror or exc}).") from exc
    with handle:
        number = 0
        while True:
            raw = handle.readline(MAX_LINE_BYTES + 1)
            if not raw:
                break
            number += 1
            done += len(raw)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                raise ImportProblem(
                    f"{path}: line {number} is longer than {MAX_LINE_BYTES // 1024} KiB; "
                    "this doesn't look like a text file of the expected kind."
                )
            if number == 1 and raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise ImportProblem(f"{path} is UTF-16 text; save it as UTF-8 and try again.")
            if b"\0" in raw:
                raise ImportProblem(
                    f"{path}: line {number} contains NUL bytes; this looks like a binary file, "
                    "not text."
                )
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a UTF-8 byte-order mark, as spreadsheet programs write
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ImportProblem(
                    f"{path}: line {number} is not UTF-8 (byte {exc.start + 1} of the line). "
                    "Save the file as UTF-8 and try again."
                ) from exc
            if number % 4096 == 0:
                report(done)
            yield number, text.rstrip("\r\n")
    report(done)


def read_records(
    path: Path, *, delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL, progress: Progress | None
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and an iterator of (starting line, fields) for a CSV or TSV file."""
    lines = read_lines(path, progress)
    numbers: list[int] = [0]

    def texts() -> Iterator[str]:
        for number, text in lines:
            numbers[0] = number
            yield text

    reader = csv.reader(texts(), delimiter=delimiter, quoting=quoting, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportProblem(f"{path}: the header line can't be read ({exc}).") from exc
    if not header or not any(h.strip() for h in header):
        raise ImportProblem(f"{path} has no header line: there is nothing to import.")

    def records() -> Iterator[tuple[int, list[str]]]:
        start = numbers[0] + 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportProblem(f"{path}: line {numbers[0]} is not valid CSV ({exc}).") from exc
            yield start, fields
            start = numbers[0] + 1

    return [h.strip().lower() for h in header], records()
