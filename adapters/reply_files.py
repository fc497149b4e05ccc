"""What every adapter does alike with the files a `Reply` carries (bot/types.py `ReplyFile`).

Each platform delivers a file its own way (Discord attaches it to the answer, Slack uploads it,
the console saves it); all of them name it safely, and when the platform will not take it, the
person reads why and the file's `instead` (how else to get the same data). A reply with files
is always answered late by the chat adapters: an upload can outlast the 3 seconds both
platforms give an interaction's first answer.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.types import Notice, Reply, ReplyFile

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
NAME_MAX = 100


def safe_name(name: str) -> str:
    """A file name with no folder, no hidden-file dot and nothing a shell or a platform would
    read as more than a name: letters, digits, `.`, `_` and `-`."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("-", base).strip(".-") or "marquee-file"
    if len(cleaned) > NAME_MAX:
        stem, dot, suffix = cleaned.rpartition(".")
        cleaned = stem[: NAME_MAX - len(suffix) - 1] + dot + suffix if dot else cleaned[:NAME_MAX]
    return cleaned


def size_text(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 100 * 1024 else f"{size / 1024:.0f} KB"


def delivered(reply: Reply, where: str | None = None) -> Reply:
    """The reply to show once its files went out, saying where when that is not obvious."""
    more = (Notice(where),) if where else ()
    return replace(reply, blocks=(*reply.blocks, *more), files=())


def undelivered(reply: Reply, files: tuple[ReplyFile, ...], why: str) -> Reply:
    """The reply to show when `files` could not go out: why, and what to do instead."""
    names = ", ".join(safe_name(f.name) for f in files)
    insteads = " ".join(dict.fromkeys(f.instead for f in files if f.instead))
    verb = "is" if len(files) == 1 else "are"
    text = f"{names} {verb} not attached: {why}. {insteads}".rstrip()
    return replace(reply, blocks=(*reply.blocks, Notice(text)), files=())
