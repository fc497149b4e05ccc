"""Slack slash commands, built from the core's one registry. Pure functions.

Four everyday commands get their own slash command; `/marquee` carries every command,
including help and the moderator ones:

    /review Second Victims                 → review        {title: "Second Victims"}
    /review add Second Victims rating=4 …  → review add    (a dedicated command is a prefix)
    /marquee film add Solaris year=1972    → film add
    /marquee                               → help

A slash command's text is read as if its own name were typed in front of it, so `/review add`
reaches `review add` exactly as `/marquee review add` does.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.registry import COMMANDS, CommandSpec, find_command
from bot.textargs import ArgSyntaxError, parse_line
from bot.types import ArgValue

# Commands people type often enough to deserve their own slash command.
DEDICATED = ("review", "film", "showtimes", "search")
UMBRELLA = "/marquee"


@dataclass(frozen=True)
class SlashCommand:
    name: str  # "/review"
    prefix: str  # words put in front of the typed text: "review"; "" for /marquee
    description: str
    usage_hint: str


@dataclass(frozen=True)
class Resolved:
    spec: CommandSpec
    args: dict[str, ArgValue]


@dataclass(frozen=True)
class Unresolved:
    """Text we could not turn into a command; `message` says what to type instead."""

    message: str


def slash_commands() -> tuple[SlashCommand, ...]:
    """The slash commands the app registers and the manifest declares, from the registry."""
    out = []
    for name in DEDICATED:
        spec = find_command(name)
        if spec is None or spec.hidden:  # the registry changed under us: fail at start-up
            raise LookupError(f"/{name} needs a registry command named {name!r}")
        out.append(SlashCommand(f"/{name}", name, spec.description, _hint(spec)))
    out.append(
        SlashCommand(UMBRELLA, "", "Marquee: help and every command", "help | review add … | audit")
    )
    return tuple(out)


def typed_command(name: str) -> str:
    """How a registry command is typed in Slack: "/review add" (a dedicated command is a
    prefix) or "/marquee audit"."""
    return f"/{name}" if name.split()[0] in DEDICATED else f"{UMBRELLA} {name}"


def unescape_slack_text(text: str) -> str:
    """Slack sends `&`, `<` and `>` in a slash command's text as entities; undo that.

    The core stores what people typed; `render` escapes it again on the way out.
    """
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def resolve(slash: str, text: str) -> Resolved | Unresolved:
    """What `/slash text` asks for; `text` as Slack sent it (entity-encoded)."""
    by_name = {c.name: c for c in slash_commands()}
    command = by_name.get(slash)
    if command is None:
        return Unresolved(f"Marquee does not know the slash command {slash}.")
    line = f"{command.prefix} {unescape_slack_text(text)}".strip()
    if not line:
        line = "help"
    try:
        found = parse_line(line)
    except ArgSyntaxError as exc:
        return Unresolved(f"{exc} Try `/marquee help`.")
    if found is None or found[0].hidden:
        first = line.split()[0]
        return Unresolved(f"There is no Marquee command `{first}`. Try `/marquee help`.")
    spec, args = found
    return Resolved(spec, args)


def reachable_commands() -> set[str]:
    """Registry commands a user can reach from some slash command (checked by a test)."""
    reached = set()
    for spec in COMMANDS:
        for command in slash_commands():
            words = spec.name.split(" ")
            prefix = command.prefix.split() if command.prefix else []
            if words[: len(prefix)] != prefix:
                continue
            rest = " ".join(words[len(prefix) :])
            found = resolve(command.name, rest)
            if isinstance(found, Resolved) and found.spec.name == spec.name:
                reached.add(spec.name)
    return reached


def _hint(spec: CommandSpec) -> str:
    return " ".join(p.name if p is spec.primary else f"[{p.name}=…]" for p in spec.params[:3])
