"""The log: one line per event, readable text by default, JSON with MARQUEE_LOG_FORMAT=json.

A standard-library formatter rather than python-json-logger: the whole of it is the twenty
lines below, and a dependency would add nothing we use. Fields given with `extra=` (the
command log line's command, platform, workspace, outcome, duration_ms) become JSON keys.

Secrets never reach the output: Marquee's own lines carry no tokens or review text (the
command line names the command, not its arguments), and as a second guard every line is
scrubbed of the configured tokens and signing secret, whoever logged it.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO

from bot.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"
# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        # default=str: an odd `extra` value is written as text rather than losing the line.
        return json.dumps(out, ensure_ascii=False, default=str)


class RedactingFormatter(logging.Formatter):
    """Wraps a formatter and replaces each secret in its finished line; formatting first
    means secrets in arguments, extras and tracebacks are all caught."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner
        # Longest first, so a secret containing another is replaced whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        line = self.inner.format(record)
        for secret in self.secrets:
            line = line.replace(secret, REDACTED)
        return line


def secrets_of(settings: Settings) -> list[str]:
    """The values no log line may contain, including the database URL's password."""
    found = [
        settings.discord_token,
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        settings.slack_client_secret,
    ]
    try:
        from sqlalchemy.engine import make_url

        found.append(make_url(settings.database_url).password)
    except Exception:  # noqa: BLE001 - an unparsable URL has no password to hide
        pass
    return [str(s) for s in found if s]


def configure_logging(
    settings: Settings, *, verbose: bool = False, stream: IO[str] | None = None
) -> logging.Handler:
    """Replace the root logger's handlers with one line-per-event handler in the configured
    format; returns it (tests remove it again)."""
    inner: logging.Formatter = (
        JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter(inner, secrets_of(settings)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    return handler
