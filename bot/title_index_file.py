"""The title index saved to disk, so a restart maps it into memory instead of rebuilding it.

Why: rebuilding the index of a million titles from the database takes seconds at every start;
mapping a saved copy takes milliseconds, and several processes on one host then share its
pages through the page cache. The copy is a folder of `.npy` arrays (opened with
`mmap_mode="r"`, so nothing is read until a search touches it) and a `meta.json` that says
which rows it holds.

When a copy may be used: it records the newest title id it holds and, over the titles up to
that id, their count and the sums of their ids and years. If the database gives the same
three figures for those titles, no title the copy holds was since removed, renamed or had its
film's year changed (each of those changes a figure: a rename deletes its title rows and
writes new ones), and titles newer than the copy are read from the database as usual. If any
figure differs, the copy is ignored and the index is rebuilt (and saved again).

This module reads and writes `TitleIndex`'s private arrays: it is that class's other half,
kept apart so that the index's search code stays one readable file.
"""

from __future__ import annotations

import json
import os
import shutil
from array import array
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bot.title_index import TitleIndex
from bot.title_trigrams import Postings

# Bump when the layout below changes: older copies are then ignored (and rebuilt). 2: each
# title's community; one set of postings for every length. 3: entries numbered by length.
FORMAT = 3


@dataclass(frozen=True)
class Fingerprint:
    """What the database must still say about the titles the copy holds."""

    max_title_id: int
    count: int
    id_sum: int
    year_sum: int


def save(index: TitleIndex, fingerprint: Fingerprint, folder: Path) -> bool:
    """Write `index` to `folder` (atomically: a new folder renamed over the old one).

    Only a compacted index is saved (every title in the length tables, none pending, none
    removed); returns False, writing nothing, for one that is not.
    """
    with index._lock:
        if index._pending or index._recent or index._dead:
            return False
        lengths = sorted(index._names)
        postings = index._postings
        arrays: dict[str, np.ndarray] = {
            "lengths": np.frombuffer(index._lengths, dtype=np.uint8).copy(),
            "slots": np.frombuffer(index._slots, dtype=np.int32).copy(),
            "film_ids": np.frombuffer(index._film_ids, dtype=np.int32).copy(),
            "years": np.frombuffer(index._years, dtype=np.int16).copy(),
            "communities": np.frombuffer(index._communities, dtype=np.int32).copy(),
            "ranks": np.frombuffer(index._ranks, dtype=np.int32).copy(),
            "name_lengths": np.array(lengths, dtype=np.int64),
            "keys": postings.keys,
            "starts": postings.starts,
            "entries": postings.entries,
        }
        # The titles of each length back to back; `names_bounds` says where each length ends.
        names = [index._names[n].view(np.uint8).ravel() for n in lengths]
        arrays["names"] = np.concatenate(names) if names else np.zeros(0, dtype=np.uint8)
        arrays["names_bounds"] = np.cumsum([0, *(p.size for p in names)]).astype(np.int64)
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = folder.with_name(f"{folder.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    for name, values in arrays.items():
        np.save(building / f"{name}.npy", values, allow_pickle=False)
    meta = {"format": FORMAT, **asdict(fingerprint)}
    (building / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    old = folder.with_name(f"{folder.name}.old-{os.getpid()}")
    if folder.exists():
        folder.rename(old)
    building.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return True


def saved_fingerprint(folder: Path) -> Fingerprint | None:
    """The fingerprint of the copy in `folder`, or None if there is no usable copy."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.pop("format") != FORMAT:
            return None
        return Fingerprint(**meta)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load(folder: Path) -> TitleIndex:
    """The index saved in `folder`, its large arrays mapped rather than read."""

    def mapped(name: str) -> np.ndarray:
        values = np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        # A plain array over the same mapped pages: slicing a `np.memmap` goes through its
        # Python-level __getitem__, which was a third of a search's time.
        return values.view(np.ndarray)

    index = TitleIndex()
    fingerprint = saved_fingerprint(folder)
    if fingerprint is None:
        raise ValueError(f"no saved title index in {folder}")
    # The per-entry arrays are small (15 bytes a title) and grow as titles are added: copied.
    index._lengths = array("B", np.load(folder / "lengths.npy").tobytes())
    index._slots = array("i", np.load(folder / "slots.npy").tobytes())
    index._film_ids = array("i", np.load(folder / "film_ids.npy").tobytes())
    index._years = array("h", np.load(folder / "years.npy").tobytes())
    index._communities = array("i", np.load(folder / "communities.npy").tobytes())
    index.find_local()
    index._ranks = array("i", np.load(folder / "ranks.npy").tobytes())
    index._postings = Postings(
        keys=mapped("keys"), starts=mapped("starts"), entries=mapped("entries")
    )
    names = mapped("names")
    name_bounds = np.load(folder / "names_bounds.npy")
    for i, length in enumerate(np.load(folder / "name_lengths.npy").tolist()):
        block = names[name_bounds[i] : name_bounds[i + 1]]
        index._names[length] = block.view(f"S{length}")
        index._counts[length] = index._names[length].size
    # A saved index is compacted, so its entries are numbered by (length, slot).
    index._table_starts = np.concatenate(([0], np.cumsum(index._counts))).astype(np.int64)
    index.max_title_id = fingerprint.max_title_id
    return index
