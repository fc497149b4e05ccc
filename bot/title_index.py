"""An in-memory trigram index over every normalised film title, for misspelt lookups.

Why in memory: the exact and prefix cases are served by the database's B-tree, but a misspelt
title needs approximate matching, and doing that in SQL (FTS5 OR-of-trigrams, pg_trgm) was
either slow (about 180 ms at a million titles on SQLite) or PostgreSQL-only. A compact
inverted index — trigram → array of int32 entry numbers — costs about 4 bytes per trigram
occurrence and answers in about a millisecond.

The search is exact with respect to edit distance up to `k` edits: one edit destroys at most
three of the query's trigrams, so any title within k edits still contains at least one of any
3k+1 of them. We take the 3k+1 *rarest* of the query's trigrams, union their posting lists,
and rerank that candidate set with rapidfuzz's `ratio` — the same scorer a brute-force scan
would use, on a few thousand titles instead of a million.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

# Above this many candidates we stop adding posting lists: they come from common trigrams
# that say little about the title anyway.
_CANDIDATE_BUDGET = 40_000


def trigrams(norm: str) -> set[str]:
    """The trigrams of " norm ", so that short words and word edges count too."""
    padded = f" {norm} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


@dataclass(frozen=True)
class Hit:
    title_id: int
    film_id: int
    norm: str
    year: int | None
    score: float  # 0..100, rapidfuzz ratio of the normalised strings


class TitleIndex:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._norms: list[str] = []
        self._title_ids = array("i")
        self._film_ids = array("i")
        self._years = array("h")  # 0 = unknown
        self._postings: dict[str, array[int]] = {}
        self._dead: set[int] = set()
        self.max_title_id = 0

    def __len__(self) -> int:
        return len(self._norms) - len(self._dead)

    def add_many(self, rows: Iterable[tuple[int, int, str, int | None]]) -> None:
        """Add (title_id, film_id, norm, year) rows."""
        with self._lock:
            postings = self._postings
            for title_id, film_id, norm, year in rows:
                entry = len(self._norms)
                self._norms.append(norm)
                self._title_ids.append(title_id)
                self._film_ids.append(film_id)
                self._years.append(year or 0)
                for gram in trigrams(norm):
                    plist = postings.get(gram)
                    if plist is None:
                        postings[gram] = plist = array("i")
                    plist.append(entry)
                if title_id > self.max_title_id:
                    self.max_title_id = title_id

    def remove_film(self, film_id: int) -> None:
        """Forget every title of a film (it was edited or deleted); entries become tombstones."""
        with self._lock:
            films = np.frombuffer(self._film_ids, dtype=np.int32)
            for entry in np.flatnonzero(films == film_id).tolist():
                self._dead.add(entry)
                self._film_ids[entry] = -1
            del films

    def search(self, norm: str, *, limit: int = 10, year: int | None = None) -> list[Hit]:
        """The best `limit` titles for `norm`, best first, at most one hit per film."""
        if not norm:
            return []
        grams = trigrams(norm)
        allowed_edits = max(1, len(norm) // 5)
        with self._lock:
            # Rarest first; a trigram absent from the index is the rarest of all and costs
            # nothing, yet still counts toward the 3k+1 the pigeonhole argument needs.
            ranked = sorted(grams, key=lambda g: len(self._postings.get(g, ())))
            chosen = ranked[: 3 * allowed_edits + 1]
            parts: list[np.ndarray] = []
            total = 0
            for gram in chosen:
                plist = self._postings.get(gram)
                if not plist:
                    continue
                if total and total + len(plist) > _CANDIDATE_BUDGET:
                    break
                parts.append(np.frombuffer(plist, dtype=np.int32).copy())
                total += len(plist)
            if not parts:
                return []
            entries = np.unique(np.concatenate(parts))
            if year is not None:
                years = np.frombuffer(self._years, dtype=np.int16)
                entries = entries[years[entries] == year]
            if self._dead:
                films = np.frombuffer(self._film_ids, dtype=np.int32)
                entries = entries[films[entries] >= 0]
            if entries.size == 0:
                return []
            entry_list = entries.tolist()
            choices = (
                [self._norms[entry_list[0]]]
                if len(entry_list) == 1
                else list(itemgetter(*entry_list)(self._norms))
            )
            scores = cdist([norm], choices, scorer=fuzz.ratio, dtype=np.float32, workers=1)[0]
            keep = min(len(entry_list), limit * 4)
            top = np.argpartition(-scores, keep - 1)[:keep] if keep < len(entry_list) else None
            order = top[np.argsort(-scores[top], kind="stable")] if top is not None else None
            if order is None:
                order = np.argsort(-scores, kind="stable")
            hits: list[Hit] = []
            seen_films: set[int] = set()
            for i in order.tolist():
                entry = entry_list[i]
                film_id = self._film_ids[entry]
                if film_id in seen_films:
                    continue
                seen_films.add(film_id)
                hits.append(
                    Hit(
                        title_id=self._title_ids[entry],
                        film_id=film_id,
                        norm=self._norms[entry],
                        year=self._years[entry] or None,
                        score=float(scores[i]),
                    )
                )
                if len(hits) == limit:
                    break
            return hits
