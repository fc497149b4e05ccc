"""Discord's markdown: escaping user text, cutting it safely, and links. Pure functions.

Discord renders markdown in message content, embed titles, descriptions and field values.
Text Marquee did not write itself (titles, names, headlines, bodies, and the core's messages,
which quote what people typed) goes through `escape` or `escape_prose`, so a search for
`[Second Victims](https://a.bc)` shows those characters instead of a masked link.
discord.py's `escape_markdown` is not enough: it leaves `[...](...)`, `<...>` and headings live.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

ELLIPSIS = "…"

# Anywhere in a line: emphasis, strike, spoilers, code, escapes, masked links, <t:..>/<@..>.
_INLINE = re.compile(r"([\\*_~|`\[\]<>])")
# At the start of a line: headings, subtext (-#), quotes, lists.
_LINE_START = re.compile(r"^(\s*)([#>+-])", re.MULTILINE)
_ORDERED = re.compile(r"^(\s*\d+)\.(?=\s)", re.MULTILINE)
# A code span the core wrote (`search`): kept as it is, nothing inside one is rendered.
_CODE_SPAN = re.compile(r"`[^`\n]+`")
# Characters that could end a link target or start markup around it; percent-encoded.
_URL_UNSAFE = "()<>[]*_~|`\\\"' "
URL_MAX = 2048


def escape(text: str) -> str:
    """`text` shown literally: every markdown character Discord reads is backslash-escaped."""
    text = _INLINE.sub(r"\\\1", text)
    text = _LINE_START.sub(r"\1\\\2", text)
    return _ORDERED.sub(r"\1\\.", text)


def escape_prose(text: str) -> str:
    """The core's own sentences: escaped like `escape`, except the code spans it wrote.

    A code span shows its content literally, so keeping one cannot let anything typed become
    markup; a stray backtick typed by someone is escaped with the rest.
    """
    out: list[str] = []
    last = 0
    for span in _CODE_SPAN.finditer(text):
        out.append(escape(text[last : span.start()]))
        out.append(span.group())
        last = span.end()
    out.append(escape(text[last:]))
    return "".join(out)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with `…`, never ending in half an escape.

    A cut between `\\` and the character it escapes would leave the backslash to escape the
    next thing (the closing `||` of a spoiler, the ellipsis); such a dangling one is dropped.
    """
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ELLIPSIS))]
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:
        cut = cut[:-1]
    return cut + ELLIPSIS


def safe_url(url: str | None) -> str | None:
    """`url` if it is a well-formed http(s) URL, percent-encoded so it cannot end its own link.

    None for anything else (another scheme, no host, control characters, too long): such a
    link is left out rather than shown.
    """
    if not url:
        return None
    url = url.strip()
    if len(url) > URL_MAX or any(ord(c) < 32 or ord(c) == 127 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return "".join(quote(c, safe="") if c in _URL_UNSAFE or c.isspace() else c for c in url)


def link(label: str, url: str | None) -> str | None:
    """A masked link `[label](<url>)`, or None when the URL is not one Marquee will show.

    The angle brackets stop Discord from adding a preview of the page to the message.
    """
    safe = safe_url(url)
    return f"[{escape(label)}](<{safe}>)" if safe else None
