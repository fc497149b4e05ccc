"""What a button or select option carries back to Marquee: a command and its arguments.

Slack echoes an element's `value` (or the chosen option's `value`) in the `block_actions`
payload, signed like every request. We put the whole re-invocation there, so a click needs no
server-side state: the core re-runs `command` with `args` for whoever clicked, with their role.
The rare action too long for Slack's value is kept in a `LongActions` table instead, as on
Discord (see adapters/long_actions.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum

from adapters.long_actions import EXPIRED, LongActions
from bot.registry import find_command
from bot.types import ArgValue

BUTTON_VALUE_MAX = 2000  # Block Kit: button value
OPTION_VALUE_MAX = 150  # Block Kit: option value
ACTION_PREFIX = "marquee."
ACTION_ID_MAX = 255  # Block Kit: action_id


class ActionKind(Enum):
    """How the answer to a click is shown."""

    PICK = "pick"  # a disambiguation choice: the answer replaces the question
    PAGE = "page"  # previous / next: the new page replaces the old one
    SPOILER = "spoiler"  # only the reader who asked sees the spoilers
    OPEN = "open"  # a follow-up ("Reviews" on a film card) shown to the clicker only

    @property
    def replaces_original(self) -> bool:
        return self in (ActionKind.PICK, ActionKind.PAGE)


@dataclass(frozen=True)
class ActionRequest:
    kind: ActionKind
    command: str
    args: dict[str, ArgValue]


class BadAction(ValueError):
    """A click whose action id or value we did not write (old message, other app)."""


def action_id(kind: ActionKind, suffix: str | int) -> str:
    # Action ids must be unique within a message, hence the suffix.
    return f"{ACTION_PREFIX}{kind.value}.{suffix}"


class ExpiredAction(BadAction):
    """A click on a long action this process no longer keeps (restart, or pushed out)."""


# One table per process: rendering stays a pure function of the reply (see render.py).
LONG_ACTIONS: LongActions[str] = LongActions()


def encode_value(command: str, args: dict[str, ArgValue], limit: int = BUTTON_VALUE_MAX) -> str:
    """The action as an element value of at most `limit` characters (Slack refuses longer)."""
    if find_command(command) is None:
        raise ValueError(f"not a registry command: {command!r}")
    value = json.dumps({"c": command, "a": args}, separators=(",", ":"), ensure_ascii=False)
    if len(value) <= limit:
        return value
    return json.dumps({"k": LONG_ACTIONS.keep(value, value)}, separators=(",", ":"))


def decode_action(action: dict[str, object]) -> ActionRequest:
    """Read one entry of a block_actions payload's `actions` list."""
    aid = str(action.get("action_id", ""))
    if not aid.startswith(ACTION_PREFIX):
        raise BadAction(f"not a Marquee action: {aid!r}")
    kind_name = aid[len(ACTION_PREFIX) :].split(".", 1)[0]
    try:
        kind = ActionKind(kind_name)
    except ValueError as exc:
        raise BadAction(f"unknown action kind {kind_name!r}") from exc
    selected = action.get("selected_option")
    raw = selected.get("value") if isinstance(selected, dict) else action.get("value")
    try:
        data = json.loads(str(raw))
        if isinstance(data, dict) and set(data) == {"k"}:
            kept = LONG_ACTIONS.get(str(data["k"]))
            if kept is None:
                raise ExpiredAction(EXPIRED)
            data = json.loads(kept)
        command, args = data["c"], data["a"]
    except (ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, ExpiredAction):
            raise
        raise BadAction("unreadable action value") from exc
    if not isinstance(command, str) or find_command(command) is None or not isinstance(args, dict):
        raise BadAction(f"unknown command in action: {command!r}")
    if not all(isinstance(v, str | int | float | bool) or v is None for v in args.values()):
        raise BadAction("action arguments must be scalars")
    return ActionRequest(kind, command, {str(k): v for k, v in args.items()})
