"""A built recommendation index as one file, written by the process that built it and mapped
into memory by the one that serves it (`bot.recommend.rebuild`).

The layout is a small JSON header (each array's name, dtype, shape and offset, plus the few
scalars) followed by the arrays' raw bytes, each 64-byte aligned. Loading maps the file and
views the arrays in place: no copy, no parsing, so swapping in a new index costs the serving
process a few milliseconds whatever the catalogue's size, and the pages are the operating
system's to share or evict. The arrays are read-only, as a built `Recommender` is.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

from bot.recommend.community import Ratings
from bot.recommend.ease import Ease
from bot.recommend.features import ContentIndex
from bot.recommend.keys import IdBlock, KeyTable
from bot.recommend.model import Recommender
from bot.recommend.scores import BlendWeights

# 2: ratings and films carry their community (each community's statistics are its own).
MAGIC = b"MARQREC2"
ALIGN = 64


def save(rec: Recommender, path: Path) -> None:
    """Write `rec` to `path` (created or replaced)."""
    c, e, r = rec.content, rec.collaborative, rec.ratings
    arrays: dict[str, np.ndarray] = {
        "film_ids": rec.film_ids,
        "rating_count": rec.rating_count,
        "critic_count": rec.critic_count,
        "critic_mean": rec.critic_mean,
        "kinds": c.kinds,
        "row_ptr": c.row_ptr,
        "row_feat": c.row_feat,
        "row_w": c.row_w,
        "post_ptr": c.post_ptr,
        "post_row": c.post_row,
        "ease_rows": e.rows,
        "ease_weights": e.weights,
        "ease_raters_ptr": e.raters_ptr,
        "ease_raters": e.raters,
        # Every rating with its community, and each film's: the serving process computes a
        # community's statistics and visible films from them on its first request.
        "film_community": rec.film_community,
        "rat_users": r.users,
        "rat_rows": r.rows,
        "rat_stars": r.stars,
        "rat_critic": r.critic,
        "rat_community": r.communities(),
        **c.keys.arrays(),
    }
    specs: list[dict[str, Any]] = []
    offset = 0
    for name, a in arrays.items():
        specs.append({"name": name, "dtype": a.dtype.str, "shape": list(a.shape), "at": offset})
        offset += -(-a.nbytes // ALIGN) * ALIGN
    header = json.dumps(
        {
            "arrays": specs,
            "n_rows": c.n_rows,
            "blocks": [[b.kind, b.start] for b in c.keys.blocks],
            "weights": [rec.weights.collaborative, rec.weights.content, rec.weights.popularity],
        }
    ).encode()
    start = -(-(len(MAGIC) + 8 + len(header)) // ALIGN) * ALIGN
    with path.open("wb") as f:
        f.write(MAGIC + struct.pack("<Q", len(header)) + header)
        for spec, a in zip(specs, arrays.values(), strict=True):
            f.seek(start + int(spec["at"]))
            f.write(np.ascontiguousarray(a).tobytes(order="C") if a.nbytes else b"")
        f.truncate(start + offset)


def load(path: Path) -> Recommender:
    """The index saved at `path`, its arrays mapped from the file (read-only)."""
    with path.open("rb") as f:
        head = f.read(len(MAGIC) + 8)
        if head[: len(MAGIC)] != MAGIC:
            raise ValueError(f"{path} is not a recommendation index")
        (length,) = struct.unpack("<Q", head[len(MAGIC) :])
        header: dict[str, Any] = json.loads(f.read(length))
    start = -(-(len(MAGIC) + 8 + length) // ALIGN) * ALIGN
    mapped = np.memmap(path, dtype=np.uint8, mode="r") if path.stat().st_size > start else None
    a: dict[str, np.ndarray] = {}
    for spec in header["arrays"]:
        dtype, shape = np.dtype(spec["dtype"]), tuple(spec["shape"])
        count = int(np.prod(shape)) if shape else 1
        if count == 0 or mapped is None:
            a[spec["name"]] = np.zeros(shape, dtype=dtype)
            continue
        view = np.frombuffer(mapped, dtype=dtype, count=count, offset=start + int(spec["at"]))
        a[spec["name"]] = view.reshape(shape)
    blocks = tuple(IdBlock(kind, int(at), a[f"block_{kind}"]) for kind, at in header["blocks"])
    content = ContentIndex(
        n_rows=int(header["n_rows"]),
        keys=KeyTable(a["keys"], blocks, a["keys_order"]),
        kinds=a["kinds"],
        row_ptr=a["row_ptr"],
        row_feat=a["row_feat"],
        row_w=a["row_w"],
        post_ptr=a["post_ptr"],
        post_row=a["post_row"],
    )
    ease = Ease(a["ease_rows"], a["ease_weights"], a["ease_raters_ptr"], a["ease_raters"])
    ratings = Ratings(
        a["rat_users"], a["rat_rows"], a["rat_stars"], a["rat_critic"], a["rat_community"]
    )
    return Recommender(
        a["film_ids"],
        content,
        ease,
        a["rating_count"],
        a["critic_count"],
        a["critic_mean"],
        BlendWeights(*header["weights"]),
        ratings,
        a["film_community"],
    )
