"""One film's values from a file row: each checked and tidied, or refused with a reason."""

from __future__ import annotations

from bot.catalogue import FieldTooLong, FilmFields, check_fields
from bot.importers.errors import excerpt
from bot.normalize import normalize, split_list
from bot.registry import BODY_MAX, TITLE_MAX

COLUMNS = {
    "title": "title",
    "year": "year",
    "original_title": "original_title",
    "original title": "original_title",
    "alt_titles": "alt_titles",
    "directors": "directors",
    "cast": "cast",
    "genres": "genres",
    "countries": "countries",
    "languages": "languages",
    "runtime": "runtime",
    "runtime_minutes": "runtime",
    "synopsis": "synopsis",
    "external_id": "external_id",
    "imdb_id": "external_id",
    "tconst": "external_id",
}
LIST_FIELDS = ("directors", "cast", "genres", "countries", "languages")


class RowError(ValueError):
    """One row is wrong; the message is the reason shown next to its line number."""


def film_fields(values: dict[str, str]) -> FilmFields:
    title = parse_title(values.get("title", ""))
    fields = FilmFields(
        title=title,
        year=parse_year(values.get("year", "").strip() or None),
        original_title=parse_optional_title(
            values.get("original_title", "").strip() or None, title
        ),
        alt_titles=[parse_title(t) for t in split_list(values.get("alt_titles"), "|")],
        directors=split_list(values.get("directors")),
        cast=split_list(values.get("cast")),
        genres=parse_genres(split_list(values.get("genres"))),
        countries=split_list(values.get("countries")),
        languages=split_list(values.get("languages")),
        runtime_minutes=parse_runtime(values.get("runtime", "").strip() or None),
        synopsis=parse_synopsis(values.get("synopsis", "").strip() or None),
        external_id=parse_external_id(values["external_id"]) if values.get("external_id") else None,
    )
    try:
        check_fields(fields)  # each name must fit its column (storage/limits.py)
    except FieldTooLong as exc:
        raise RowError(exc.reason) from None
    return fields


def parse_title(value: str | None) -> str:
    return parse_title_norm(value)[0]


def parse_title_norm(value: str | None) -> tuple[str, str]:
    """The title with its spaces tidied, and its normal form; refuses an empty or long one."""
    title = " ".join((value or "").split())
    norm = normalize(title) if title else ""
    if not norm:
        raise RowError("missing title")
    if len(title) > TITLE_MAX:
        raise RowError(f"title longer than {TITLE_MAX} characters")
    return title, norm


def parse_optional_title(value: str | None, main: str) -> str | None:
    if value is None or not value.strip() or normalize(value) == normalize(main):
        return None
    return parse_title(value)


def parse_year(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.strip().isdecimal() or not 1870 <= int(value) <= 2100:
        raise RowError(f"year “{excerpt(value, 20)}” is not a year between 1870 and 2100")
    return int(value)


def parse_runtime(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.strip().isdecimal() or not 0 < int(value) < 10_000:
        raise RowError(f"runtime “{excerpt(value, 20)}” is not a number of minutes")
    return int(value)


def parse_genres(names: list[str]) -> list[str]:
    if max(map(len, names), default=0) > 40:
        long = next(n for n in names if len(n) > 40)
        raise RowError(f"genre “{excerpt(long[:40], 40)}…” is longer than 40 characters")
    return [n.lower() for n in names]


def parse_synopsis(value: str | None) -> str | None:
    if value is not None and len(value) > BODY_MAX:
        raise RowError(f"synopsis longer than {BODY_MAX} characters")
    return value


def parse_external_id(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 40 or len(value.split()) != 1:
        raise RowError(f"external id “{excerpt(value, 40)}” is empty, too long or has spaces")
    return value
