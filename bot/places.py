"""Place resolution: from what a person typed to a city, one or more cinemas, or an event.

One function, `resolve_place`, serves every command that takes a place (`showtimes`,
`showtime add`'s cinema, `recommend showing`), so they all forgive the same things: case,
accents and punctuation (`København`), misspellings (`copenhagn`, `Pert`, `hurtigurten`), a word
of the name (`leederville`), and the names people actually use — a cinema's aliases, such as
the chain that runs it ("Luna Palace" for the Luna cinemas in Perth).

Order of evidence, as for titles: an exact normalised name (city, then cinema name or alias,
then event), then approximate matches. An alias several cinemas share names all of them (a
chain); several different places equally close is an ambiguity the user settles; nothing close
comes back with suggestions. A community has dozens of cinemas and events, not millions, so
they are matched in memory from one read of each table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from sqlalchemy.orm import Session

from bot.context import UserError
from bot.normalize import normalize
from bot.types import ArgValue, Choice
from storage import place_queries
from storage.models_screenings import Cinema, Event

Kind = Literal["city", "cinema", "event"]
ALL_KINDS: tuple[Kind, ...] = ("city", "cinema", "event")

FOUND_AT = 80.0  # stricter than titles' 60: a place that isn't close falls through to films
SUGGEST_AT = 55.0
TIE_MARGIN = 3.0
WORD_MATCH = 90.0  # every word of the query is a word of the name ("leederville")
INSIDE = 85.0  # the query is part of the name ("hurtig")
MIN_WORD = 4  # a query word shorter than this must match a name word exactly

# Other names of cities, normalised, for the cities the cinemas name in English.
CITY_ALIASES: dict[str, str] = {
    "kobenhavn": "copenhagen",
    "nyc": "new york",
    "new york city": "new york",
}


@dataclass(frozen=True)
class Candidate:
    """One place a query could mean."""

    kind: Kind
    label: str  # "Perth", "Luna Leederville (Perth)", an event's name
    query: str  # what to type to get exactly this place back
    score: float


@dataclass
class Place:
    query: str
    kind: Kind | None = None
    cinemas: list[Cinema] = field(default_factory=list)  # a city's, a cinema's (or chain's)
    event: Event | None = None
    city: str | None = None
    exact: bool = False
    score: float = 0.0
    choices: list[Candidate] = field(default_factory=list)  # ambiguous: these, best first
    suggestions: list[Candidate] = field(default_factory=list)  # nothing close: maybe these

    @property
    def found(self) -> bool:
        return self.kind is not None

    @property
    def name(self) -> str:
        """How a heading names it: "Perth", "Luna Leederville", "Luna Leederville and Luna on
        SX", or the event."""
        if self.kind == "city":
            return self.city or ""
        if self.kind == "event" and self.event is not None:
            return self.event.name
        names = [c.name for c in self.cinemas]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    @property
    def timezone(self) -> str:
        cinemas = self.event.cinemas if self.event is not None else self.cinemas
        return cinemas[0].timezone if cinemas else "UTC"


def place_score(query: str, name: str) -> float:
    """How well the normalised `query` names the normalised `name`, 0..100."""
    score = fuzz.ratio(query, name)
    words, name_words = query.split(), name.split()
    if not name_words:  # a name of punctuation only (an imported "!!!") answers to nothing
        return 0.0
    if len(query) >= 3 and set(words) <= set(name_words):
        return max(score, WORD_MATCH)
    if len(query) >= MIN_WORD and query in name:
        score = max(score, INSIDE)
    # Each word misspelt a little ("hurtigurten scandinavian"): transpositions count once.
    if words and all(len(w) >= MIN_WORD or w in name_words for w in words):
        worst = min(
            max(OSA.normalized_similarity(w, n) for n in name_words) if len(w) >= MIN_WORD else 1
            for w in words
        )
        score = max(score, WORD_MATCH * worst)
    return score


@dataclass(frozen=True)
class _Name:
    kind: Kind
    norm: str  # one normalised name it answers to
    key: int | str  # city norm, cinema id or event id


def _names(
    cinemas: Sequence[Cinema], events: Sequence[Event], kinds: Iterable[Kind]
) -> list[_Name]:
    kinds = set(kinds)
    out: list[_Name] = []
    cities = {c.city_norm for c in cinemas}
    if "city" in kinds:
        out += [_Name("city", city, city) for city in cities]
        out += [_Name("city", a, c) for a, c in CITY_ALIASES.items() if c in cities]
    if "cinema" in kinds:
        for c in cinemas:
            norms = {c.norm, *(normalize(a) for a in c.aliases or ())}
            out += [_Name("cinema", n, c.id) for n in norms if n]
    if "event" in kinds:
        out += [_Name("event", e.norm, e.id) for e in events]
    return out


def resolve_place(session: Session, query: str, kinds: Iterable[Kind] = ALL_KINDS) -> Place:
    """The place `query` names; see the module's docstring for the order of evidence."""
    kinds = tuple(kinds)
    cinemas = place_queries.all_cinemas(session)
    events = place_queries.all_events(session) if "event" in kinds else []
    head, _, tail = query.rpartition(",")
    if head.strip() and "cinema" in kinds:
        # "Luna Leederville, Perth": a cinema within a city (how choices name a cinema whose
        # name another city's cinema shares).
        city = _city_norm(normalize(tail), cinemas)
        if city is not None:
            in_city = [c for c in cinemas if c.city_norm == city]
            place = _resolve(normalize(head), query, in_city, [], ("cinema",), cinemas)
            if place.found or place.choices:
                return place
    return _resolve(normalize(query), query, cinemas, events, kinds, cinemas)


def _city_norm(norm: str, cinemas: Sequence[Cinema]) -> str | None:
    cities = {c.city_norm for c in cinemas}
    norm = CITY_ALIASES.get(norm, norm)
    return norm if norm in cities else None


def _resolve(
    norm: str,
    query: str,
    cinemas: Sequence[Cinema],
    events: Sequence[Event],
    kinds: tuple[Kind, ...],
    every_cinema: Sequence[Cinema],
) -> Place:
    place = Place(query=query.strip())
    if not norm:
        return place
    names = _names(cinemas, events, kinds)
    by_id = {c.id: c for c in cinemas}
    events_by_id = {e.id: e for e in events}
    # Exact names first, in the order city, cinema, event.
    for kind in ("city", "cinema", "event"):
        keys = list(dict.fromkeys(n.key for n in names if n.kind == kind and n.norm == norm))
        if not keys:
            continue
        if kind == "event" and len(keys) > 1:
            place.choices = [_candidate("event", k, 100.0, by_id, events_by_id) for k in keys]
            return place
        return _found(place, kind, keys, 100.0, by_id, events_by_id, exact=True)
    best: dict[tuple[Kind, int | str], float] = {}
    for n in names:
        s = place_score(norm, n.norm)
        if s > best.get((n.kind, n.key), -1.0):
            best[(n.kind, n.key)] = s
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < FOUND_AT:
        place.suggestions = [
            _candidate(k, key, s, by_id, events_by_id, every_cinema)
            for (k, key), s in ranked[:5]
            if s >= SUGGEST_AT
        ]
        return place
    top = ranked[0][1]
    close = [(k, key, s) for (k, key), s in ranked if s >= top - TIE_MARGIN]
    if len(close) == 1:
        kind, key, s = close[0]
        return _found(place, kind, [key], s, by_id, events_by_id, exact=False)
    place.score = top
    place.choices = [
        _candidate(k, key, s, by_id, events_by_id, every_cinema) for k, key, s in close[:10]
    ]
    return place


def _found(
    place: Place,
    kind: Kind,
    keys: list[int | str],
    score: float,
    cinemas: dict[int, Cinema],
    events: dict[int, Event],
    *,
    exact: bool,
) -> Place:
    place.kind, place.score, place.exact = kind, score, exact
    if kind == "city":
        place.cinemas = sorted(
            (c for c in cinemas.values() if c.city_norm == keys[0]), key=lambda c: c.name
        )
        place.city = place.cinemas[0].city
    elif kind == "cinema":
        place.cinemas = sorted((cinemas[int(k)] for k in keys), key=lambda c: c.name)
    else:
        place.event = events[int(keys[0])]
        place.cinemas = list(place.event.cinemas)
    return place


def _candidate(
    kind: Kind,
    key: int | str,
    score: float,
    cinemas: dict[int, Cinema],
    events: dict[int, Event],
    every_cinema: Sequence[Cinema] = (),
) -> Candidate:
    if kind == "city":
        city = next(c.city for c in cinemas.values() if c.city_norm == key)
        return Candidate("city", city, city, score)
    if kind == "event":
        event = events[int(key)]
        return Candidate("event", event.name, event.name, score)
    cinema = cinemas[int(key)]
    label = f"{cinema.name} ({cinema.city})"
    # Its name alone is enough unless another cinema, or a city, answers to it too.
    shared = [
        c
        for c in every_cinema or cinemas.values()
        if c.id != cinema.id and cinema.norm in {c.norm, *(normalize(a) for a in c.aliases or ())}
    ]
    is_city = any(c.city_norm == cinema.norm for c in every_cinema or cinemas.values())
    query = f"{cinema.name}, {cinema.city}" if shared or is_city else cinema.name
    return Candidate("cinema", label, query, score)


def choice_options(
    candidates: Sequence[Candidate], command: str, arg: str, keep: dict[str, ArgValue] | None
) -> tuple[Choice, ...]:
    """Each candidate as a choice that runs `command` again with `arg` naming exactly it."""
    return tuple(
        Choice(
            label=c.label, command=command, args={**(keep or {}), arg: c.query}, description=c.kind
        )
        for c in candidates
    )


def listing(candidates: Sequence[Candidate]) -> str:
    """ "Luna Leederville (Perth), Luna on SX (Perth)" for messages that list places."""
    return ", ".join(c.label for c in candidates)


def known_cities(session: Session) -> list[str]:
    return sorted({c.city for c in place_queries.all_cinemas(session)})


def one_cinema(session: Session, text: str) -> Cinema:
    """The one cinema `text` names, for a write (`showtime add`); refuses anything else, listing
    the candidates or the nearest names, since a write never guesses."""
    place = resolve_place(session, text, kinds=("cinema",))
    if place.found and len(place.cinemas) == 1:
        return place.cinemas[0]
    if place.found:  # an alias several cinemas share: a chain
        options = [f"{c.name} ({c.city})" for c in place.cinemas]
        raise UserError(
            f"“{text}” is {len(options)} cinemas: {', '.join(options)}. Name one, e.g. "
            f'cinema="{place.cinemas[0].name}". Nothing was changed.'
        )
    if place.choices:
        raise UserError(
            f"“{text}” could be {listing(place.choices)}. Name one, e.g. "
            f'cinema="{place.choices[0].query}". Nothing was changed.'
        )
    if place.suggestions:
        raise UserError(
            f"No cinema called “{text}”. Did you mean {listing(place.suggestions)}? "
            "Nothing was changed."
        )
    known = ", ".join(c.name for c in place_queries.all_cinemas(session)[:15]) or "none yet"
    raise UserError(f"No cinema called “{text}”. Known cinemas: {known}. Nothing was changed.")
