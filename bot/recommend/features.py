"""Content features of films (genres, people, countries, languages, decade, keywords) and a
sparse index over them.

Each film is a sparse vector: one entry per feature, weighted by the feature kind's weight times
its inverse document frequency (a shared director says more than a shared "drama"), keywords by
TF-IDF over the film's synopsis and its reviews; rows are L2-normalised and then scaled by the
film's number of features (see `build`), so a dot product is a cosine weighted toward films
known in detail. The index is two compressed sparse layouts of the same entries:

- by film (`row_ptr`, `row_feat`, `row_w`): a film's features, for profiles and scoring;
- by feature (`post_ptr`, `post_row`): the films that have a feature, each list ordered by the
  films' priority (community popularity). Candidate generation reads only the head of each list
  (IR's "champion lists"), so a request never scans the catalogue.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from dataclasses import dataclass

import numpy as np

from bot.normalize import normalize
from bot.recommend.entries import counts_by, postings, row_sums, split_keys, term_weights
from bot.recommend.keys import IdBlock, KeyTable

# How much one shared feature of each kind counts, before its rarity (IDF) is applied.
KIND_WEIGHT: dict[str, float] = {
    "genre": 1.0,
    "director": 1.6,
    "cast": 0.9,
    "country": 0.8,
    "language": 0.5,
    "decade": 0.6,
    "keyword": 1.0,
}
KEYWORDS_PER_FILM = 20
_WORD = re.compile(r"[a-z][a-z'-]{2,}")
# Words that say nothing about a film's subject, so two synopses sharing them are not alike.
STOP_WORDS = frozenset(
    """about above after again against all also among and another any are around because been
    before being between both but can cannot could did does doing down during each even ever
    every film films from further had has have having her here hers herself him himself his how
    into its itself just like made make makes many more most movie much must never new not now
    off once one only other our ours out over own same she should since some still such than
    that the their theirs them themselves then there these they this those through too two under
    until upon very was way were what when where which while who whom why will with within
    without would year years you your yours story life world time first last back takes take
    gets get find finds it's one's review reviews""".split()
)


def keywords(text: str) -> list[str]:
    """Content words of `text`, lowercased and unaccented, stop words dropped."""
    return [w for w in _WORD.findall(normalize(text)) if w not in STOP_WORDS]


def feature_key(kind: str, value: str) -> str:
    return f"{kind}:{value}"


class ContentBuilder:
    """Collects (film row, feature) pairs in compact arrays; `build` turns them into the index.

    Arrays of ints rather than objects per film: a million films fit in tens of megabytes.
    """

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.keys: list[str] = []
        self.kinds: array[int] = array("b")
        self._rows: array[int] = array("i")
        self._feats: array[int] = array("i")
        # Term weights other than 1.0 (keywords' TF-IDF) and the entries they belong to: the
        # other eight million entries at a million films would all be 1.0.
        self._tf_at: array[int] = array("i")
        self._tf: array[float] = array("f")
        self._texts: dict[int, Counter[str]] = {}
        # Integer-valued features (people by id), kept as arrays per kind: see `add_ids`.
        self._id_rows: dict[str, list[np.ndarray]] = {}
        self._id_values: dict[str, list[np.ndarray]] = {}
        self.n_rows = 0
        self._kind_ids = {k: i for i, k in enumerate(KIND_WEIGHT)}

    def _feature(self, key: str, kind: str) -> int:
        fid = self.vocab.get(key)
        if fid is None:
            fid = len(self.keys)
            self.vocab[key] = fid
            self.keys.append(key)
            self.kinds.append(self._kind_ids[kind])
        return fid

    def add(self, row: int, kind: str, value: str, weight: float = 1.0) -> None:
        self.n_rows = max(self.n_rows, row + 1)
        if not value:
            return
        if weight != 1.0:
            self._tf_at.append(len(self._rows))
            self._tf.append(weight)
        self._rows.append(row)
        self._feats.append(self._feature(feature_key(kind, value), kind))

    def add_ids(self, kind: str, rows: np.ndarray, values: np.ndarray) -> None:
        """Features whose values are integers (a director's or actor's person id), many at once:
        no Python string or dict entry per value, and no Python call per entry."""
        if len(rows):
            self.n_rows = max(self.n_rows, int(np.max(rows)) + 1)
            self._id_rows.setdefault(kind, []).append(np.asarray(rows, dtype=np.int32))
            self._id_values.setdefault(kind, []).append(np.asarray(values, dtype=np.int64))

    def add_text(self, row: int, text: str) -> None:
        """Synopsis or review text; its TF-IDF keywords become features at `build`."""
        self.n_rows = max(self.n_rows, row + 1)
        words = keywords(text)
        if words:
            self._texts.setdefault(row, Counter()).update(words)

    def _add_keywords(self) -> None:
        df: Counter[str] = Counter()
        for counts in self._texts.values():
            df.update(counts.keys())
        n_docs = max(1, len(self._texts))
        for row, counts in self._texts.items():
            total = sum(counts.values())
            scored = [
                (c / total * math.log((1 + n_docs) / (1 + df[w])), w)
                for w, c in counts.items()
                if df[w] > 1  # a word no other film shares cannot make two films alike
            ]
            scored.sort(reverse=True)
            for weight, word in scored[:KEYWORDS_PER_FILM]:
                if weight > 0:
                    self.add(row, "keyword", word, weight)
        self._texts.clear()

    def build(self, priority: np.ndarray) -> ContentIndex:
        """The index; `priority` (one value per row, higher first) orders the posting lists.

        Consumes the builder. A million films hold about eight million (film, feature) entries,
        so every int64 copy of them is 64 MB: the entries stay int32/float32, are sorted once by
        film (which also finds duplicates) and once by feature, and the builder's own arrays are
        released as soon as they are copied (measured by bench/bench_recommend.py).
        """
        self._add_keywords()
        n_rows = max(self.n_rows, len(priority))
        n_feats = len(self.keys)
        # The keys as numpy arrays first, so the builder's dict is freed before the sorts below
        # need the memory.
        kinds = np.frombuffer(self.kinds, dtype=np.int8).copy()
        id_parts, blocks, kinds = self._id_features(n_feats, kinds)
        n_feats = len(kinds)
        keys = KeyTable(self.keys, blocks)
        self.vocab, self.keys = {}, []
        # Each entry as one int64 key (film row, then feature), sorted in place: no index array
        # and no lexsort buffers, and the builder's arrays are freed as soon as they are read.
        stride = max(1, n_feats)
        n_str = len(self._rows)
        key = np.empty(n_str + sum(len(r) for r, _ in id_parts), dtype=np.int64)
        key[:n_str] = np.frombuffer(self._rows, dtype=np.int32)
        self._rows = array("i")
        key[:n_str] *= stride
        key[:n_str] += np.frombuffer(self._feats, dtype=np.int32)
        self._feats = array("i")
        at = n_str
        while id_parts:
            rows_part, feats_part = id_parts.pop(0)
            part = key[at : at + len(rows_part)]
            part[:] = rows_part
            part *= stride
            part += feats_part
            at += len(rows_part)
            del rows_part, feats_part, part
        # Term weights other than 1.0, by the same key; an entry listed twice keeps its first.
        tf_keys, first = np.unique(
            key[np.frombuffer(self._tf_at, dtype=np.int32)], return_index=True
        )
        tf_values = np.frombuffer(self._tf, dtype=np.float32)[first]
        self._tf_at, self._tf = array("i"), array("f")
        key.sort()
        # A film listed with the same feature twice (two review texts, a repeated genre) once.
        if len(key) > 1:
            again = key[1:] == key[:-1]
            if again.any():
                key = key[np.concatenate(([True], ~again))]
            del again
        rows, feats = split_keys(key, stride)
        df = counts_by(feats, n_feats)
        idf = (np.log((1 + n_rows) / (1 + df)) + 1.0).astype(np.float32)
        kind_weight = np.array(list(KIND_WEIGHT.values()), dtype=np.float32)[kinds]
        is_keyword = kinds == list(KIND_WEIGHT).index("keyword")
        # Keyword weights are already TF-IDF; other kinds are present-or-not, weighted by rarity.
        w = idf[feats]
        keyword = np.flatnonzero(is_keyword[feats])
        w[keyword] = term_weights(key[keyword], tf_keys, tf_values) * np.float32(10.0)
        del key, keyword
        w *= kind_weight[feats]
        lens = counts_by(rows, n_rows)
        norms = np.sqrt(row_sums(rows, w, n_rows))
        # L2-normalised, then scaled by how many features the film has: over unit vectors, a
        # film known only by its genre matches a taste as well as one with its director, cast
        # and countries too, and such sparse films crowded the content top ten. Measured by
        # bench/eval_recommend.py (docs/recommendations.md): better on both splits and on new
        # films, where the catalogue join goes from hurting (NDCG@10 0.022) to helping (0.078).
        # A member's taste profile sums such rows (so films known in detail shape it more) and
        # is normalised again.
        scale = np.where(norms > 0, lens / np.where(norms > 0, norms, 1.0), 0.0)
        w *= scale.astype(np.float32)[rows]
        del norms, scale, rows
        row_ptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(lens, out=row_ptr[1:])
        # Posting lists: by feature, then by the film's priority (higher first), then by row.
        pri = np.asarray(priority, dtype=np.float64)
        pri = np.concatenate([pri, np.zeros(n_rows - len(pri))]) if len(pri) < n_rows else pri
        by_rank = np.lexsort((np.arange(n_rows), -pri)).astype(np.int32)
        post_ptr = np.zeros(n_feats + 1, dtype=np.int64)
        np.cumsum(df, out=post_ptr[1:])
        post_row = postings(feats, row_ptr, post_ptr, by_rank)
        del by_rank
        return ContentIndex(
            n_rows=n_rows,
            keys=keys,
            kinds=kinds,
            row_ptr=row_ptr,
            row_feat=feats,
            row_w=w,
            post_ptr=post_ptr,
            post_row=post_row,
        )

    def _id_features(
        self, first: int, kinds: np.ndarray
    ) -> tuple[list[tuple[np.ndarray, np.ndarray]], tuple[IdBlock, ...], np.ndarray]:
        """Feature ids for the `add_ids` entries, numbered from `first` a kind at a time in
        the order of their values: ([(rows, feature ids)], the key blocks, every kind)."""
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        blocks: list[IdBlock] = []
        kind_parts = [kinds]
        for kind in list(self._id_rows):
            rows = np.concatenate(self._id_rows.pop(kind))
            values = np.concatenate(self._id_values.pop(kind))
            uniq, inverse = np.unique(values, return_inverse=True)
            del values
            parts.append((rows, (inverse + first).astype(np.int32)))
            blocks.append(IdBlock(kind, first, uniq))
            kind_parts.append(np.full(len(uniq), self._kind_ids[kind], dtype=np.int8))
            first += len(uniq)
        return parts, tuple(blocks), np.concatenate(kind_parts)


@dataclass(frozen=True)
class Profile:
    """A sparse vector over features: sorted feature ids and their weights (L2-normalised)."""

    feats: np.ndarray
    weights: np.ndarray

    @property
    def empty(self) -> bool:
        return len(self.feats) == 0


EMPTY_PROFILE = Profile(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))


@dataclass(frozen=True)
class ContentIndex:
    n_rows: int
    keys: KeyTable
    kinds: np.ndarray
    row_ptr: np.ndarray
    row_feat: np.ndarray
    row_w: np.ndarray
    post_ptr: np.ndarray
    post_row: np.ndarray

    def features(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.row_ptr[row], self.row_ptr[row + 1]
        return self.row_feat[a:b], self.row_w[a:b]

    def keys_of(self, row: int) -> list[str]:
        return [self.keys[f] for f in self.features(row)[0]]

    def posting(self, feat: int, limit: int | None = None) -> np.ndarray:
        a, b = self.post_ptr[feat], self.post_ptr[feat + 1]
        return self.post_row[a : b if limit is None else min(b, a + limit)]

    def profile(self, rows: np.ndarray, prefs: np.ndarray, max_features: int = 64) -> Profile:
        """The preference-weighted sum of the films' vectors: what a member's taste looks like."""
        keep = prefs > 0
        rows, prefs = rows[keep], prefs[keep]
        if len(rows) == 0:
            return EMPTY_PROFILE
        feats, weights = self._gather(rows)
        lens = self.row_ptr[rows + 1] - self.row_ptr[rows]
        weights = weights * np.repeat(prefs, lens)
        uniq, inverse = np.unique(feats, return_inverse=True)
        summed = np.bincount(inverse, weights=weights)
        if len(uniq) > max_features:
            top = np.argpartition(-summed, max_features)[:max_features]
            uniq, summed = uniq[top], summed[top]
        order = np.argsort(uniq)
        uniq, summed = uniq[order], summed[order]
        norm = float(np.sqrt((summed * summed).sum()))
        if norm == 0:
            return EMPTY_PROFILE
        return Profile(uniq.astype(np.int32), (summed / norm).astype(np.float32))

    def candidates(self, profile: Profile, per_feature: int, max_features: int = 16) -> np.ndarray:
        """Films sharing the profile's strongest features: the head of each posting list."""
        if profile.empty:
            return np.zeros(0, dtype=np.int32)
        strongest = np.argsort(-profile.weights)[:max_features]
        parts = [self.posting(int(profile.feats[i]), per_feature) for i in strongest]
        return np.unique(np.concatenate(parts))

    def similarity(self, profile: Profile, rows: np.ndarray) -> np.ndarray:
        """Cosine of each film in `rows` with the profile, without touching any other film."""
        if profile.empty or len(rows) == 0:
            return np.zeros(len(rows))
        feats, weights = self._gather(rows)
        pos = np.searchsorted(profile.feats, feats)
        pos[pos == len(profile.feats)] = 0
        hit = profile.feats[pos] == feats
        contrib = np.where(hit, weights * profile.weights[pos], 0.0)
        lens = self.row_ptr[rows + 1] - self.row_ptr[rows]
        segment = np.repeat(np.arange(len(rows)), lens)
        return np.bincount(segment, weights=contrib, minlength=len(rows))

    def rows_with_any(self, feats: list[int]) -> np.ndarray:
        """Every film with at least one of `feats` (a filter: reads whole posting lists)."""
        if not feats:
            return np.zeros(0, dtype=np.int32)
        return np.unique(np.concatenate([self.posting(f) for f in feats]))

    def _gather(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = np.asarray(rows, dtype=np.int64)
        starts = self.row_ptr[rows]
        lens = self.row_ptr[rows + 1] - starts
        total = int(lens.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        # Positions of every entry of every row, without a Python loop over the rows.
        offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total)
        return self.row_feat[offsets], self.row_w[offsets].astype(np.float64)
