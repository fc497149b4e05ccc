"""Turn one line of command text into named arguments.

The console and Slack's slash commands both hand Marquee a single string. The syntax:
bare words fill the command's first parameter, and `name=value` fills any other (a value runs
to the next `name=` of a known parameter, or may be quoted). So all of these work:

    review Second Victims
    review add Second Victims rating=4.5 headline=Quiet storm body="It stays with you."
    showtimes Perth when=this week
"""

from __future__ import annotations

import re

from bot.registry import CommandSpec, match_command
from bot.types import ArgValue


class ArgSyntaxError(ValueError):
    pass


def parse_args(spec: CommandSpec, text: str) -> dict[str, ArgValue]:
    names = [p.name for p in spec.params]
    if not names:
        return {}
    # Only names of this command's own parameters count as keys, so "x=1" inside a review body
    # stays text.
    key = re.compile(r"(?:(?<=\s)|^)(" + "|".join(map(re.escape, names)) + r")=", re.IGNORECASE)
    matches = list(key.finditer(text))
    args: dict[str, ArgValue] = {}
    head = text[: matches[0].start()] if matches else text
    if head.strip():
        args[names[0]] = head.strip()
    for i, m in enumerate(matches):
        name = m.group(1).lower()
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end() : end].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if name in args:
            raise ArgSyntaxError(f"`{name}` is given twice.")
        args[name] = value
    return args


def split_command(line: str) -> tuple[CommandSpec, str] | None:
    """ "/review add Second Victims rating=4" → (`review add`, "Second Victims rating=4")."""
    words = line.strip().lstrip("/").split()
    found = match_command(words)
    if found is None:
        return None
    spec, _ = found
    rest = line.strip().lstrip("/")
    for _ in spec.words:  # drop the command words, keep the rest exactly as typed
        parts = rest.split(None, 1)
        rest = parts[1] if len(parts) > 1 else ""
    return spec, rest


def parse_line(line: str) -> tuple[CommandSpec, dict[str, ArgValue]] | None:
    """Parse "/review Second Victims" into its command and arguments; None if no command."""
    found = split_command(line)
    if found is None:
        return None
    spec, rest = found
    return spec, parse_args(spec, rest)
