"""One normal form for titles, names and queries, so "Östlund", "ostlund" and "OSTLUND!" meet."""

from __future__ import annotations

import re
from functools import lru_cache

from anyascii import anyascii

from storage.limits import NORM_MAX

_NOT_WORD = re.compile(r"[^0-9a-z]+")
# Only short texts are cached: titles and names repeat, a pasted 100,000-character query
# doesn't, and 65,536 of those would hold gigabytes.
CACHED_MAX = 512


def normalize(text: str) -> str:
    """Transliterate to ASCII, casefold, punctuation to spaces (see `_normalize`); linear."""
    return _cached(text) if len(text) <= CACHED_MAX else _normalize(text)


def _normalize(text: str) -> str:
    """Transliterate to ASCII (ø→o, æ→ae, ß→ss), casefold, and turn punctuation into spaces.

    `anyascii` rather than NFKD: decomposition strips accents but leaves ø, æ, ł and ß alone.
    """
    ascii_text = text if text.isascii() else anyascii(text)  # most titles need no work here
    norm = " ".join(_NOT_WORD.sub(" ", ascii_text.casefold()).split())
    # Transliteration can lengthen text many times (an emoji becomes ":woman_mechanic:…"):
    # cut here, so what is stored and what a lookup computes are the same string, and it
    # always fits a norm column.
    return norm if len(norm) <= NORM_MAX else norm[:NORM_MAX].rstrip()


_cached = lru_cache(maxsize=65536)(_normalize)


def split_list(text: str | None, sep: str = ",") -> list[str]:
    """ "a, b ,, c" → ["a", "b", "c"]; keeps the order and drops duplicates."""
    out: list[str] = []
    folded: set[str] = set()  # one set for the whole list: linear in the number of parts
    for part in (text or "").split(sep):
        part = " ".join(part.split())
        key = part.casefold()
        if part and key not in folded:
            folded.add(key)
            out.append(part)
    return out
