"""What Discord refuses in a message or a modal, as a checker of raw JSON payloads.

The fake Discord answers a payload this finds fault with as Discord does (400, code 50035,
`errors` naming each bad field), and the limits tests run rendered replies through the same
function. Limits are Discord's documented ones (message create, embed limits, components,
modals); each problem is `(dotted path, error code, message)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBEDS_TOTAL_MAX = 6000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
ROWS_MAX = 5
ROW_BUTTONS_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
SELECT_OPTION_TEXT_MAX = 100  # label, value and description
SELECT_PLACEHOLDER_MAX = 150
MODAL_TITLE_MAX = 45
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_MAX = 4000
TEXT_INPUT_PLACEHOLDER_MAX = 100

# Uploads (https://discord.com/developers/docs/reference#uploading-files): a file may be at most
# 10 MiB where the server has no boosts, and a whole request at most 25 MiB; over either,
# Discord answers 413 with code 40005 and keeps nothing of the request.
UPLOAD_MAX = 10 * 1024 * 1024
REQUEST_MAX = 25 * 1024 * 1024
TOO_LARGE = {"message": "Request entity too large", "code": 40005}

BUTTON, SELECT, TEXT_INPUT, ACTION_ROW = 2, 3, 4, 1

Problem = tuple[str, str, str]


def _too_long(path: str, value: Any, limit: int) -> list[Problem]:
    if isinstance(value, str) and len(value) > limit:
        return [(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")]
    return []


def _required(path: str, value: Any) -> list[Problem]:
    if not isinstance(value, str) or not value.strip():
        return [(path, "BASE_TYPE_REQUIRED", "This field is required")]
    return []


def embed_length(embed: Mapping[str, Any]) -> int:
    """The characters Discord counts toward the 6,000 of all embeds in a message."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or []:
        total += len(f.get("name") or "") + len(f.get("value") or "")
    return total


def embed_problems(embeds: list[Mapping[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    if len(embeds) > EMBEDS_MAX:
        problems.append(("embeds", "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer."))
    for i, embed in enumerate(embeds):
        at = f"embeds.{i}"
        problems += _too_long(f"{at}.title", embed.get("title"), EMBED_TITLE_MAX)
        problems += _too_long(f"{at}.description", embed.get("description"), EMBED_DESCRIPTION_MAX)
        problems += _too_long(
            f"{at}.footer.text", (embed.get("footer") or {}).get("text"), FOOTER_MAX
        )
        problems += _too_long(
            f"{at}.author.name", (embed.get("author") or {}).get("name"), AUTHOR_MAX
        )
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            problems.append(
                (f"{at}.fields", "BASE_TYPE_MAX_LENGTH", f"Must be {EMBED_FIELDS_MAX} or fewer.")
            )
        for j, f in enumerate(fields):
            problems += _required(f"{at}.fields.{j}.name", f.get("name"))
            problems += _required(f"{at}.fields.{j}.value", f.get("value"))
            problems += _too_long(f"{at}.fields.{j}.name", f.get("name"), FIELD_NAME_MAX)
            problems += _too_long(f"{at}.fields.{j}.value", f.get("value"), FIELD_VALUE_MAX)
    total = sum(embed_length(e) for e in embeds)
    if total > EMBEDS_TOTAL_MAX:
        problems.append(
            (
                "embeds",
                "MAX_EMBED_SIZE_EXCEEDED",
                f"Embed size exceeds maximum size of 6000 ({total})",
            )
        )
    return problems


def _component_problems(at: str, component: Mapping[str, Any]) -> list[Problem]:
    problems = _too_long(f"{at}.custom_id", component.get("custom_id"), CUSTOM_ID_MAX)
    kind = component.get("type")
    if kind == BUTTON:
        if component.get("style") != 5 and not component.get("custom_id"):
            problems += _required(f"{at}.custom_id", component.get("custom_id"))
        problems += _too_long(f"{at}.label", component.get("label"), BUTTON_LABEL_MAX)
    elif kind == SELECT:
        options = component.get("options") or []
        if not options or len(options) > SELECT_OPTIONS_MAX:
            problems.append(
                (f"{at}.options", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")
            )
        problems += _too_long(
            f"{at}.placeholder", component.get("placeholder"), SELECT_PLACEHOLDER_MAX
        )
        for k, o in enumerate(options):
            for key in ("label", "value"):
                problems += _required(f"{at}.options.{k}.{key}", o.get(key))
            for key in ("label", "value", "description"):
                problems += _too_long(f"{at}.options.{k}.{key}", o.get(key), SELECT_OPTION_TEXT_MAX)
    elif kind == TEXT_INPUT:
        problems += _too_long(f"{at}.label", component.get("label"), TEXT_INPUT_LABEL_MAX)
        problems += _too_long(
            f"{at}.placeholder", component.get("placeholder"), TEXT_INPUT_PLACEHOLDER_MAX
        )
        limit = component.get("max_length") or TEXT_INPUT_MAX
        if limit > TEXT_INPUT_MAX:
            problems.append((f"{at}.max_length", "NUMBER_TYPE_MAX", "int value should be <= 4000."))
        problems += _too_long(f"{at}.value", component.get("value"), min(limit, TEXT_INPUT_MAX))
    return problems


def components_problems(
    rows: Iterable[Mapping[str, Any]], path: str = "components"
) -> list[Problem]:
    rows = list(rows)
    problems: list[Problem] = []
    if len(rows) > ROWS_MAX:
        problems.append((path, "BASE_TYPE_MAX_LENGTH", f"Must be {ROWS_MAX} or fewer in length."))
    seen: set[str] = set()
    for i, row in enumerate(rows):
        children = row.get("components") or []
        if not children or len(children) > ROW_BUTTONS_MAX:
            problems.append(
                (f"{path}.{i}.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5.")
            )
        if any(c.get("type") == SELECT for c in children) and len(children) > 1:
            problems.append(
                (
                    f"{path}.{i}.components",
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "A select fills its row.",
                )
            )
        for j, child in enumerate(children):
            at = f"{path}.{i}.components.{j}"
            problems += _component_problems(at, child)
            custom_id = child.get("custom_id")
            if custom_id:
                if custom_id in seen:
                    problems.append(
                        (f"{at}.custom_id", "COMPONENT_CUSTOM_ID_DUPLICATED", "Duplicate custom_id")
                    )
                seen.add(custom_id)
    return problems


def message_problems(body: Mapping[str, Any], *, edit: bool = False) -> list[Problem]:
    """What Discord would refuse in a message create (or, with `edit`, a partial edit)."""
    problems = _too_long("content", body.get("content"), CONTENT_MAX)
    embeds = body.get("embeds") or []
    problems += embed_problems(embeds)
    problems += components_problems(body.get("components") or [])
    empty = not (body.get("content") or "").strip() and not embeds
    empty = empty and not body.get("components") and not body.get("attachments")
    if empty and not edit:
        problems.append(("content", "EMPTY_MESSAGE", "Cannot send an empty message"))
    return problems


def modal_problems(data: Mapping[str, Any]) -> list[Problem]:
    problems = _required("title", data.get("title"))
    problems += _too_long("title", data.get("title"), MODAL_TITLE_MAX)
    problems += _too_long("custom_id", data.get("custom_id"), CUSTOM_ID_MAX)
    problems += components_problems(data.get("components") or [])
    return problems


def error_body(problems: list[Problem], prefix: str = "") -> dict[str, Any]:
    """Discord's 400 body: `{"code": 50035, "errors": {...nested by path...}}`.

    An empty message is refused with its own code (50006), as Discord does.
    """
    if any(code == "EMPTY_MESSAGE" for _, code, _ in problems):
        return {"message": "Cannot send an empty message", "code": 50006}
    errors: dict[str, Any] = {}
    for path, code, message in problems:
        node = errors
        for part in ([prefix] if prefix else []) + path.split("."):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return {"message": "Invalid Form Body", "code": 50035, "errors": errors}
