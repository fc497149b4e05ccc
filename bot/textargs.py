"""Turn one line of command text into named arguments, and write arguments back as text.

The console and Slack's slash commands both hand Marquee a single string. The syntax:
bare words fill the command's first parameter, and `name=value` fills any other (a value runs
to the next `name=`, or may be quoted). So all of these work:

    review Second Victims
    review add Second Victims rating=4.5 headline=Quiet storm body="It stays with you."
    showtimes Perth when=this week

A `word=` at the start of a word and outside quotes is always an option: one the command does
not have is refused with the list of those it has, never folded into a title ("film Persona
year=1966"). Text that really contains `x=y` is quoted: body="x=1 stays text".

`command_line` is the inverse: the line that, typed, gives back the same arguments. Every
command Marquee prints for the console or Slack is written by it, so each hint parses back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.args import unknown_options_message
from bot.registry import COMMANDS, CommandSpec, find_command, match_command
from bot.types import ArgValue, Role

_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_]*)=")
# Opening quote → closing quote; typographic ones too, which phones and some keyboards type.
_PAIRS = {'"': '"', "'": "'", "“": "”"}
_QUOTES = "".join(_PAIRS)


class ArgSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class _Key:
    name: str
    start: int  # where `name=` begins
    end: int  # just after the `=`


def _closing_quote(text: str, i: int) -> int | None:
    """The index of the quote that closes the one at `i`: the same character at the end of a
    word. None when there is none, so a lone apostrophe ('Round Midnight) stays a letter."""
    closing = _PAIRS[text[i]]
    j = text.find(closing, i + 1)
    while j != -1:
        if j + 1 == len(text) or text[j + 1].isspace():
            return j
        j = text.find(closing, j + 1)
    return None


def _keys(text: str) -> list[_Key]:
    """Every `name=` that starts a word outside quotes."""
    keys: list[_Key] = []
    i, n = 0, len(text)
    while i < n:
        after_space = i == 0 or text[i - 1].isspace()
        after_key = bool(keys) and keys[-1].end == i
        if (after_space or after_key) and text[i] in _QUOTES:
            close = _closing_quote(text, i)
            if close is not None:
                i = close + 1
                continue
        if after_space:
            m = _KEY.match(text, i)
            if m:
                keys.append(_Key(m.group(1).lower(), m.start(), m.end()))
                i = m.end()
                continue
        i += 1
    return keys


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] in _PAIRS and value[-1] == _PAIRS[value[0]]:
        return value[1:-1]
    return value


def parse_args(spec: CommandSpec, text: str) -> dict[str, ArgValue]:
    names = [p.name for p in spec.params]
    if not names:
        if text.strip():
            raise ArgSyntaxError(f"`{spec.name}` takes nothing after its name.")
        return {}
    keys = _keys(text)
    unknown = [k for k in keys if k.name not in names]
    if unknown:
        # Say which value it fell in, so text that really contains "x=y" can be quoted.
        inside = next((k.name for k in reversed(keys) if k.start < unknown[0].start), None)
        inside = inside if inside in names else names[0]
        raise ArgSyntaxError(
            f"{unknown_options_message(spec, list(dict.fromkeys(k.name for k in unknown)))} "
            f"If “{unknown[0].name}=” is part of the text, put that text in quotes: "
            f'{inside}="…".'
        )
    args: dict[str, ArgValue] = {}
    head = text[: keys[0].start] if keys else text
    if head.strip():
        args[names[0]] = _unquote(head)
    for i, key in enumerate(keys):
        end = keys[i + 1].start if i + 1 < len(keys) else len(text)
        if key.name in args:
            raise ArgSyntaxError(f"`{key.name}` is given twice.")
        args[key.name] = _unquote(text[key.end : end])
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


# ---------------------------------------------------------------------------------------------
# Writing arguments back as a line
# ---------------------------------------------------------------------------------------------


def _text(value: ArgValue) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _quoted(text: str, *, bare_ok: bool) -> str:
    """`text` as one value: bare when it parses back unchanged, else in quotes."""
    plain = bare_ok and text == text.strip() and text[:1] not in _QUOTES
    if plain and not _keys(" " + text) and text:
        return text
    quote = '"' if '"' not in text else "'"
    return f"{quote}{text}{quote}"


def command_args_text(command: str, args: dict[str, ArgValue]) -> str:
    """What follows the command's name: the first parameter bare, the others as name=value.

    The order is the command's own, never the dict's: "rate" with {score, title} is written
    "Solaris (1972) score=4", so the title cannot be read twice.
    """
    spec = find_command(command)
    if spec is None:
        raise ValueError(f"not a registry command: {command!r}")
    order = [p.name for p in spec.params if p.name in args]
    order += [name for name in args if name not in order]
    parts: list[str] = []
    for name in order:
        value = args[name]
        if value is None:
            continue
        text = _text(value)
        if spec.primary is not None and name == spec.primary.name and not parts:
            # Bare, unless its first words would make a longer command ("film" + "add X").
            longer = match_command([*spec.words, *text.split()[:2]])
            parts.append(_quoted(text, bare_ok=longer is not None and longer[0] is spec))
        else:
            # A value with spaces is quoted so the next word cannot be read as part of it.
            parts.append(f"{name}={_quoted(text, bare_ok=' ' not in text)}")
    return " ".join(parts)


def command_line(command: str, args: dict[str, ArgValue]) -> str:
    """The line that performs `command` with `args`: "review #37 spoilers=yes"."""
    rest = command_args_text(command, args)
    return f"{command} {rest}".rstrip()


# ---------------------------------------------------------------------------------------------
# Command words inside a title
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandReading:
    """Text given as a title that reads as a command: "review Arrival" → `review` "Arrival"."""

    spec: CommandSpec
    rest: str  # the text after the command's words
    full_name: bool  # the text starts with a command's whole name, not a sub-command word


def command_readings(text: str, *, role: Role) -> list[CommandReading]:
    """The commands `text`, given as a title, may have meant, that `role` may run.

    "film review Arrival" gives `film` the title "review Arrival", which starts with the command
    `review`; "showtimes add Arrival" starts with `add`, a word of `showtime add`. A film number
    ("#12") never reads as a command.
    """
    words = text.split()
    if not words or text.lstrip().startswith("#"):
        return []

    def rest_after(count: int) -> str:
        rest = text.strip()
        for _ in range(count):
            parts = rest.split(None, 1)
            rest = parts[1] if len(parts) > 1 else ""
        return rest

    def usable(spec: CommandSpec) -> bool:
        # The command being run counts too: "review review Arrival" is a doubled word.
        return not spec.hidden and spec.min_role <= role

    found = match_command(words)
    if found is not None and usable(found[0]):
        spec = found[0]
        return [CommandReading(spec, rest_after(len(spec.words)), full_name=True)]
    first = words[0].lower()
    return [
        CommandReading(spec, rest_after(1), full_name=False)
        for spec in COMMANDS
        if len(spec.words) > 1 and spec.words[1] == first and usable(spec)
    ]


# How a platform types a command, given the command and the text after its name.
CommandTyper = Callable[[CommandSpec, str], str]


def command_mentions(text: str) -> Iterator[tuple[re.Match[str], CommandSpec, str]]:
    """Backticked spans of core text that name a command ("Try `rate Second Victims 4.5`"):
    (the match, the command, the text after its name). Adapters rewrite each one into the
    form their platform types, so a mention runs as printed everywhere."""
    for m in re.finditer(r"`([^`\n]+)`", text):
        found = split_command(m.group(1))
        if found is not None and not found[0].hidden:
            yield m, found[0], found[1]


def rewrite_mentions(text: str, typed: CommandTyper) -> str:
    """`text` with each command mention replaced by `typed(spec, rest)` (in backticks)."""
    out: list[str] = []
    last = 0
    for m, spec, rest in command_mentions(text):
        out.append(text[last : m.start()])
        out.append(f"`{typed(spec, rest)}`")
        last = m.end()
    out.append(text[last:])
    return "".join(out)
