"""Keys seen in one import (calendar UIDs, IMDb ids), in flat memory.

A million keys as a Python set would cost about 70 MB; here each is a 64-bit hash in sorted
numpy arrays (8 bytes) plus its line number (4). Batches become sorted runs that are merged when a
run is no bigger than the one before it (as in a binary counter), so each key is copied about
log₂(batches) times and a lookup searches a handful of runs: merging every batch into a single
array instead spent 7 s of a million-row import. Hashes come from Python's `hash`, stable
within one process, which is all one import needs.
"""

from __future__ import annotations

import numpy as np


class KeyTracker:
    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted hashes, their lines)

    def __len__(self) -> int:
        return sum(int(h.size) for h, _ in self._runs)

    def add_batch(self, keys: list[str], lines: list[int]) -> dict[int, int]:
        """Add a batch; returns {index in batch: line it repeats} for keys already seen."""
        repeats: dict[int, int] = {}
        first: dict[int, int] = {}
        indexes: list[int] = []
        for i, (key, line) in enumerate(zip(keys, lines, strict=True)):
            h = hash(key)
            if h in first:
                repeats[i] = first[h]
                continue
            first[h] = line
            indexes.append(i)
        if not indexes:
            return repeats
        hashes = np.fromiter(first.keys(), dtype=np.int64, count=len(first))
        found_lines = np.fromiter(first.values(), dtype=np.int32, count=len(first))
        fresh = np.ones(hashes.size, dtype=bool)
        for run_hashes, run_lines in self._runs:
            pos = np.minimum(np.searchsorted(run_hashes, hashes), run_hashes.size - 1)
            seen = (run_hashes[pos] == hashes) & fresh
            for j in np.flatnonzero(seen).tolist():
                repeats[indexes[j]] = int(run_lines[pos[j]])
            fresh &= ~seen
        hashes, found_lines = hashes[fresh], found_lines[fresh]
        order = np.argsort(hashes, kind="stable")
        self._runs.append((hashes[order], found_lines[order]))
        while len(self._runs) > 1 and self._runs[-2][0].size <= self._runs[-1][0].size * 2:
            newer, older = self._runs.pop(), self._runs.pop()
            self._runs.append(_merge(older, newer))
        return repeats

    def contains(self, keys: list[str]) -> list[bool]:
        if not keys:
            return []
        hashes = np.array([hash(k) for k in keys], dtype=np.int64)
        found = np.zeros(hashes.size, dtype=bool)
        for run_hashes, _ in self._runs:
            if run_hashes.size:
                pos = np.minimum(np.searchsorted(run_hashes, hashes), run_hashes.size - 1)
                found |= run_hashes[pos] == hashes
        return found.tolist()


def _merge(
    older: tuple[np.ndarray, np.ndarray], newer: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted runs as one, placing the newer run's keys by binary search (no argsort: its
    index arrays would double the peak memory of the last, biggest merge)."""
    (a_hashes, a_lines), (b_hashes, b_lines) = older, newer
    size = a_hashes.size + b_hashes.size
    slots = np.searchsorted(a_hashes, b_hashes) + np.arange(b_hashes.size)
    rest = np.ones(size, dtype=bool)
    rest[slots] = False
    hashes = np.empty(size, dtype=np.int64)
    lines = np.empty(size, dtype=np.int32)
    hashes[slots], lines[slots] = b_hashes, b_lines
    hashes[rest], lines[rest] = a_hashes, a_lines
    return hashes, lines
