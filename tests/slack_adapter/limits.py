"""What Slack refuses in Block Kit, as a checker of raw message and modal payloads.

The fake Slack answers a payload this finds fault with as Slack does (`{"ok": false, "error":
"invalid_blocks"}` for messages, `invalid_arguments` for views), and the limits tests run
rendered replies through the same function. Each problem is a readable string with the path of
the bad field, like Slack's own `response_metadata.messages`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MESSAGE_BLOCKS_MAX = 50
MODAL_BLOCKS_MAX = 100
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_MAX = 2000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
CONTEXT_TEXT_MAX = 3000
ACTIONS_ELEMENTS_MAX = 25
BLOCK_ID_MAX = 255
ACTION_ID_MAX = 255
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
URL_MAX = 3000
OPTIONS_MAX = 100
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
PLACEHOLDER_MAX = 150
INPUT_LABEL_MAX = 2000
INPUT_HINT_MAX = 2000
PLAIN_INPUT_MAX = 3000
MODAL_TITLE_MAX = 24
CALLBACK_ID_MAX = 255
PRIVATE_METADATA_MAX = 3000
MESSAGE_TEXT_MAX = 40000


def _text(at: str, obj: Any, limit: int, *, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, Mapping) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [f"{at} must be a text object"]
    if plain_only and obj["type"] != "plain_text":
        return [f"{at} must be plain_text"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"{at}.text must be more than 0 characters"]
    if len(text) > limit:
        return [f"{at}.text must be less than {limit + 1} characters ({len(text)})"]
    return []


def _length(at: str, value: Any, limit: int) -> list[str]:
    if isinstance(value, str) and len(value) > limit:
        return [f"{at} must be less than {limit + 1} characters ({len(value)})"]
    return []


def _option(at: str, option: Mapping[str, Any]) -> list[str]:
    problems = _text(f"{at}.text", option.get("text"), OPTION_TEXT_MAX)
    value = option.get("value")
    if not isinstance(value, str) or not value:
        problems.append(f"{at}.value must be more than 0 characters")
    problems += _length(f"{at}.value", value, OPTION_VALUE_MAX)
    if "description" in option:
        problems += _text(f"{at}.description", option["description"], OPTION_TEXT_MAX)
    return problems


def _is_number(text: str, decimal: bool) -> bool:
    try:
        number = float(text) if decimal else int(text)
    except ValueError:
        return False
    return number == number  # not NaN


def element_problems(at: str, element: Mapping[str, Any]) -> list[str]:
    kind = element.get("type")
    problems = _length(f"{at}.action_id", element.get("action_id"), ACTION_ID_MAX)
    if "placeholder" in element:
        problems += _text(f"{at}.placeholder", element["placeholder"], PLACEHOLDER_MAX)
    if kind == "button":
        problems += _text(f"{at}.text", element.get("text"), BUTTON_TEXT_MAX, plain_only=True)
        problems += _length(f"{at}.value", element.get("value"), BUTTON_VALUE_MAX)
        problems += _length(f"{at}.url", element.get("url"), URL_MAX)
    elif kind == "static_select":
        options = element.get("options") or []
        if not options or len(options) > OPTIONS_MAX:
            problems.append(f"{at}.options must have 1 to {OPTIONS_MAX} items ({len(options)})")
        for k, option in enumerate(options):
            problems += _option(f"{at}.options[{k}]", option)
        initial = element.get("initial_option")
        if initial is not None and initial not in options:
            problems.append(f"{at}.initial_option must be one of the options")
    elif kind == "plain_text_input":
        limit = element.get("max_length", PLAIN_INPUT_MAX)
        if not isinstance(limit, int) or not 1 <= limit <= PLAIN_INPUT_MAX:
            problems.append(f"{at}.max_length must be 1 to {PLAIN_INPUT_MAX}")
            limit = PLAIN_INPUT_MAX
        problems += _length(f"{at}.initial_value", element.get("initial_value"), limit)
    elif kind == "number_input":
        initial = element.get("initial_value")
        decimal = bool(element.get("is_decimal_allowed"))
        if initial is not None and (
            not isinstance(initial, str) or not _is_number(initial, decimal)
        ):
            problems.append(f"{at}.initial_value must be a number string ({initial!r})")
    elif kind is not None:
        problems.append(f"{at}.type {kind!r} is not an element this checker knows")
    return problems


def block_problems(at: str, block: Mapping[str, Any]) -> list[str]:
    kind = block.get("type")
    problems = _length(f"{at}.block_id", block.get("block_id"), BLOCK_ID_MAX)
    if kind == "section":
        if "text" not in block and "fields" not in block:
            problems.append(f"{at} must have text or fields")
        if "text" in block:
            problems += _text(f"{at}.text", block["text"], SECTION_TEXT_MAX)
        fields = block.get("fields") or []
        if len(fields) > SECTION_FIELDS_MAX:
            problems.append(f"{at}.fields must have at most {SECTION_FIELDS_MAX} items")
        for k, f in enumerate(fields):
            problems += _text(f"{at}.fields[{k}]", f, SECTION_FIELD_MAX)
        if "accessory" in block:
            problems += element_problems(f"{at}.accessory", block["accessory"])
    elif kind == "header":
        problems += _text(f"{at}.text", block.get("text"), HEADER_TEXT_MAX, plain_only=True)
    elif kind == "context":
        elements = block.get("elements") or []
        if not elements or len(elements) > CONTEXT_ELEMENTS_MAX:
            problems.append(f"{at}.elements must have 1 to {CONTEXT_ELEMENTS_MAX} items")
        for k, e in enumerate(elements):
            problems += _text(f"{at}.elements[{k}]", e, CONTEXT_TEXT_MAX)
    elif kind == "actions":
        elements = block.get("elements") or []
        if not elements or len(elements) > ACTIONS_ELEMENTS_MAX:
            problems.append(f"{at}.elements must have 1 to {ACTIONS_ELEMENTS_MAX} items")
        for k, e in enumerate(elements):
            problems += element_problems(f"{at}.elements[{k}]", e)
    elif kind == "input":
        problems += _text(f"{at}.label", block.get("label"), INPUT_LABEL_MAX, plain_only=True)
        if "hint" in block:
            problems += _text(f"{at}.hint", block["hint"], INPUT_HINT_MAX, plain_only=True)
        problems += element_problems(f"{at}.element", block.get("element") or {})
    elif kind != "divider":
        problems.append(f"{at}.type {kind!r} is not a block this checker knows")
    return problems


def _action_ids_unique(blocks: list[Mapping[str, Any]]) -> list[str]:
    seen: set[str] = set()
    problems = []
    for i, block in enumerate(blocks):
        elements = list(block.get("elements") or [])
        if "accessory" in block:
            elements.append(block["accessory"])
        for e in elements:
            aid = e.get("action_id") if isinstance(e, Mapping) else None
            if aid:
                if aid in seen:
                    problems.append(f"[{i}] action_id {aid!r} is not unique in the message")
                seen.add(aid)
    return problems


def message_problems(message: Mapping[str, Any]) -> list[str]:
    """What Slack would refuse in chat.postMessage or a response_url message."""
    blocks = message.get("blocks")
    if isinstance(blocks, str):
        return ["blocks must be an array"]
    blocks = list(blocks or [])
    text = message.get("text")
    problems: list[str] = []
    if not blocks and not (isinstance(text, str) and text.strip()):
        problems.append("no_text: a message needs text or blocks")
    problems += _length("text", text, MESSAGE_TEXT_MAX)
    if len(blocks) > MESSAGE_BLOCKS_MAX:
        problems.append(f"blocks must have at most {MESSAGE_BLOCKS_MAX} items ({len(blocks)})")
    for i, block in enumerate(blocks):
        problems += block_problems(f"[{i}]", block)
    return problems + _action_ids_unique(blocks)


def view_problems(view: Mapping[str, Any]) -> list[str]:
    """What Slack would refuse in views.open."""
    problems: list[str] = []
    if view.get("type") != "modal":
        problems.append("view.type must be modal")
    problems += _text("view.title", view.get("title"), MODAL_TITLE_MAX, plain_only=True)
    for key in ("submit", "close"):
        if key in view:
            problems += _text(f"view.{key}", view[key], MODAL_TITLE_MAX, plain_only=True)
    problems += _length("view.callback_id", view.get("callback_id"), CALLBACK_ID_MAX)
    problems += _length("view.private_metadata", view.get("private_metadata"), PRIVATE_METADATA_MAX)
    blocks = list(view.get("blocks") or [])
    if len(blocks) > MODAL_BLOCKS_MAX:
        problems.append(f"view.blocks must have at most {MODAL_BLOCKS_MAX} items ({len(blocks)})")
    for i, block in enumerate(blocks):
        problems += block_problems(f"view.blocks[{i}]", block)
    return problems + _action_ids_unique(blocks)
