"""Which web addresses Marquee stores: a ticket link must be a well-formed http(s) URL.

Links are shown on Discord and Slack inside their link markup; an address with characters a
URL may not contain (spaces, `<>`, `|`, quotes, backslashes, control characters) is refused
when it is written, so no stored link can carry markup of its own.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# RFC 3986: unreserved, reserved and percent-escapes; nothing else belongs in a URL.
_URL_CHARS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+")
URL_MAX = 2000


def is_web_url(text: str) -> bool:
    """Whether `text` is an absolute http(s) URL with a host, written only in URL characters."""
    if len(text) > URL_MAX or not _URL_CHARS.fullmatch(text):
        return False
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return False
    return parts.scheme.lower() in ("http", "https") and bool(host)
