"""Person lookup that forgives the way titles do: "tarkovski" finds Andrei Tarkovsky.

Why the title index again: a catalogue of a million films has millions of people, so a
substring scan of every name per query (what `LIKE '%…%'` does) costs a full table read. The
trigram `TitleIndex` answers misspelt lookups in about a millisecond at that size, and it
already returns at most one hit per id, so here its "film id" is a person id.

Each person is indexed under their full name and under each word-suffix of it that is at
least three characters long ("andrei tarkovsky", "tarkovsky"; "lars von trier", "von trier",
"trier"), because people are asked for by surname far more often than by full name. A first
name alone ("ruben") is found through the database's B-tree on the normalised name instead
(a prefix range), which costs no memory.

People are only ever added (films' credits change, a person row never does), so the index
keeps current the way `TitleResolver.refresh` does: it reads people newer than the last id it
saw, at most once a second, or at once after this process wrote a film.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator

from sqlalchemy.orm import Session

from bot.title_index import TitleIndex
from storage import people_queries

FOUND_AT = 80.0  # a misspelt name must be this close (rapidfuzz ratio) to count
FIRST_NAME = 90.0  # a query that is a person's first name(s), exactly
MIN_KEY = 3  # shorter name suffixes ("b eidsvold" keeps "eidsvold", drops nothing useful)
REFRESH_INTERVAL = 1.0  # seconds between looks for people another process added


def name_keys(norm: str) -> list[str]:
    """The strings a person is indexed under: the full name and its word-suffixes."""
    words = norm.split()
    keys = [norm]
    for i in range(1, len(words)):
        suffix = " ".join(words[i:])
        if len(suffix) >= MIN_KEY:
            keys.append(suffix)
    return keys


class PersonIndex:
    """People by name, kept current from the database; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.index = TitleIndex()
        self._lock = threading.Lock()
        self._clock = clock
        self._checked_at = float("-inf")
        self.max_person_id = 0

    def mark_stale(self) -> None:
        """People may have been written: look for them before the next lookup."""
        self._checked_at = float("-inf")

    def refresh(self, session: Session) -> None:
        now = self._clock()
        if now - self._checked_at < REFRESH_INTERVAL:
            return
        with self._lock:
            self._checked_at = now
            if people_queries.max_person_id(session) <= self.max_person_id:
                return
            self.index.add_many(
                self._rows(people_queries.iter_person_rows(session, self.max_person_id))
            )

    def _rows(
        self, people: Iterable[tuple[int, str]]
    ) -> Iterator[tuple[int, int, str, None, None]]:
        """The index's rows for `people`, streamed (millions at start-up), noting the newest."""
        for person_id, norm in people:
            self.max_person_id = max(self.max_person_id, person_id)
            for key in name_keys(norm):
                yield person_id, person_id, key, None, None  # people belong to no community

    def match(self, session: Session, norm: str, limit: int = 10) -> list[tuple[int, float]]:
        """(person_id, score) of the people `norm` names, best first, each at least FOUND_AT.

        Everyone within a few points of the best comes back ("thomas" is every Thomas), so a
        caller can show all the people a query could mean.
        """
        if len(norm) < 2:
            return []
        self.refresh(session)
        best: dict[int, float] = {}
        words = norm.split()
        # Surname first ("tarkovsky andrei") is common enough to look for too.
        variants = [norm, " ".join(reversed(words))] if len(words) > 1 else [norm]
        for variant in variants:
            for hit in self.index.search(variant, limit=limit * 2, margin=100.0 - FOUND_AT):
                # The index's "film" is a person here.
                best[hit.film_id] = max(best.get(hit.film_id, 0.0), hit.score)
        # A first name (or first names) exactly: every person whose name starts with it.
        for person_id, _name in people_queries.people_with_prefix(session, norm + " ", limit):
            best[person_id] = max(best.get(person_id, 0.0), FIRST_NAME)
        ranked = sorted(
            ((p, s) for p, s in best.items() if s >= FOUND_AT), key=lambda kv: (-kv[1], kv[0])
        )
        return ranked[:limit]


def films_by_person(
    session: Session, people: PersonIndex, norm: str, limit: int, max_people: int = 10
) -> list[tuple[int, str, str]]:
    """(film_id, person name, role) for the people `norm` names, closest person first."""
    ranked = people.match(session, norm, max_people)
    return people_queries.films_of_people(session, [p for p, _ in ranked], limit)
