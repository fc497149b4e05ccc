"""Trigram numbers of normalised titles and the per-length posting table built from them (the
layout is described in bot/title_index.py)."""

from __future__ import annotations

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


@dataclass(frozen=True)
class LengthTable:
    """The postings of every title of one length."""

    grams: np.ndarray  # int64, sorted, distinct trigram numbers
    offsets: np.ndarray  # int64, len(grams) + 1: where each trigram's entries start
    entries: np.ndarray  # int32 entry numbers, ascending within a trigram

    @classmethod
    def build(cls, names: np.ndarray, entries: np.ndarray, length: int) -> LengthTable:
        """`names` is an `S<length>` array of titles; `entries` are their entry numbers."""
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
        packed = sorted_distinct(packed)
        keys = packed >> 24
        first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        return cls(
            grams=keys[first],
            offsets=np.append(first, keys.size),
            entries=entries[packed & ((1 << 24) - 1)].astype(np.int32),
        )

    def spans(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each trigram: where its entries start and how many there are (0 if absent)."""
        idx = np.minimum(np.searchsorted(self.grams, codes), self.grams.size - 1)
        found = self.grams[idx] == codes
        begin = self.offsets[idx]
        return begin, np.where(found, self.offsets[idx + 1] - begin, 0)
