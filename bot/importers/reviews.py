"""Reviews from Markdown files with a small front-matter header, one review per file.

    ---
    film: Solaris
    year: 1972
    author: Ingrid
    rating: 4.5
    date: 2025-07-26
    spoiler: no
    ---
    # The headline (or a `headline:` line in the header)

    The review's text.

A folder imports as one unit: one bad file and nothing is written. A critic's review of a film
is recognised again by film and author, so re-importing the folder updates it.

Only what is really in the folder is read: a symbolic link to a file outside it is refused,
as are pipes and devices, and a file's size is checked before it is read. Messages quote a
line that can't be read only as a short, escaped excerpt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy.orm import Session

from bot.cards import film_label
from bot.importers.errors import ImportProblem, RowProblem, excerpt
from bot.importers.job import ImportJob, finish
from bot.importers.source import TooLarge, read_lines
from bot.importers.summary import ImportSummary
from bot.normalize import normalize
from bot.registry import BODY_MAX, HEADLINE_MAX
from storage import film_queries, review_queries
from storage.community_scope import community_of
from storage.models_catalogue import Review

PLATFORM = "import"  # reviews from files belong to no chat platform
HEADER_KEYS = ("film", "title", "year", "author", "rating", "date", "spoiler", "headline")
MAX_FILES = 10_000
MAX_FILE_BYTES = BODY_MAX * 16  # four times the longest text, four bytes a character
HEADER_LINE_MAX = 1000  # characters in one front-matter line


class ReviewError(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line


@dataclass(frozen=True)
class ReviewFile:
    path: Path
    film: str
    author: str
    rating_halves: int
    published_at: datetime
    spoiler: bool
    headline: str
    body: str


def import_reviews(job: ImportJob, path: Path) -> ImportSummary:
    summary = ImportSummary("reviews", str(path), ids_recorded=True)
    files = _markdown_files(path)
    folder = path if path.is_dir() else None
    problems = job.problem_log()
    with job.session() as session:
        if community_of(session) is None:
            raise ImportProblem(
                "Reviews belong to a community: name it with --community (its number, "
                "shown by `community` in chat)."
            )
        for file in files:
            where = f"{file.name} line" if folder is not None else "line"
            try:
                review = parse_review(file, job.now, inside=folder)
                reason = _write(session, job, summary, review)
            except ReviewError as exc:
                problems.add(RowProblem(exc.line, str(exc), where))
                continue
            except ImportProblem as exc:
                problems.add(RowProblem(1, str(exc).replace(f"{file}: ", ""), where))
                continue
            if reason:
                problems.add(RowProblem(1, reason, where))
        finish(job, session, summary, problems, "review")
    return summary


def _markdown_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ImportProblem(f"{path}: no such file or folder.")
    files: list[Path] = []
    with os.scandir(path) as entries:  # counted as listed: a huge folder is not listed whole
        for entry in entries:
            if Path(entry.name).suffix.lower() in (".md", ".markdown"):
                files.append(path / entry.name)
                if len(files) > MAX_FILES:
                    raise ImportProblem(f"{path} has over {MAX_FILES} files; import it in parts.")
    if not files:
        raise ImportProblem(f"{path} has no Markdown (.md) files: there is nothing to import.")
    return sorted(files)


def parse_review(path: Path, now: datetime, *, inside: Path | None = None) -> ReviewFile:
    """One review file; `inside` is the folder it must really be in (links out are refused)."""
    try:
        lines = list(read_lines(path, max_bytes=MAX_FILE_BYTES, inside=inside))
    except TooLarge:
        raise ReviewError(1, "the file is far longer than a review can be") from None
    if sum(len(t) for _, t in lines) > BODY_MAX * 4:
        raise ReviewError(1, "the file is far longer than a review can be")
    if not lines or lines[0][1].strip() != "---":
        raise ReviewError(1, "the file must start with a front-matter header between --- lines")
    header: dict[str, tuple[int, str]] = {}
    end = None
    for index, (number, text) in enumerate(lines[1:], start=1):
        if text.strip() == "---":
            end = index
            break
        if len(text) > HEADER_LINE_MAX:
            raise ReviewError(number, f"header line longer than {HEADER_LINE_MAX} characters")
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        key, sep, value = text.partition(":")
        key = key.strip().lower()
        if not sep or key not in HEADER_KEYS:
            raise ReviewError(
                number, f"“{excerpt(text, 40)}” is not a header line ({', '.join(HEADER_KEYS)})"
            )
        header[key] = (number, _unquote(value.strip()))
    if end is None:
        raise ReviewError(1, "the front-matter header has no closing --- line")
    body_lines = [t for _, t in lines[end + 1 :]]
    headline = header.get("headline", (0, ""))[1]
    while body_lines and not body_lines[0].strip():
        body_lines.pop(0)
    if not headline and body_lines and body_lines[0].startswith("# "):
        headline = body_lines.pop(0)[2:].strip()
    body = "\n".join(body_lines).strip()
    body_line = lines[end][0] + 1
    if not headline:
        raise ReviewError(body_line, "missing headline (a `headline:` line or a `# ` heading)")
    if len(headline) > HEADLINE_MAX:
        raise ReviewError(body_line, f"headline longer than {HEADLINE_MAX} characters")
    if not body:
        raise ReviewError(body_line, "the review has no text")
    if len(body) > BODY_MAX:
        raise ReviewError(body_line, f"review text longer than {BODY_MAX} characters")
    film_line, film = header.get("film") or header.get("title") or (1, "")
    if not normalize(film):
        raise ReviewError(film_line, "missing title (a `film:` line)")
    if "year" in header:
        year_line, year = header["year"]
        if not year.isdecimal() or not 1870 <= int(year) <= 2100:
            raise ReviewError(year_line, f"year “{excerpt(year, 20)}” is not a year")
        film = f"{film} ({year})"
    author_line, author = header.get("author", (1, ""))
    if not author.strip() or len(author) > 80:
        raise ReviewError(author_line, "missing author (a name of at most 80 characters)")
    return ReviewFile(
        path=path,
        film=film,
        author=" ".join(author.split()),
        rating_halves=_rating(*header.get("rating", (1, ""))),
        published_at=_published(*header.get("date", (0, "")), now=now),
        spoiler=_spoiler(*header.get("spoiler", (0, "no"))),
        headline=headline,
        body=body,
    )


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _rating(line: int, text: str) -> int:
    value = text.removesuffix("/5").strip()
    try:
        stars = float(value)
    except ValueError:
        raise ReviewError(
            line, f"rating “{excerpt(text, 20)}” is not a number of stars (0.5 to 5)"
        ) from None
    if not 0.5 <= stars <= 5 or stars * 2 != int(stars * 2):
        raise ReviewError(line, f"rating {excerpt(text, 20)} is not 0.5 to 5 in half stars")
    return int(stars * 2)


def _published(line: int, text: str, *, now: datetime) -> datetime:
    if not text:
        return now
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ReviewError(
            line, f"unparsable date “{excerpt(text, 30)}” (write 2025-07-26)"
        ) from None
    published = datetime.combine(day, time(12, 0), tzinfo=UTC)
    if published > now:
        raise ReviewError(line, f"the date {excerpt(text, 30)} is in the future")
    return published


def _spoiler(line: int, text: str) -> bool:
    value = text.strip().lower()
    if value in ("yes", "true", "y", "1"):
        return True
    if value in ("no", "false", "n", "0", ""):
        return False
    raise ReviewError(line, f"spoiler “{excerpt(text, 20)}” should be yes or no")


def _write(session: Session, job: ImportJob, summary: ImportSummary, r: ReviewFile) -> str | None:
    res = job.resolver.resolve(session, r.film)
    if res.film_id is None:
        ids = res.choices or res.suggestions
        films = film_queries.get_films(session, ids)
        names = "; ".join(f"{film_label(films[f])} = #{f}" for f in ids if f in films)
        if res.choices:
            return f"film “{excerpt(r.film)}” can't be matched: it could be {names}"
        return f"film “{excerpt(r.film)}” can't be matched" + (
            f"; nearest: {names}" if names else ""
        )
    user_id = f"file:{normalize(r.author)}"[:64]
    current = review_queries.file_review(session, res.film_id, PLATFORM, user_id)
    values = {
        "author_name": r.author,
        "rating_halves": r.rating_halves,
        "headline": r.headline,
        "body": r.body,
        "spoiler": r.spoiler,
        "published_at": r.published_at,
    }
    if current is None:
        review = Review(
            film_id=res.film_id,
            author_platform=PLATFORM,
            author_user_id=user_id,
            updated_at=job.now,
            **values,
        )
        session.add(review)
        session.flush()
        summary.created += 1
        summary.created_ids.append(review.id)
    elif all(getattr(current, k) == v for k, v in values.items()):
        summary.unchanged += 1
    else:
        for k, v in values.items():
            setattr(current, k, v)
        current.updated_at = job.now
        summary.updated += 1
        summary.updated_ids.append(current.id)
    session.flush()
    return None
