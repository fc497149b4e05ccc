"""The console's way with a reply's files: saved under MARQUEE_DATA_DIR/exports, never over
an existing file, and the reply says where each went.

The folder is the data folder's rather than the current one, so a shell started anywhere
keeps its exports in one known place beside the database, and a file the person already has
(yesterday's export) is never replaced: a second one is saved as `community-1-2.zip`.
"""

from __future__ import annotations

from pathlib import Path

from adapters.reply_files import delivered, safe_name, undelivered
from bot.types import Reply, ReplyFile

# Names tried before giving up on a folder that holds community-1.zip … community-1-999.zip.
_TRIES = 1000


def deliver_files(reply: Reply, folder: Path | None) -> Reply:
    """Save the reply's files in `folder` (None: this console saves none) and return the reply
    to show, which says where they went or why they did not."""
    if not reply.files:
        return reply
    if folder is None:
        return undelivered(reply, reply.files, "this console saves no files")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        saved = [save_new(folder, f) for f in reply.files]
    except OSError as exc:
        why = f"it could not be saved in {folder} ({exc.strerror or exc})"
        return undelivered(reply, reply.files, why)
    return delivered(reply, "Saved: " + ", ".join(str(path.resolve()) for path in saved))


def save_new(folder: Path, file: ReplyFile) -> Path:
    """Write `file` under a name no file in `folder` has yet; the exclusive open makes the
    check and the write one step, so even a file made meanwhile is not overwritten."""
    name = Path(safe_name(file.name))
    for n in range(1, _TRIES + 1):
        candidate = folder / (name.name if n == 1 else f"{name.stem}-{n}{name.suffix}")
        try:
            with candidate.open("xb") as out:
                out.write(file.data)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(0, f"{name} and {_TRIES - 1} numbered copies exist already")
