"""Title resolution: from what a person typed to one film, a short list of choices, or nothing.

Order of evidence: an explicit film number ("#12"), an exact normalised title (B-tree), then
approximate matches from the trigram index plus titles that start with the query. Several
films equally close is an ambiguity the user settles; we never silently take the first.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from bot import title_index_file
from bot.normalize import normalize
from bot.people import PersonIndex
from bot.title_index import Row, TitleIndex
from storage import film_queries
from storage.title_fingerprint import title_fingerprint

log = logging.getLogger(__name__)

_FILM_REF = re.compile(r"^#(\d{1,9})$")

FOUND_AT = 60.0  # a best score below this is "no film found"
SUGGEST_AT = 40.0
TIE_MARGIN = 3.0  # films within this many points of the best are equally good


@dataclass
class Resolution:
    film_id: int | None = None
    choices: list[int] = field(default_factory=list)  # ambiguous: film ids, best first
    suggestions: list[int] = field(default_factory=list)  # nothing close: maybe these
    query: str = ""
    year: int | None = None


def split_year(text: str) -> tuple[str, int | None]:
    r""" "Arrival (2016)" or "Arrival y:2016" → ("Arrival", 2016).

    Read from the end by hand, in one pass: the regular expression this replaces,
    `^(.*?)\s*(?:\((\d{4})\)|\by:\s*(\d{4}))\s*$`, retried every split of a run of
    spaces (100,000 spaces took 462 s). Same answers: the title is what comes before the
    spaces before the year, has no line break and is not empty; "y:" starts a word.
    """
    s = text.strip()
    year = ""
    cut = -1
    if len(s) >= 6 and s[-1] == ")" and s[-6] == "(" and s[-5:-1].isdecimal():
        year, cut = s[-5:-1], len(s) - 6
    elif len(s) >= 6 and s[-4:].isdecimal() and not s[-5].isdecimal():
        j = _skip_spaces_back(s, len(s) - 4)
        if s[j - 2 : j] == "y:" and (j == 2 or not _is_word(s[j - 3])):
            year, cut = s[-4:], j - 2
    if year:
        title = s[: _skip_spaces_back(s, cut)]
        if title and "\n" not in title:
            return title, int(year)
    return s, None


def _skip_spaces_back(s: str, end: int) -> int:
    """The start of the run of whitespace that ends at `end`."""
    while end > 0 and s[end - 1].isspace():
        end -= 1
    return end


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"  # what the regex engine's \w matched


PART_OF_TITLE = 90.0


def score(query_norm: str, title_norm: str) -> float:
    """rapidfuzz's ratio; a query whose every word is in the title ("quisling" for "Quisling:
    The Final Days") scores as a strong, not perfect, match."""
    s = fuzz.ratio(query_norm, title_norm)
    if s < PART_OF_TITLE and len(query_norm) >= 4:
        if set(query_norm.split()) <= set(title_norm.split()):
            s = PART_OF_TITLE
    return s


# Another process's new titles are looked for at most this often (seconds); this process's own
# writes mark the index stale at once.
REFRESH_INTERVAL = 1.0


# A catalogue smaller than this builds its index faster than a saved copy is checked and
# mapped, so only a larger one is saved to disk (bot/title_index_file.py).
SAVE_FROM = 50_000


def film_number(text: str) -> int | None:
    """The film id of a "#<id>" reference (what autocomplete and choices send), else None."""
    ref = _FILM_REF.match(text.strip())
    return int(ref.group(1)) if ref else None


class TitleResolver:
    def __init__(
        self, clock: Callable[[], float] = time.monotonic, *, saved_at: Path | None = None
    ) -> None:
        self.index = TitleIndex()
        self._refresh_lock = threading.Lock()
        self._clock = clock
        self._checked_at = float("-inf")
        # Where the index is saved between runs (None: never saved); `loaded_from_disk` says
        # whether this process's index began as that copy.
        self._saved_at = saved_at
        self.loaded_from_disk = False
        # People, for `search` and for a query that names a person rather than a title.
        self.people = PersonIndex(clock)

    def mark_stale(self) -> None:
        """Titles were written: look for them before the next search."""
        self._checked_at = float("-inf")
        self.people.mark_stale()

    def refresh(self, session: Session) -> None:
        """Add titles written since the index last looked (by this or another process)."""
        now = self._clock()
        if now - self._checked_at < REFRESH_INTERVAL:
            return
        with self._refresh_lock:
            self._checked_at = now
            if self.index.max_title_id == 0 and self._saved_at is not None:
                self._start(session, self._saved_at)
            if film_queries.max_title_id(session) > self.index.max_title_id:
                self.index.add_many(film_queries.iter_title_rows(session, self.index.max_title_id))

    def _start(self, session: Session, folder: Path) -> None:
        """The first refresh: map the saved index if it still matches the database, else
        build it from every title and save it for the next start."""
        saved = title_index_file.saved_fingerprint(folder)
        if saved is not None:
            count, id_sum, year_sum = title_fingerprint(session, saved.max_title_id)
            if (count, id_sum, year_sum) == (saved.count, saved.id_sum, saved.year_sum):
                self.index = title_index_file.load(folder)
                self.loaded_from_disk = True
                return
        figures = [0, 0, 0, 0]  # count, id sum, year sum, newest id: as the rows go by

        def counted(rows: Iterator[Row]) -> Iterator[Row]:
            for row in rows:
                figures[0] += 1
                figures[1] += row[0]
                figures[2] += row[3] or 0
                figures[3] = max(figures[3], row[0])
                yield row

        self.index.add_many(counted(film_queries.iter_title_rows(session, 0)))
        if figures[0] >= SAVE_FROM:
            fingerprint = title_index_file.Fingerprint(
                max_title_id=figures[3], count=figures[0], id_sum=figures[1], year_sum=figures[2]
            )
            try:
                self.index.compact()
                title_index_file.save(self.index, fingerprint, folder)
            except OSError as exc:  # a read-only disk costs the next start time, nothing more
                log.warning("could not save the title index to %s: %s", folder, exc)

    def forget_film(self, film_id: int) -> None:
        self.index.remove_film(film_id)

    def ranked(
        self, session: Session, norm: str, year: int | None, limit: int = 10
    ) -> list[tuple[int, float]]:
        """(film_id, score) best first, one entry per film."""
        self.refresh(session)
        # A title another process renamed stays findable here under its old name until this
        # process restarts; it still names the same film, so the answer is not wrong. A film
        # another process removed is dropped by the caller's own load of it (film_lookup,
        # complete_titles), which reads only films that exist and that its community sees.
        # The index keeps each title's community, so it answers for this session's community
        # itself, with no query: a film's community never changes after it is made.
        community = film_queries.sees_community(session)
        best: dict[int, float] = {}
        for h in self.index.search(norm, limit=limit * 2, year=year, community=community):
            best[h.film_id] = max(best.get(h.film_id, 0.0), score(norm, h.norm))
        # Titles that start with the query ("quisling" → "Quisling: The Final Days") score at
        # most PART_OF_TITLE, so they can't matter once the index found a near-exact match.
        if max(best.values(), default=0.0) < PART_OF_TITLE + TIE_MARGIN:
            for film_id, title_norm, _year in film_queries.titles_with_prefix(
                session, norm, limit, year
            ):
                best[film_id] = max(best.get(film_id, 0.0), score(norm, title_norm))
        return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

    def resolve(self, session: Session, text: str) -> Resolution:
        text = text.strip()
        ref = film_number(text)
        if ref is not None:
            film_id = ref
            found = film_queries.film_exists(session, film_id)
            return Resolution(film_id=film_id if found else None, query=text)
        title, year = split_year(text)
        norm = normalize(title)
        result = Resolution(query=title, year=year)
        if not norm:
            return result
        exact = film_queries.films_with_norm(session, norm, year)
        if len(exact) == 1:
            result.film_id = exact[0]
            return result
        if len(exact) > 1:
            result.choices = exact
            return result
        ranked = self.ranked(session, norm, year)
        if not ranked and year is not None:
            # A wrong year should not hide the film: suggest it without the year.
            ranked = [(f, s - 10) for f, s in self.ranked(session, norm, None)]
        if not ranked or ranked[0][1] < FOUND_AT:
            result.suggestions = [f for f, s in ranked if s >= SUGGEST_AT][:5]
            return result
        top = ranked[0][1]
        close = [f for f, s in ranked if s >= top - TIE_MARGIN]
        if len(close) == 1:
            result.film_id = close[0]
        else:
            result.choices = close[:10]
        return result
