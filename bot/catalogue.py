"""Writing films: one place that keeps titles, people and genres consistent with the film."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.context import UserError
from bot.normalize import normalize
from storage import limits, people_queries
from storage.models_catalogue import Credit, Film, FilmGenre, FilmTitle


@dataclass
class FilmFields:
    title: str
    year: int | None = None
    original_title: str | None = None
    alt_titles: list[str] = field(default_factory=list)
    directors: list[str] = field(default_factory=list)
    cast: list[str] = field(default_factory=list)
    genres: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    runtime_minutes: int | None = None
    synopsis: str | None = None
    external_id: str | None = None


class FieldTooLong(UserError):
    """A film field, or one name in a list of them, is longer than its column allows."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"{reason}. Nothing was changed.")
        self.reason = reason  # without the sentence a command's refusal adds (importers)


# Each list field's items and the most one item may hold; the whole list's text is limited by
# the registry, but one name in it must also fit its own column.
_ITEM_LIMITS = (
    ("alt_titles", "title", limits.TITLE_MAX),
    ("directors", "name", limits.PERSON_NAME_MAX),
    ("cast", "name", limits.PERSON_NAME_MAX),
    ("genres", "genre", limits.GENRE_MAX),
)


def check_fields(fields: FilmFields) -> None:
    """Refuse (FieldTooLong) a film whose values would not fit the schema; before any write,
    so commands and importers alike refuse cleanly on every backend."""
    for name, value, most in (
        ("title", fields.title, limits.TITLE_MAX),
        ("original_title", fields.original_title, limits.TITLE_MAX),
        ("synopsis", fields.synopsis, limits.BODY_MAX),
        ("external id", fields.external_id, limits.EXTERNAL_ID_MAX),
    ):
        if value is not None and len(value) > most:
            raise FieldTooLong(f"{name} is {len(value):,} characters long; the most is {most:,}")
    for name, what, most in _ITEM_LIMITS:
        for item in getattr(fields, name):
            item = " ".join(item.split())
            if len(item) > most:
                raise FieldTooLong(
                    f"{name}: “{item[:40]}…” is {len(item):,} characters long; a {what} can be "
                    f"at most {most:,}"
                )


def create_film(session: Session, fields: FilmFields, now: datetime) -> Film:
    check_fields(fields)  # before the film joins the session
    film = Film(created_at=now, updated_at=now, countries=[], languages=[])
    session.add(film)
    apply_fields(session, film, fields, now)
    return film


def apply_fields(session: Session, film: Film, fields: FilmFields, now: datetime) -> None:
    check_fields(fields)
    film.title = fields.title
    film.year = fields.year
    film.original_title = fields.original_title
    film.runtime_minutes = fields.runtime_minutes
    film.synopsis = fields.synopsis
    film.countries = list(fields.countries)
    film.languages = list(fields.languages)
    if fields.external_id is not None:
        film.external_id = fields.external_id
    film.updated_at = now
    _set_titles(film, fields)
    _set_credits(session, film, fields)
    film.genres = [FilmGenre(genre=g.strip().lower()) for g in _unique(fields.genres)]
    session.flush()


def fields_of(film: Film) -> FilmFields:
    return FilmFields(
        title=film.title,
        year=film.year,
        original_title=film.original_title,
        alt_titles=[t.title for t in film.titles if t.kind == "alternative"],
        directors=[c.person.name for c in film.credits if c.role == "director"],
        cast=[c.person.name for c in film.credits if c.role == "cast"],
        genres=[g.genre for g in film.genres],
        countries=list(film.countries or ()),
        languages=list(film.languages or ()),
        runtime_minutes=film.runtime_minutes,
        synopsis=film.synopsis,
        external_id=film.external_id,
    )


def _set_titles(film: Film, fields: FilmFields) -> None:
    wanted: list[tuple[str, str]] = [(fields.title, "main")]
    if fields.original_title:
        wanted.append((fields.original_title, "original"))
    wanted += [(t, "alternative") for t in fields.alt_titles]
    current = {(t.title, t.kind) for t in film.titles}
    if current == set(wanted) and len(film.titles) == len(wanted):
        return
    # Replacing the rows gives the new titles new ids, which is how every process's title
    # index notices them (it reads titles newer than the last id it saw).
    film.titles = []
    seen: set[str] = set()
    for title, kind in wanted:
        norm = normalize(title)
        if norm and norm not in seen:
            seen.add(norm)
            film.titles.append(FilmTitle(title=title, norm=norm, kind=kind))


def _set_credits(session: Session, film: Film, fields: FilmFields) -> None:
    wanted = [("director", n) for n in _unique(fields.directors)]
    wanted += [("cast", n) for n in _unique(fields.cast)]
    if [(c.role, c.person.name) for c in film.credits] == wanted:
        return
    film.credits = []
    session.flush()
    for position, (role, name) in enumerate(wanted):
        person = people_queries.get_or_create_person(session, name, normalize(name) or name.lower())
        film.credits.append(Credit(person=person, role=role, position=position))


def _unique(names: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for n in names:
        n = " ".join(n.split())
        if n and n.casefold() not in seen:
            seen.add(n.casefold())
            out.append(n)
    return out
