"""Slack's external file upload, as the fake Slack serves it to slack_sdk's `files_upload_v2`.

Three steps, each checked as Slack checks it:

1. `files.getUploadURLExternal` (scope files:write) takes a filename and the file's `length`
   in bytes and answers a file id and an upload URL, here on the fake's own server.
2. The bytes are POSTed to that URL; a body whose length is not the one declared is refused
   (400), and so is a second upload to the same URL.
3. `files.completeUploadExternal` (scope files:write) takes the ids and shares the files into
   `channel_id`: an id Slack never issued, or whose bytes never arrived, is `file_not_found`;
   a DM the bot never opened is `channel_not_found`; a channel the bot is not in,
   `not_in_channel`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

FILES_SCOPE = "files:write"
UPLOAD_PATH = "/upload/v1/{key}"


@dataclass
class PendingFile:
    id: str
    filename: str
    length: int
    data: bytes | None = None  # arrived at the upload URL
    title: str | None = None
    channel: str | None = None  # shared into it by completeUploadExternal


@dataclass
class SharedFile:
    """A file completeUploadExternal shared, as a test reads it."""

    id: str
    filename: str
    title: str | None
    channel: str
    data: bytes
    initial_comment: str | None


@dataclass
class FileStore:
    # Scopes the app was not granted: the methods that need one answer missing_scope.
    missing_scopes: set[str] = field(default_factory=set)
    # Channels (not DMs) the bot is not a member of.
    outside_channels: set[str] = field(default_factory=set)
    pending: dict[str, PendingFile] = field(default_factory=dict)  # file id →
    by_key: dict[str, str] = field(default_factory=dict)  # upload URL key → file id
    shared: list[SharedFile] = field(default_factory=list)
    opened_dms: set[str] = field(default_factory=set)
    # Every POST that reached an upload URL: (file id, bytes received, accepted).
    uploads: list[tuple[str, int, bool]] = field(default_factory=list)

    def missing(self, scope: str) -> dict[str, Any] | None:
        if scope in self.missing_scopes:
            return {"ok": False, "error": "missing_scope", "needed": scope}
        return None

    def get_upload_url(self, args: dict[str, Any], base_url: str) -> dict[str, Any]:
        if refused := self.missing(FILES_SCOPE):
            return refused
        filename = str(args.get("filename") or "")
        length = str(args.get("length") or "")
        if not filename or not length.isdigit() or int(length) < 1:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = "F" + uuid.uuid4().hex[:10].upper()
        key = uuid.uuid4().hex
        self.pending[file_id] = PendingFile(file_id, filename, int(length))
        self.by_key[key] = file_id
        return {"ok": True, "file_id": file_id, "upload_url": base_url + f"/upload/v1/{key}"}

    async def receive(self, request: web.Request) -> web.Response:
        file_id = self.by_key.pop(request.match_info["key"], None)
        data = await request.read()
        pending = self.pending.get(file_id or "")
        accepted = pending is not None and pending.data is None and len(data) == pending.length
        self.uploads.append((file_id or "", len(data), accepted))
        if pending is None:
            return web.Response(status=404, text="unknown upload URL")
        if not accepted:
            return web.Response(status=400, text=f"length mismatch: {len(data)} bytes")
        pending.data = data
        return web.Response(text=f"OK - {len(data)}")

    def complete(self, args: dict[str, Any]) -> dict[str, Any]:
        if refused := self.missing(FILES_SCOPE):
            return refused
        try:
            files = json.loads(str(args.get("files") or ""))
        except json.JSONDecodeError:
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        channel = str(args.get("channel_id") or "")
        if channel.startswith("D") and channel not in self.opened_dms:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.outside_channels:
            return {"ok": False, "error": "not_in_channel"}
        taken: list[PendingFile] = []
        for item in files:
            pending = self.pending.get(str(item.get("id")))
            if pending is None or pending.data is None or pending.channel is not None:
                return {"ok": False, "error": "file_not_found"}
            taken.append(pending)
        for pending in taken:
            pending.title = item_title(files, pending.id) or pending.filename
            pending.channel = channel or None
            if channel and pending.data is not None:
                comment = args.get("initial_comment")
                self.shared.append(
                    SharedFile(
                        pending.id,
                        pending.filename,
                        pending.title,
                        channel,
                        pending.data,
                        str(comment) if comment else None,
                    )
                )
        return {"ok": True, "files": [{"id": p.id, "title": p.title} for p in taken]}


def item_title(files: list[dict[str, Any]], file_id: str) -> str | None:
    return next((str(f["title"]) for f in files if f.get("id") == file_id and f.get("title")), None)
