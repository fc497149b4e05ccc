"""Trigram numbers of normalised titles and the per-length posting table built from them (the
layout is described in bot/title_index.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

_ALPHABET = b" 0123456789abcdefghijklmnopqrstuvwxyz"
_CODE = np.zeros(256, dtype=np.int64)
_CODE[np.frombuffer(_ALPHABET, dtype=np.uint8)] = np.arange(len(_ALPHABET))
_CODE32 = _CODE.astype(np.int32)
_A = len(_ALPHABET)


def trigrams(norm: str) -> set[str]:
    """The trigrams of " norm ", so that short words and word edges count too."""
    padded = f" {norm} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def sorted_distinct(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting (numpy 2's hash-based unique is several times slower here)."""
    values = np.sort(values)
    if values.size < 2:
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def distinct_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values = np.sort(values)
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    return values[starts], np.diff(np.append(starts, values.size))


def gram_codes(norm: str) -> np.ndarray:
    """The distinct trigram numbers of " norm " (norm is already normalised: [ 0-9a-z])."""
    codes = _CODE[np.frombuffer(f" {norm} ".encode("ascii", "replace"), dtype=np.uint8)]
    return sorted_distinct(codes[:-2] * (_A * _A) + codes[1:-1] * _A + codes[2:])


# A title of length n holding trigram g is listed under the key n·37³ + g: one sorted key array
# serves every length, so the lengths a search looks at are found with one `searchsorted`.
_KEY_STRIDE = _A**3


@dataclass(frozen=True)
class Postings:
    """The postings of every title in the tables: `entries[starts[i]:starts[i + 1]]` are the
    entry numbers (ascending) of the titles listed under `keys[i]`."""

    keys: np.ndarray  # int64, sorted, distinct (length, trigram) keys
    starts: np.ndarray  # int64, len(keys) + 1
    entries: np.ndarray  # int32

    @classmethod
    def empty(cls) -> Postings:
        return cls(
            keys=np.zeros(0, dtype=np.int64),
            starts=np.zeros(1, dtype=np.int64),
            entries=np.zeros(0, dtype=np.int32),
        )

    @classmethod
    def build(cls, groups: Iterable[tuple[int, np.ndarray, np.ndarray]], bound: int) -> Postings:
        """`groups` are (length, titles as an `S<length>` array, their entry numbers), lengths
        ascending; `bound` is at least the sum of the titles' lengths (a title of n characters
        has n trigrams). The entries are written straight into one array of `bound`: its tail
        beyond the distinct trigrams is never touched, so it never becomes resident."""
        out = np.empty(bound, dtype=np.int32)
        keys: list[np.ndarray] = []
        starts: list[np.ndarray] = []
        filled = 0
        for length, names, entries in groups:
            packed = _title_grams(names, length)
            grams = packed >> 24
            first = np.flatnonzero(np.concatenate(([True], grams[1:] != grams[:-1])))
            keys.append(grams[first] + length * _KEY_STRIDE)
            starts.append(first + filled)
            out[filled : filled + packed.size] = entries[packed & ((1 << 24) - 1)]
            filled += packed.size
            del packed, grams
        if not keys:
            return cls.empty()
        return cls(
            keys=np.concatenate(keys),
            starts=np.append(np.concatenate(starts), filled),
            entries=out[:filled],
        )

    def spans(self, lengths: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each length (rows) and trigram (columns): where its entries start and how many
        there are (0 if none)."""
        wanted = lengths[:, None] * _KEY_STRIDE + codes[None, :]
        if not self.keys.size:
            return np.zeros_like(wanted), np.zeros_like(wanted)
        idx = np.minimum(np.searchsorted(self.keys, wanted), self.keys.size - 1)
        begin = self.starts[idx]
        size = self.starts[idx + 1] - begin
        size[self.keys[idx] != wanted] = 0
        return begin, size

    def gather(self, begin: np.ndarray, size: np.ndarray) -> np.ndarray:
        """The entries of the spans (begin, size), one after another."""
        ends = np.cumsum(size)
        if not ends.size or not ends[-1]:
            return np.zeros(0, dtype=np.int32)
        shift = np.repeat(begin - (ends - size), size)
        return self.entries[np.arange(int(ends[-1])) + shift]


def _title_grams(names: np.ndarray, length: int) -> np.ndarray:
    """(trigram << 24 | title's place in `names`) of every distinct trigram of each title,
    sorted: grouped by trigram, titles ascending within one."""
    count = names.size
    padded = np.full((count, length + 2), ord(" "), dtype=np.uint8)
    padded[:, 1:-1] = names.view(np.uint8).reshape(count, length)
    # int32 until the packing (trigrams are below 37³): these arrays set the build's peak.
    codes = _CODE32[padded]
    grams = codes[:, :-2] * (_A * _A) + codes[:, 1:-1] * _A + codes[:, 2:]
    del codes, padded
    owner = np.repeat(np.arange(count, dtype=np.int64), length)
    # One sort groups by trigram and drops a title's repeated trigrams.
    packed = (grams.ravel().astype(np.int64) << 24) | owner
    del grams, owner
    return sorted_distinct(packed)
