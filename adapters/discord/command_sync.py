"""Remembering what was last registered with Discord, so a start syncs only what changed.

Discord rate-limits command registration (a global bulk overwrite also takes a while to reach
every client), and a bot in many servers restarts often, usually with the same commands. The
payload of each sync is hashed and kept under the data directory per application and scope
(global, or one server); a start whose payload hashes the same skips the request. Several
processes on one host share the file; a process elsewhere syncs once on its own, harmlessly.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FILE_NAME = "discord-commands.json"


def payload_hash(payload: list[dict[str, Any]]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class SyncRecord:
    """Scope ("<application>:global" or "<application>:guild:<id>") → hash of its last sync."""

    def __init__(self, state_dir: Path | None) -> None:
        self.path = state_dir / FILE_NAME if state_dir is not None else None

    def _read(self) -> dict[str, str]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("Discord: ignoring the unreadable sync record %s (%s)", self.path, exc)
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def unchanged(self, scope: str, digest: str) -> bool:
        return self._read().get(scope) == digest

    def remember(self, scope: str, digest: str) -> None:
        if self.path is None:
            return
        record = {**self._read(), scope: digest}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed: a reader never sees half a file.
            partial = self.path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(record, indent=1, sort_keys=True))
            partial.replace(self.path)
        except OSError as exc:  # a read-only data folder: sync at every start, as before
            log.warning("Discord: could not keep the sync record %s (%s)", self.path, exc)
