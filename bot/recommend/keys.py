"""Feature keys ("genre:drama", "director:42") and their ids, as numpy arrays, not Python objects.

Hundreds of thousands of small strings in a dict would be walked by every full garbage
collection of the process, a pause of tens of milliseconds in whatever request triggers it; a
few arrays and a binary search cost nothing to the collector. Kinds whose values are integers
(people, by person id) are not strings at all: each is one sorted array of ids, and its key is
"<kind>:<id>" only when asked for. At a million films those are 450,000 people, whose keys as
Python strings in the builder's dict cost about 130 MB at the build's peak.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class IdBlock:
    """Features `start` … `start + len(values) - 1`: kind `kind` with these integer values."""

    kind: str
    start: int
    values: np.ndarray  # int64, sorted, unique


class KeyTable:
    """Feature id ↔ key. String keys take ids 0 … n−1 in the order given; then each IdBlock."""

    def __init__(
        self,
        keys: list[str] | np.ndarray,
        blocks: tuple[IdBlock, ...] = (),
        order: np.ndarray | None = None,
    ) -> None:
        if isinstance(keys, np.ndarray):
            encoded = keys
        else:
            encoded = np.array([k.encode() for k in keys] or [b""], dtype=bytes)[: len(keys)]
        self._keys = encoded
        self._order = np.argsort(encoded, kind="stable") if order is None else order
        self._sorted = encoded[self._order]
        self.blocks = blocks
        self._by_kind = {b.kind: b for b in blocks}

    def __len__(self) -> int:
        return len(self._keys) + sum(len(b.values) for b in self.blocks)

    def __getitem__(self, feat: int) -> str:
        if feat < len(self._keys):
            return bytes(self._keys[feat]).decode()
        for block in self.blocks:
            if feat < block.start + len(block.values):
                return f"{block.kind}:{int(block.values[feat - block.start])}"
        raise IndexError(feat)

    def get(self, key: str) -> int | None:
        kind, _, value = key.partition(":")
        block = self._by_kind.get(kind)
        if block is not None and value.isdecimal() and len(block.values):
            i = int(np.searchsorted(block.values, int(value)))
            if i < len(block.values) and block.values[i] == int(value):
                return block.start + i
        wanted = key.encode()
        i = int(np.searchsorted(self._sorted, wanted))
        if i < len(self._sorted) and self._sorted[i] == wanted:
            return int(self._order[i])
        return None

    def with_prefix(self, prefix: str) -> list[str]:
        lo = int(np.searchsorted(self._sorted, prefix.encode()))
        hi = int(np.searchsorted(self._sorted, prefix.encode() + b"\xff"))
        found = [bytes(k).decode() for k in self._sorted[lo:hi]]
        for block in self.blocks:  # only genres are listed today; people never are
            found += [
                k for v in block.values.tolist() if (k := f"{block.kind}:{v}").startswith(prefix)
            ]
        return found

    def arrays(self) -> dict[str, np.ndarray]:
        """What `bot.recommend.index_file` saves (the block kinds and starts go in its header)."""
        out = {"keys": self._keys, "keys_order": self._order}
        for block in self.blocks:
            out[f"block_{block.kind}"] = block.values
        return out
