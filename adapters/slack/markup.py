"""Slack's text markup: escaping user text, dates, stars. Pure functions.

Slack reads `<...>` in message text as markup: `<!channel>`, `<!here>`, `<@U123>` ping people.
Every piece of text Marquee did not write itself (titles, headlines, bodies, names, even the
core's messages, which quote user input) goes through `escape` before it reaches a text object.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

SECTION_TEXT_MAX = 3000  # Block Kit: section text
PLAIN_TEXT_MAX = 75  # Block Kit: button and option labels
CONTEXT_TEXT_MAX = 3000

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    """Escape the three characters Slack treats as markup; nothing typed can ping or link."""
    # `&` first so the entities we add are not escaped again.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escaped_chunks(text: str, limit: int = SECTION_TEXT_MAX) -> Iterator[str]:
    """`escape(text)` cut into pieces of at most `limit` characters.

    Cuts fall between source characters, so an entity like `&amp;` is never split in two, and
    preferably after a space or line break in the second half of a piece so words stay whole.
    """
    tokens = [_ESCAPES.get(ch, ch) for ch in text]
    start = 0
    while start < len(tokens):
        end, size = start, 0
        while end < len(tokens) and size + len(tokens[end]) <= limit:
            size += len(tokens[end])
            end += 1
        if end < len(tokens):
            for i in range(end - 1, start + (end - start) // 2, -1):
                if tokens[i] in (" ", "\n"):
                    end = i + 1
                    break
        yield "".join(tokens[start:end])
        start = end


def truncate(text: str, limit: int) -> str:
    """Cut already-escaped or plain text to `limit` characters, marking the cut with `…`."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    # Never leave half an entity (`&am`) at the end.
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def plain(text: str, limit: int = PLAIN_TEXT_MAX) -> dict[str, object]:
    """A plain_text object (labels of buttons and options), escaped and cut to fit."""
    return {"type": "plain_text", "text": truncate(escape(text), limit) or " ", "emoji": True}


def mrkdwn(text: str) -> dict[str, object]:
    """A mrkdwn object for text that is already escaped.

    `verbatim` stops Slack from auto-linking bare channel names and mentions in what we send;
    together with escaping, only markup Marquee wrote itself is live.
    """
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def slack_date(when: datetime, fallback: str) -> str:
    """Slack's date markup: each reader sees the time in their own zone; `fallback` otherwise."""
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{escape(fallback)}>"


def stars(rating: float) -> str:
    """4.5 → ★★★★½ (ratings are half steps from 0.5 to 5)."""
    halves = max(0, min(10, round(rating * 2)))
    return "★" * (halves // 2) + ("½" if halves % 2 else "")


def safe_url(url: str | None) -> str | None:
    """A URL that may go inside `<url|label>`: http(s) only, nothing that breaks the markup."""
    if not url:
        return None
    url = url.strip()
    if not url.lower().startswith(("https://", "http://")):
        return None
    if any(c in "|<>" or c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return None
    return url.replace("&", "&amp;")
