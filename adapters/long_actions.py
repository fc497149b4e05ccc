"""Actions too long for a platform's component value, kept in memory under a short key.

Both chat adapters carry a click's whole action in the component itself, so a click needs no
server state and works on any process after a restart. The rare one too long for the
platform's limit (long search words plus a page) is kept here instead, bounded: the least
recently used are forgotten first, and a click on a forgotten one is answered with
`EXPIRED`, the same words on both platforms.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Generic, TypeVar

KEPT = 20_000  # long actions remembered per table
EXPIRED = "This button has expired. Please run the command again."

T = TypeVar("T")


class LongActions(Generic[T]):
    """At most `size` long actions, least recently used forgotten first."""

    def __init__(self, size: int = KEPT) -> None:
        self.size = size
        self._kept: OrderedDict[str, T] = OrderedDict()

    def keep(self, text: str, action: T) -> str:
        """Remember `action` (written out as `text`) and return its 24-character key."""
        key = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
        self._kept[key] = action
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return key

    def get(self, key: str) -> T | None:
        action = self._kept.get(key)
        if action is not None:
            self._kept.move_to_end(key)  # a button still in use is kept longest
        return action

    def __len__(self) -> int:
        return len(self._kept)
