"""Quoting what someone typed or a file held, inside a message Marquee writes.

Error messages quote the input they refuse so the reader can see what was wrong; the quote is
short (a message must stay readable and fit the platforms' limits) and escaped (a quoted piece
must not move the cursor, hide text, start a line or open a code span).
"""

from __future__ import annotations

import unicodedata

EXCERPT_MAX = 60  # characters of of input a message may quote
# Control, format (bidi overrides, zero-width), surrogate, private and unassigned characters,
# and line breaks: shown as escapes so a quoted piece of a file can't move the cursor, hide
# text or start a new line in a terminal or a chat message.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def excerpt(value: object, limit: int = EXCERPT_MAX) -> str:
    """A piece of input or file content for an error message: at most `limit` characters, escaped
    like repr() (backslashes, control and invisible characters), with backticks escaped too
    so the quote can't open or close a code span; cut with "…". Callers add the quotes."""
    text = str(value)
    out: list[str] = []
    used = 0
    for index, char in enumerate(text):
        if char == "\\":
            piece = "\\\\"
        elif char == "`":
            piece = "\\x60"
        elif unicodedata.category(char) in _HIDDEN:
            code = ord(char)
            piece = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
            if code > 0xFFFF:
                piece = f"\\U{code:08x}"
        else:
            piece = char
        more = index + 1 < len(text)
        if used + len(piece) > limit - (1 if more else 0):
            out.append("…")
            break
        out.append(piece)
        used += len(piece)
    return "".join(out)
