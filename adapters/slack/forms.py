"""Modals built from a command's registry parameters, and read back. Pure functions.

`/marquee review add` with nothing after it opens a form instead of failing on missing
arguments: one input per parameter, typed from the registry (a paragraph for long text, a
star select for ratings, a number field for integers, yes/no for flags). The submission comes
back as `view_submission`; `read_submission` turns it into the same args a typed command has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from adapters.slack.markup import plain, stars, truncate
from bot.registry import CommandSpec, Param, ParamKind, find_command
from bot.types import ArgValue, ErrorNotice, Reply

FORM_CALLBACK_ID = "marquee.form"
VALUE_ACTION = "value"  # every input's action id; inputs are told apart by block id (= param)
PRIVATE_METADATA_MAX = 3000
MODAL_TITLE_MAX = 24
LABEL_MAX = 2000
PLAIN_INPUT_MAX = 3000  # Block Kit: plain_text_input max_length


@dataclass(frozen=True)
class FormContext:
    """Where the form was opened; kept in the view's private_metadata until submission."""

    command: str
    team_id: str
    channel_id: str
    response_url: str | None  # the slash command's, to answer in the channel afterwards

    def dump(self) -> str:
        data = {"c": self.command, "t": self.team_id, "ch": self.channel_id, "r": self.response_url}
        text = json.dumps(data, separators=(",", ":"))
        if len(text) > PRIVATE_METADATA_MAX:
            raise ValueError("form context exceeds Slack's private_metadata limit")
        return text

    @classmethod
    def load(cls, text: str) -> FormContext:
        data = json.loads(text)
        return cls(data["c"], data["t"], data["ch"], data.get("r"))


def wants_form(spec: CommandSpec, args: dict[str, ArgValue]) -> bool:
    """A command with long text, typed with at most its first argument, is better as a form."""
    if not any(p.long for p in spec.params):
        return False
    primary = spec.primary.name if spec.primary else None
    return all(name == primary for name in args)


def build_form(spec: CommandSpec, context: FormContext, initial: dict[str, ArgValue]) -> dict:
    title = truncate(spec.name.capitalize(), MODAL_TITLE_MAX)
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK_ID,
        "title": plain(title, MODAL_TITLE_MAX),
        "submit": plain("Save", MODAL_TITLE_MAX),
        "close": plain("Cancel", MODAL_TITLE_MAX),
        "private_metadata": context.dump(),
        "blocks": [_input(p, initial.get(p.name)) for p in spec.params],
    }


def read_submission(view: dict[str, Any]) -> tuple[FormContext, CommandSpec, dict[str, ArgValue]]:
    """The command and args a submitted form stands for. Empty optional fields are left out."""
    context = FormContext.load(view["private_metadata"])
    spec = find_command(context.command)
    if spec is None:
        raise ValueError(f"form for an unknown command: {context.command!r}")
    values: dict[str, dict[str, Any]] = view.get("state", {}).get("values", {})
    args: dict[str, ArgValue] = {}
    for param in spec.params:
        element = values.get(param.name, {}).get(VALUE_ACTION)
        value = _element_value(element) if element else None
        if value is not None and value != "":
            args[param.name] = value
    return context, spec, args


def field_errors(spec: CommandSpec, reply: Reply) -> dict[str, str] | None:
    """The core's refusal shown under the form field it names (`ErrorNotice.param`), so the
    form stays open for a fix; None when it names no field of this form."""
    fields = {p.name for p in spec.params}
    for block in reply.blocks:
        if isinstance(block, ErrorNotice) and block.param in fields:
            return {block.param: truncate(block.text, 150)}
    return None


def _input(param: Param, initial: ArgValue) -> dict[str, Any]:
    label = truncate(param.description or param.name, LABEL_MAX)
    block: dict[str, Any] = {
        "type": "input",
        "block_id": param.name,
        "label": plain(label, LABEL_MAX),
        "optional": not param.required,
        "element": _element(param, initial),
    }
    return block


def _element(param: Param, initial: ArgValue) -> dict[str, Any]:
    base: dict[str, Any] = {"action_id": VALUE_ACTION}
    if param.kind is ParamKind.RATING:
        options = [_option(f"{stars(h / 2)} {h / 2:g}", f"{h / 2:g}") for h in range(10, 0, -1)]
        element = {**base, "type": "static_select", "options": options}
        element["placeholder"] = plain("Stars")
        wanted = _rating_value(initial)
        chosen = next((o for o in options if o["value"] == wanted), None)
        if chosen:
            element["initial_option"] = chosen
        return element
    if param.kind is ParamKind.BOOL:
        options = [_option("Yes", "true"), _option("No", "false")]
        element = {**base, "type": "static_select", "options": options}
        element["placeholder"] = plain("Choose")
        if isinstance(initial, bool):
            element["initial_option"] = options[0] if initial else options[1]
        return element
    if param.kind is ParamKind.INT:
        element = {**base, "type": "number_input", "is_decimal_allowed": False}
        number = _whole_number(initial)
        if number is not None:
            # Slack refuses the whole form over an initial value that is not a number.
            element["initial_value"] = number
        return element
    # TEXT, TITLE, WHEN: free text. Titles could use an external_select fed by the core's
    # title completion; a text field keeps the form working without a round trip per keystroke.
    element = {**base, "type": "plain_text_input", "multiline": param.long}
    limit = min(param.max_length or PLAIN_INPUT_MAX, PLAIN_INPUT_MAX)
    element["max_length"] = limit
    if initial is not None and str(initial):
        # Input values are shown as typed (no markup is parsed inside an input), so no escaping;
        # one longer than the field allows would make Slack refuse the form, so it is cut.
        element["initial_value"] = str(initial)[:limit]
    return element


def _whole_number(value: ArgValue) -> str | None:
    """`value` as the digits of a whole number ("#12" → "12"), or None if it is not one."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().removeprefix("#")
    digits = text.removeprefix("-")
    if not digits.isascii() or not digits.isdecimal() or len(digits) > 10:
        return None
    return str(int(text))


def _element_value(element: dict[str, Any]) -> ArgValue:
    kind = element.get("type")
    if kind == "static_select":
        option = element.get("selected_option")
        if not option:
            return None
        value = option.get("value")
        return {"true": True, "false": False}.get(value, value)
    if kind in ("plain_text_input", "number_input"):
        value = element.get("value")
        return value.strip() if isinstance(value, str) else value
    raise ValueError(f"form element of unexpected type {kind!r}")


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": plain(label), "value": value}


def _rating_value(value: ArgValue) -> str | None:
    try:
        return f"{float(value):g}" if isinstance(value, int | float | str) else None
    except ValueError:
        return None
