"""Files sent to the fake Discord: the multipart bodies discord.py sends with `discord.File`s.

A message with files arrives as `multipart/form-data`: a `payload_json` part (the JSON body
a message without files has) and one `files[n]` part per file, which the payload's
`attachments` entries name by `id: n`. Discord refuses a file over its upload limit, or a body
over its request limit, with 413 and code 40005 and keeps nothing; the fake does the same, and
turns every file it takes into an attachment object on the message, its bytes served at the
attachment's URL as Discord's CDN would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from tests.discord_adapter.limits import Problem

_FILE_PART = re.compile(r"files\[(\d+)\]")


@dataclass(frozen=True)
class Upload:
    index: int  # the n of its `files[n]` part
    filename: str
    data: bytes


class BadMultipart(Exception):
    """A multipart body Discord would not read (no payload_json, a part it does not know)."""


async def read_multipart(request: web.Request) -> tuple[dict[str, Any], list[Upload]]:
    """The payload and the files of a multipart request."""
    reader = await request.multipart()
    payload: dict[str, Any] | None = None
    uploads: list[Upload] = []
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise BadMultipart("a nested multipart body")
        if part.name == "payload_json":
            payload = json.loads(await part.text())
        elif part.name and (match := _FILE_PART.fullmatch(part.name)):
            uploads.append(Upload(int(match[1]), part.filename or "", bytes(await part.read())))
        else:
            raise BadMultipart(f"an unknown form field {part.name!r}")
    if payload is None:
        raise BadMultipart("no payload_json")
    return payload, uploads


def attach_uploads(
    message: MutableMapping[str, Any],
    uploads: list[Upload],
    new_id: Callable[[], str],
    store: MutableMapping[str, bytes],
    base_url: str,
) -> list[Problem]:
    """Replace the `attachments` entries that name an upload with the attachment objects
    Discord makes of them; what Discord would refuse instead, as problems."""
    by_index = {u.index: u for u in uploads}
    entries = message.get("attachments")
    if entries is None:  # without `attachments`, Discord attaches every file sent
        entries = [{"id": u.index, "filename": u.filename} for u in uploads]
    made: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for i, entry in enumerate(entries):
        upload = by_index.get(int(entry["id"])) if str(entry.get("id", "")).isdigit() else None
        if upload is None and str(entry.get("id")) in store:
            made.append(dict(entry))  # an attachment the message has already: kept
            continue
        if upload is None:
            problems.append((f"attachments.{i}.id", "ATTACHMENT_NOT_FOUND", "Unknown attachment"))
            continue
        attachment_id = new_id()
        filename = str(entry.get("filename") or upload.filename)
        store[attachment_id] = upload.data
        url = f"{base_url}/attachments/{attachment_id}/{filename}"
        made.append(
            {
                "id": attachment_id,
                "filename": filename,
                "size": len(upload.data),
                "url": url,
                "proxy_url": url,
                "content_type": "application/octet-stream",
            }
        )
    message["attachments"] = made
    return problems


def too_large(uploads: list[Upload], file_max: int, request_max: int) -> bool:
    return any(len(u.data) > file_max for u in uploads) or (
        sum(len(u.data) for u in uploads) > request_max
    )
