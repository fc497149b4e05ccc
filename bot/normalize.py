"""One normal form for titles, names and queries, so "Östlund", "ostlund" and "OSTLUND!" meet."""

from __future__ import annotations

import re
from functools import lru_cache

from anyascii import anyascii

_NOT_WORD = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Transliterate to ASCII (ø→o, æ→ae, ß→ss), casefold, and turn punctuation into spaces.

    `anyascii` rather than NFKD: decomposition strips accents but leaves ø, æ, ł and ß alone.
    """
    ascii_text = text if text.isascii() else anyascii(text)  # most titles need no work here
    return " ".join(_NOT_WORD.sub(" ", ascii_text.casefold()).split())


def split_list(text: str | None, sep: str = ",") -> list[str]:
    """ "a, b ,, c" → ["a", "b", "c"]; keeps the order and drops duplicates."""
    seen: dict[str, None] = {}
    for part in (text or "").split(sep):
        part = " ".join(part.split())
        if part and part.casefold() not in {k.casefold() for k in seen}:
            seen[part] = None
    return list(seen)
