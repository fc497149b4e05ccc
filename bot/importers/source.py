"""Reading an import file safely: streaming, strict UTF-8, no binary junk, no giant lines.

Lines are read as bytes with a length cap (a file with one 2 GB line must not be read whole),
decoded one at a time, so a bad byte is reported with its line number. The file is opened
once and checked with fstat before a byte is read: a folder, a FIFO or a device is refused,
and so is a file over the caller's size limit; the limit is enforced again while reading, in
case the file grows. A CSV record (which may span lines inside quotes) is capped too.
"""

from __future__ import annotations

import csv
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from bot.importers.errors import ImportProblem

MAX_LINE_BYTES = 64 * 1024
MAX_RECORD_CHARS = 100 * 1024  # one CSV record, however many lines its quoted fields span
Progress = Callable[[int], None]  # called with the number of bytes read so far


def _no_progress(_done: int) -> None:
    return None


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise ImportProblem(f"{path}: can't read it ({exc.strerror or exc}).") from exc


class TooLarge(ImportProblem):
    """The file is over the size its reader allows (`max_bytes`)."""

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message)
        self.size = size


def open_checked(
    path: Path, *, max_bytes: int | None = None, inside: Path | None = None
) -> BinaryIO:
    """The file opened for reading, after fstat says it is a regular, non-empty file within
    `max_bytes`. With `inside`, the file must really be in that folder: a symbolic link out
    of it is refused, and the resolved path is opened without following links again."""
    target = path
    if inside is not None:
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(os.path.realpath(inside)):
            raise ImportProblem(
                f"{path}: it is a link to a file outside the folder; Marquee doesn't follow it."
            )
        target = real
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)  # a FIFO must not block the open
    if inside is not None:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags)
    except IsADirectoryError:
        raise ImportProblem(f"{path} is a folder, not a file.") from None
    except OSError as exc:
        raise ImportProblem(f"{path}: can't open it ({exc.strerror or exc}).") from exc
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ImportProblem(f"{path} is a folder, not a file.")
        if not stat.S_ISREG(info.st_mode):
            raise ImportProblem(f"{path} is not a regular file (a device, pipe or socket).")
        if info.st_size == 0:
            raise ImportProblem(f"{path} is empty: there is nothing to import.")
        if max_bytes is not None and info.st_size > max_bytes:
            raise TooLarge(
                f"{path} is {_kib(info.st_size)}; at most {_kib(max_bytes)} can be imported.",
                info.st_size,
            )
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _kib(size: int) -> str:
    return f"{size / 1024:,.0f} KiB" if size < 10 * 2**20 else f"{size / 2**20:,.0f} MiB"


def read_lines(
    path: Path,
    progress: Progress | None = None,
    *,
    max_bytes: int | None = None,
    inside: Path | None = None,
) -> Iterator[tuple[int, str]]:
    """(line number, text without the line ending) for each line; raises ImportProblem.

    `max_bytes` and `inside` are checked before reading (see `open_checked`)."""
    report = progress or _no_progress
    done = 0
    handle = open_checked(path, max_bytes=max_bytes, inside=inside)
    with handle:
        number = 0
        while True:
            raw = handle.readline(MAX_LINE_BYTES + 1)
            if not raw:
                break
            number += 1
            done += len(raw)
            if max_bytes is not None and done > max_bytes:
                raise TooLarge(f"{path} grew past {_kib(max_bytes)} while it was read.", done)
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
    path: Path,
    *,
    delimiter: str = ",",
    quoting: Literal[0, 1, 2, 3] = csv.QUOTE_MINIMAL,
    progress: Progress | None,
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and an iterator of (starting line, fields) for a CSV or TSV file."""
    lines = read_lines(path, progress)
    numbers: list[int] = [0, 1, 1]  # last line read, first line of this record, last seen

    def texts() -> Iterator[str]:
        # csv asks for the next line while a quoted field is open; `numbers[1]` is where the
        # current record started, so one that runs on past MAX_RECORD_CHARS is stopped here.
        size = 0
        for number, text in lines:
            if numbers[1] != numbers[2]:
                numbers[2], size = numbers[1], 0
            numbers[0] = number
            size += len(text) + 1
            if size > MAX_RECORD_CHARS:
                raise ImportProblem(
                    f"{path}: the record starting at line {numbers[1]} runs over "
                    f"{MAX_RECORD_CHARS // 1024} KiB (an unclosed quote?)."
                )
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
            numbers[1] = start
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportProblem(f"{path}: line {numbers[0]} is not valid CSV ({exc}).") from exc
            yield start, fields
            start = numbers[0] + 1

    return [h.strip().lower() for h in header], records()
