"""Title resolution: from what a person typed to one film, a short list of choices, or nothing.

Order of evidence: an explicit film number ("#12"), an exact normalised title (B-tree), then
approximate matches from the trigram index plus titles that start with the query. Several
films equally close is an ambiguity the user settles; we never silently take the first.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from bot.normalize import normalize
from bot.title_index import TitleIndex
from storage import repo

_YEAR_HINT = re.compile(r"^(?P<title>.*?)\s*(?:\((?P<paren>\d{4})\)|\by:\s*(?P<tag>\d{4}))\s*$")
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
    """ "Arrival (2016)" or "Arrival y:2016" → ("Arrival", 2016)."""
    m = _YEAR_HINT.match(text.strip())
    if m and m["title"]:
        return m["title"], int(m["paren"] or m["tag"])
    return text.strip(), None


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


class TitleResolver:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.index = TitleIndex()
        self._refresh_lock = threading.Lock()
        self._clock = clock
        self._checked_at = float("-inf")

    def mark_stale(self) -> None:
        """Titles were written: look for them before the next search."""
        self._checked_at = float("-inf")

    def refresh(self, session: Session) -> None:
        """Add titles written since the index last looked (by this or another process)."""
        now = self._clock()
        if now - self._checked_at < REFRESH_INTERVAL:
            return
        with self._refresh_lock:
            self._checked_at = now
            if repo.max_title_id(session) > self.index.max_title_id:
                self.index.add_many(repo.iter_title_rows(session, self.index.max_title_id))

    def forget_film(self, film_id: int) -> None:
        self.index.remove_film(film_id)

    def ranked(
        self, session: Session, norm: str, year: int | None, limit: int = 10
    ) -> list[tuple[int, float]]:
        """(film_id, score) best first, one entry per film."""
        self.refresh(session)
        # A title another process renamed stays findable here under its old name until this
        # process restarts; it still names the same film, so the answer is not wrong.
        best: dict[int, float] = {}
        for h in self.index.search(norm, limit=limit * 2, year=year):
            best[h.film_id] = max(best.get(h.film_id, 0.0), score(norm, h.norm))
        # Titles that start with the query ("quisling" → "Quisling: The Final Days") score at
        # most PART_OF_TITLE, so they can't matter once the index found a near-exact match.
        if max(best.values(), default=0.0) < PART_OF_TITLE + TIE_MARGIN:
            for film_id, title_norm, _year in repo.titles_with_prefix(session, norm, limit, year):
                best[film_id] = max(best.get(film_id, 0.0), score(norm, title_norm))
        return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

    def resolve(self, session: Session, text: str) -> Resolution:
        text = text.strip()
        ref = _FILM_REF.match(text)
        if ref:
            film_id = int(ref.group(1))
            found = repo.get_film(session, film_id) is not None
            return Resolution(film_id=film_id if found else None, query=text)
        title, year = split_year(text)
        norm = normalize(title)
        result = Resolution(query=title, year=year)
        if not norm:
            return result
        exact = repo.films_with_norm(session, norm, year)
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
