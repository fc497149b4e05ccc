"""An in-memory trigram index over every normalised film title, for misspelt lookups.

Why in memory: the exact and prefix cases are served by the database's B-tree, but a misspelt
title needs approximate matching, and doing that in SQL (FTS5 OR-of-trigrams, pg_trgm) was
either slow (about 180 ms at a million titles on SQLite) or PostgreSQL-only. A compact
inverted index costs about 4 bytes per trigram occurrence and answers in about a millisecond.

How a search stays small and still finds what a brute-force `ratio` scan would:
- The index is split by title length. rapidfuzz's `ratio` is 2·matches / (len_a + len_b), so
  a title much longer or shorter than the query cannot score high. We first look only at
  titles within k characters of the query's length, then widen only as far as a title there
  could still come close to the best score found (branch and bound on length).
- Within those lengths, one edit destroys at most three of the query's trigrams, so any title
  within k edits still contains at least one of any 3k+1 of them. We union the posting lists of
  the 3k+1 *rarest* trigrams and rerank those candidates with `ratio`.

Layout: normalised titles use only the 37 symbols [ 0-9a-z], so a trigram is a number below
37³. The tables are one immutable set of postings keyed by (title length, trigram) — sorted
keys, offsets, and an int32 array of entry numbers (bot/title_trigrams.py `Postings`) — built
with numpy in a few vectorised passes, so a window of lengths is looked up in one call. Titles
added one at a time go to a small dictionary; when it grows large the tables are rebuilt.

Communities: the index holds every community's titles, each entry with its film's community
(0: the shared catalogue), and a search for a community keeps the entries it sees. A film's
community is set when it is made and never changes, so this never goes stale.

The titles themselves are kept by length too, back to back with no separator (fixed width): a
table's titles are one numpy `S<length>` array, those added since sit in a bytearray. A Python
bytes object per title would cost about 40 bytes of overhead each, twice the text itself.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from bot.title_trigrams import Postings, distinct_counts, gram_codes, sorted_distinct

# At most this many titles are scored with rapidfuzz per window; beyond it we keep the titles
# that share the most of the chosen trigrams with the query.
_RERANK_LIMIT = 2_000
_MAX_LEN = 200  # titles are at most 200 characters (registry.TITLE_MAX)
_FLOOR = 60.0  # scores below this are not answers (resolve.FOUND_AT): no need to look for them
_REBUILD_AT = 50_000  # titles in the dictionary before the tables are rebuilt
_WEAK = 90.0  # a best score below this sends the search round again with every trigram
_FALLBACK_BUDGET = 20_000  # posting entries that second round may read


def best_possible(query_len: int, title_len: int) -> float:
    """The highest `ratio` any title of `title_len` characters can reach against the query."""
    return 200.0 * min(query_len, title_len) / (query_len + title_len)


# best_possible for every (query length, title length), row by query length: the lengths worth
# a look are one comparison instead of 200 calls per search. Length 0 is never worth one.
_SIZES = np.arange(_MAX_LEN + 1, dtype=np.float64)
_BEST_POSSIBLE = (
    200.0 * np.minimum(_SIZES[:, None], _SIZES) / np.maximum(_SIZES[:, None] + _SIZES, 1.0)
)
_BEST_POSSIBLE[:, 0] = -1.0

# The arrays with one value per entry, and their numpy types.
_PER_ENTRY = (
    ("_lengths", np.uint8),
    ("_slots", np.int32),
    ("_film_ids", np.int32),
    ("_years", np.int16),
    ("_communities", np.int32),
    ("_ranks", np.int32),
)

# Rows are (title_id, film_id, norm, year, community id: None for the shared catalogue).
Row = tuple[int, int, str, int | None, int | None]


@dataclass(frozen=True)
class _Query:
    norm: str
    codes: np.ndarray  # its distinct trigram numbers
    k: int  # edits an answer may be away
    year: int | None
    margin: float
    community: int | None  # None: every community's titles


class Hit(NamedTuple):
    # A tuple, not a frozen dataclass: a search makes twenty of them, and a frozen dataclass
    # costs a microsecond or more each to make.
    film_id: int
    norm: str
    year: int | None
    score: float  # 0..100, rapidfuzz ratio of the normalised strings


# What one window scored: its entries, their scores and their titles, in one order.
Scored = list[tuple[np.ndarray, np.ndarray, list[bytes]]]


class TitleIndex:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        # Titles as ASCII bytes (rapidfuzz takes bytes or str), stored by length (module doc).
        self._lengths = array("B")  # entry → its title's length
        self._slots = array("i")  # entry → its place among the titles of that length
        self._names: dict[int, np.ndarray] = {}  # length → the tables' titles, S<length>
        self._pending: dict[int, bytearray] = {}  # length → titles added since, back to back
        self._counts = [0] * (_MAX_LEN + 1)  # titles of each length, tables and pending
        self._film_ids = array("i")  # -1 marks a removed entry
        self._years = array("h")  # 0 = unknown
        self._communities = array("i")  # the film's community; 0 = shared
        # The entries of local films, ascending: a few among a million, so a search checks its
        # candidates against them instead of reading each one's community from far apart.
        self._local = array("i")
        # The order entries were added in (rebuilds renumber them): equal scores go to the
        # older title, as they always have.
        self._ranks = array("i")
        self._postings = Postings.empty()
        # Each rebuild renumbers the entries by (length, slot): the tables' titles of length n
        # are entries table_starts[n] .. table_starts[n + 1] - 1, in slot order, so a sorted
        # run of candidates is already grouped by length and each one's slot is a subtraction.
        self._table_starts = np.zeros(_MAX_LEN + 2, dtype=np.int64)
        self._recent: dict[tuple[int, int], array[int]] = {}  # (length, trigram) → entries
        self._recent_count = 0
        self._dead = 0
        self.max_title_id = 0

    def __len__(self) -> int:
        return len(self._film_ids) - self._dead

    def _pending_norm(self, length: int, slot: int) -> bytes:
        names = self._names.get(length)
        start = (slot - (0 if names is None else names.size)) * length
        return bytes(self._pending[length][start : start + length])

    def _norm(self, entry: int) -> bytes:
        length, slot = self._lengths[entry], self._slots[entry]
        names = self._names.get(length)
        if names is not None and slot < names.size:
            return bytes(names[slot])
        return self._pending_norm(length, slot)

    def _choices(self, entries: np.ndarray) -> tuple[np.ndarray, list[bytes]]:
        """The entries regrouped by title length, and their titles in that order."""
        entries = np.sort(entries)
        starts = self._table_starts
        if not entries.size or int(entries[-1]) >= int(starts[-1]):
            return self._choices_any(entries)  # some were added since the last rebuild
        lengths = np.searchsorted(starts, entries, side="right") - 1
        cuts = [0, *(np.flatnonzero(lengths[1:] != lengths[:-1]) + 1).tolist(), entries.size]
        choices: list[bytes] = []
        for begin, end in zip(cuts[:-1], cuts[1:], strict=True):
            length = int(lengths[begin])
            choices += self._names[length][entries[begin:end] - starts[length]].tolist()
        return entries, choices

    def _choices_any(self, entries: np.ndarray) -> tuple[np.ndarray, list[bytes]]:
        """`_choices` for entries some of which are not in the tables yet."""
        lengths = np.frombuffer(self._lengths, dtype=np.uint8)[entries]
        order = np.argsort(lengths, kind="stable")
        entries, lengths = entries[order], lengths[order]
        slots = np.frombuffer(self._slots, dtype=np.int32)[entries]
        starts = [0, *(np.flatnonzero(lengths[1:] != lengths[:-1]) + 1).tolist(), entries.size]
        choices: list[bytes] = []
        for begin, end in zip(starts[:-1], starts[1:], strict=True):
            length = int(lengths[begin])
            group = slots[begin:end]
            names = self._names.get(length)
            if names is not None and int(group.max()) < names.size:
                choices += names[group].tolist()
            else:
                choices += [self._norm(e) for e in entries[begin:end].tolist()]
        return entries, choices

    def add_many(self, rows: Iterable[Row]) -> None:
        """Add (title_id, film_id, norm, year, community) rows. A large batch rebuilds the
        tables."""
        with self._lock:
            first = len(self._film_ids)
            pending, counts = self._pending, self._counts
            for title_id, film_id, norm, year, community in rows:
                if not norm:
                    continue
                raw = norm[:_MAX_LEN].encode("ascii", "replace")
                length = len(raw)
                block = pending.get(length)
                if block is None:
                    pending[length] = block = bytearray()
                block += raw
                self._lengths.append(length)
                self._slots.append(counts[length])
                counts[length] += 1
                self._film_ids.append(film_id)
                self._years.append(year or 0)
                if community:
                    self._local.append(len(self._communities))
                self._communities.append(community or 0)
                self._ranks.append(len(self._ranks))
                self.max_title_id = max(self.max_title_id, title_id)
            added = len(self._film_ids) - first
            if self._recent_count + added >= _REBUILD_AT:
                self._rebuild()
                return
            for entry in range(first, len(self._film_ids)):
                norm = self._norm(entry).decode("ascii")
                for code in gram_codes(norm).tolist():
                    key = (len(norm), code)
                    plist = self._recent.get(key)
                    if plist is None:
                        self._recent[key] = plist = array("i")
                    plist.append(entry)
            self._recent_count += added

    def _rebuild(self) -> None:
        lengths = np.frombuffer(self._lengths, dtype=np.uint8).astype(np.int64)
        # Stable: within a length, entry order is slot order (slots are handed out in turn).
        order = np.argsort(lengths, kind="stable")
        bounds = np.searchsorted(lengths[order], np.arange(_MAX_LEN + 2))
        bound = int(lengths.sum())
        del lengths
        # Renumber every entry by (length, slot) (see __init__): entry i is the old order[i].
        for name, dtype in _PER_ENTRY:
            values: array[int] = getattr(self, name)
            moved = np.frombuffer(values, dtype=dtype)[order]
            setattr(self, name, array(values.typecode, moved.tobytes()))
        del order
        self._table_starts = bounds
        self.find_local()

        def groups() -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
            for length in range(1, _MAX_LEN + 1):
                entries = np.arange(bounds[length], bounds[length + 1], dtype=np.int32)
                if not entries.size:
                    continue
                parts = [self._names[length]] if length in self._names else []
                block = self._pending.pop(length, None)
                if block:
                    parts.append(np.frombuffer(bytes(block), dtype=f"S{length}"))
                del block
                names = np.concatenate(parts) if len(parts) > 1 else parts[0]
                self._names[length] = names
                yield length, names, entries

        self._postings = Postings.build(groups(), bound)
        self._recent = {}
        self._recent_count = 0

    def compact(self) -> None:
        """Move every title added one at a time into the length tables (before a save)."""
        with self._lock:
            if self._pending or self._recent:
                self._rebuild()

    def remove_film(self, film_id: int) -> None:
        """Forget every title of a film (edited or deleted); its entries become tombstones."""
        with self._lock:
            films = np.frombuffer(self._film_ids, dtype=np.int32)
            gone = np.flatnonzero(films == film_id).tolist()
            del films  # release the buffer before the array is written to
            for entry in gone:
                self._film_ids[entry] = -1
            self._dead += len(gone)

    def search(
        self,
        norm: str,
        *,
        limit: int = 10,
        year: int | None = None,
        margin: float = 3.0,
        community: int | None = None,
    ) -> list[Hit]:
        """Up to `limit` titles for `norm`, best first, at most one hit per film.

        Exact for the best hit and for every hit within `margin` points of it (what resolution
        needs to tell a clear winner from a tie); further hits are the ones found on the way.
        `community`: only the shared catalogue's titles and that community's (None: all).
        """
        norm = norm[:_MAX_LEN]
        if not norm:
            return []
        codes = gram_codes(norm)
        # Short queries are all edges: allow two edits there (a transposition is two).
        k = max(2, len(norm) // 6)
        query = _Query(norm, codes, k, year, margin, community)
        with self._lock:
            scored = self._search_lengths(query)
            best = max((float(sc.max()) for _, sc, _ in scored if sc.size), default=0.0)
            if best < _WEAK:
                # Nothing close within k edits: a heavily garbled query. Look again using every
                # trigram but the commonest, keeping the titles that share the most of them.
                scored += self._search_lengths(
                    query, best, grams=codes.size, budget=_FALLBACK_BUDGET, widen=False
                )
            return self._hits(scored, limit)

    def _search_lengths(
        self,
        query: _Query,
        best: float = 0.0,
        grams: int | None = None,
        budget: int | None = None,
        widen: bool = True,
    ) -> Scored:
        """Score the titles of plausible lengths, taking the `grams` rarest query trigrams
        (default 3k+1) while their posting lists fit in `budget` entries; `widen` goes on to
        lengths further off where a title could still come within `margin` of the best."""
        grams = grams or 3 * query.k + 1
        q_len = len(query.norm)
        scored: Scored = []  # one per window
        # Window 1: lengths an answer within k edits can have.
        low, high = max(1, q_len - query.k), min(_MAX_LEN, q_len + query.k)
        near = np.arange(low, high + 1)
        self._score_window(query, grams, budget, near, scored)
        if not widen:
            return scored
        # Window 2: other lengths, only where a title could still come within `margin`.
        bar = max(self._bar(scored, query.margin), best - query.margin)
        far = np.flatnonzero(_BEST_POSSIBLE[q_len] > bar)
        far = far[(far < low) | (far > high)]
        if far.size:
            self._score_window(query, grams, budget, far, scored)
        return scored

    @staticmethod
    def _bar(scored: Scored, margin: float) -> float:
        """The score a title must beat to come within `margin` of the best found so far."""
        best = max((float(s.max()) for _, s, _ in scored if s.size), default=0.0)
        return max(_FLOOR, best - margin)

    def _score_window(
        self,
        query: _Query,
        grams: int,
        budget: int | None,
        lengths: np.ndarray,
        scored: Scored,
    ) -> None:
        codes = query.codes
        begin, size = self._postings.spans(lengths, codes)  # lengths × trigrams
        df = size.sum(axis=0)
        recent: list[tuple[int, array[int]]] = []
        if self._recent:
            code_list = codes.tolist()
            for length in lengths.tolist():
                for i, code in enumerate(code_list):
                    plist = self._recent.get((length, code))
                    if plist:
                        recent.append((i, plist))
                        df[i] += len(plist)
        # Rarest first; a trigram absent from these lengths is the rarest of all and costs
        # nothing, yet still counts toward the 3k+1 the pigeonhole argument needs.
        chosen = np.zeros(codes.size, dtype=bool)
        rarest = np.argsort(df, kind="stable")[:grams]
        if budget is not None:
            fits = np.cumsum(df[rarest]) <= budget
            fits[0] = True
            rarest = rarest[fits]
        chosen[rarest] = True
        take = (size > 0) & chosen
        joined = self._postings.gather(begin[take], size[take])
        if recent:
            parts = [np.array(plist, dtype=np.int32) for i, plist in recent if chosen[i]]
            joined = np.concatenate([joined, *parts])
        if not joined.size:
            return
        if joined.size <= _RERANK_LIMIT:
            entries = sorted_distinct(joined)
        else:
            # Too many to rerank: keep the titles that share the most chosen trigrams.
            entries, shared = distinct_counts(joined)
            if entries.size > _RERANK_LIMIT:
                entries = entries[np.argpartition(-shared, _RERANK_LIMIT)[:_RERANK_LIMIT]]
        entries = self._kept(entries, query)
        if entries.size == 0:
            return
        entries, choices = self._choices(entries)
        text = query.norm.encode("ascii", "replace")
        scores = cdist([text], choices, scorer=fuzz.ratio, dtype=np.float32, workers=1)[0]
        scored.append((entries, scores, choices))

    def _kept(self, entries: np.ndarray, query: _Query) -> np.ndarray:
        """The entries of the query's year, of films not removed, that its community sees."""
        if query.year is not None:
            entries = entries[np.frombuffer(self._years, dtype=np.int16)[entries] == query.year]
        if self._dead:
            entries = entries[np.frombuffer(self._film_ids, dtype=np.int32)[entries] >= 0]
        if query.community is not None and self._local:
            local = np.frombuffer(self._local, dtype=np.int32)
            place = np.minimum(np.searchsorted(local, entries), local.size - 1)
            theirs = np.flatnonzero(local[place] == entries)
            if theirs.size:
                owner = np.frombuffer(self._communities, dtype=np.int32)[entries[theirs]]
                entries = np.delete(entries, theirs[owner != query.community])
        return entries

    def find_local(self) -> None:
        """List the entries of local films again (after they were renumbered or loaded)."""
        communities = np.frombuffer(self._communities, dtype=np.int32)
        self._local = array("i", np.flatnonzero(communities).astype(np.int32).tobytes())

    def _hits(self, scored: Scored, limit: int) -> list[Hit]:
        if not scored:
            return []
        entries = np.concatenate([e for e, _, _ in scored])
        scores = np.concatenate([s for _, s, _ in scored])
        # Where each window's titles start among the concatenated entries.
        firsts = list(accumulate((e.size for e, _, _ in scored[:-1]), initial=0))
        places = np.arange(entries.size)
        keep = min(entries.size, limit * 4)  # room for several titles of one film
        if keep < entries.size:
            places = np.argpartition(-scores, keep - 1)[:keep]
            entries, scores = entries[places], scores[places]
        # Best score first, then the title added first.
        order = np.lexsort((np.frombuffer(self._ranks, dtype=np.int32)[entries], -scores))
        hits: list[Hit] = []
        seen_films: set[int] = set()
        film_ids, years = self._film_ids, self._years
        rows = zip(
            entries[order].tolist(), scores[order].tolist(), places[order].tolist(), strict=True
        )
        for entry, value, place in rows:
            film_id = film_ids[entry]
            if film_id < 0 or film_id in seen_films:
                continue
            seen_films.add(film_id)
            window = bisect_right(firsts, place) - 1
            norm = scored[window][2][place - firsts[window]]
            hits.append(Hit(film_id, norm.decode("ascii"), years[entry] or None, value))
            if len(hits) == limit:
                break
        return hits
