"""Discord application commands, built from the core's one registry, and their options parsed back.

Every command that is not hidden becomes one slash command named by its slug (`review add` →
`/review-add`), with one option per parameter. Two moderator commands also have a form (a
modal): `/review-add` and `/review-edit` open it when run without the text it needs, so a
moderator can write a long review comfortably; with every required option given they run
directly. Their form fields are therefore optional as slash options (Discord would otherwise
refuse to send the command without them); every other option keeps the registry's `required`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.registry import COMMANDS, CommandSpec, Param, ParamKind
from bot.types import ArgValue

# Discord's option types (https://discord.com/developers/docs/interactions/application-commands).
STRING, INTEGER, BOOLEAN, NUMBER, ATTACHMENT = 3, 4, 5, 10, 11
CHAT_INPUT = 1
CONTEXT_GUILD, CONTEXT_BOT_DM = 0, 1
GUILD_INSTALL = 0
STRING_MAX = 6000  # Discord's largest max_length for a string option
RATING_MIN, RATING_MAX = 0.5, 5.0

_OPTION_TYPE = {
    ParamKind.TEXT: STRING,
    ParamKind.TITLE: STRING,
    ParamKind.WHEN: STRING,
    ParamKind.RATING: NUMBER,
    ParamKind.INT: INTEGER,
    ParamKind.BOOL: BOOLEAN,
    # The option's value is the attachment's id; adapters/discord/attachments.py fetches it.
    ParamKind.FILE: ATTACHMENT,
}


@dataclass(frozen=True)
class ModalForm:
    """A command that can be filled in through a Discord form (at most five fields)."""

    title: str
    fields: tuple[str, ...]  # parameter names shown as text inputs, in order


MODAL_FORMS: dict[str, ModalForm] = {
    # `author` stays a slash option: a form holds five fields and the byline is rarely set.
    "review add": ModalForm("Add a review", ("film", "rating", "headline", "body", "spoiler")),
    # The review number and the version come from the slash options; the form holds the changes.
    "review edit": ModalForm("Edit a review", ("rating", "headline", "body", "spoiler")),
}


def slash_commands(commands: Iterable[CommandSpec] = COMMANDS) -> dict[str, CommandSpec]:
    """Slug → command, for every command a person can type."""
    return {spec.slug: spec for spec in commands if not spec.hidden}


def option_required(spec: CommandSpec, param: Param) -> bool:
    form = MODAL_FORMS.get(spec.name)
    if form is not None and param.name in form.fields:
        return False
    return param.required


def option_payload(param: Param, *, required: bool) -> dict[str, Any]:
    option: dict[str, Any] = {
        "type": _OPTION_TYPE[param.kind],
        "name": param.name,
        "description": param.description[:100],
        "required": required,
    }
    if param.kind is ParamKind.TITLE:
        option["autocomplete"] = True
    if param.kind is ParamKind.RATING:
        option["min_value"] = RATING_MIN
        option["max_value"] = RATING_MAX
    if option["type"] == STRING and param.max_length is not None:
        option["max_length"] = min(param.max_length, STRING_MAX)
    return option


def command_payload(spec: CommandSpec) -> dict[str, Any]:
    options = [option_payload(p, required=option_required(spec, p)) for p in spec.params]
    # Discord requires the required options to come first; the sort is stable otherwise.
    options.sort(key=lambda o: not o["required"])
    return {
        "type": CHAT_INPUT,
        "name": spec.slug,
        "description": spec.description[:100],
        "options": options,
        "contexts": [CONTEXT_GUILD, CONTEXT_BOT_DM],
        "integration_types": [GUILD_INSTALL],
    }


def command_payloads(commands: Iterable[CommandSpec] = COMMANDS) -> list[dict[str, Any]]:
    return [command_payload(spec) for spec in slash_commands(commands).values()]


# ---------------------------------------------------------------------------------------------
# Reading an interaction's options back
# ---------------------------------------------------------------------------------------------


def _flat_options(options: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for option in options:
        # Sub-commands (type 1, 2) nest their options; Marquee registers none, but a stale
        # registration might still send them.
        if option.get("type") in (1, 2):
            yield from _flat_options(option.get("options", ()))
        else:
            yield option


def options_to_args(spec: CommandSpec, options: Iterable[Mapping[str, Any]]) -> dict[str, ArgValue]:
    """The given options as core arguments; values keep Discord's types (the core coerces)."""
    known = {p.name for p in spec.params}
    args: dict[str, ArgValue] = {}
    for option in _flat_options(options):
        name = option.get("name")
        if name in known and "value" in option:
            args[name] = option["value"]
    return args


def focused_option(options: Iterable[Mapping[str, Any]]) -> tuple[str, str] | None:
    """(name, text typed so far) of the option an autocomplete interaction asks about."""
    for option in _flat_options(options):
        if option.get("focused"):
            return str(option.get("name")), str(option.get("value", ""))
    return None


def needs_form(spec: CommandSpec, args: Mapping[str, ArgValue]) -> bool:
    """Whether the slash command should open its form rather than run directly."""
    form = MODAL_FORMS.get(spec.name)
    if form is None:
        return False
    given = [name for name in form.fields if args.get(name) not in (None, "")]
    if not given:
        return True
    required = [p.name for p in spec.params if p.required and p.name in form.fields]
    return any(name not in given for name in required)
