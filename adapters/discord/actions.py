"""What a button or select option does when clicked, packed into Discord's 100-character ids.

A component carries its whole action (command, arguments, how to answer) in its `custom_id` (or
a select option's `value`), so a click works after a restart and on any process of the bot: no
state is kept for it. The rare action too long to fit is kept in a `LongActions` table instead,
as on Slack (see adapters/long_actions.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum

from adapters.long_actions import KEPT, LongActions
from bot.types import ArgValue

MAX_ID = 100  # Discord's limit for custom_id and for a select option's value
PREFIX = "mq1:"  # versioned, so a later format can still read old buttons
_KEYED = PREFIX + "#"
_SCALARS = (str, int, float, bool, type(None))
# The pattern discord.py matches to route a clicked component back to Marquee.
CUSTOM_ID_PATTERN = r"mq1:.*"


class Answer(Enum):
    """How the answer to a click is shown."""

    EDIT = "e"  # replace the message the component is on (paging, answering a question)
    NEW = "n"  # a new message below (opening one result of a list one can keep browsing)
    PRIVATE = "p"  # a new message only the clicker sees (revealing spoilers)


@dataclass(frozen=True)
class Click:
    """What a clicked component asks for: a command, its arguments, and how to answer."""

    command: str
    args: dict[str, ArgValue] = field(default_factory=dict)
    answer: Answer = Answer.EDIT


class ActionCodec:
    """Encodes actions into ids of at most 100 characters and decodes them back."""

    def __init__(self, overflow_size: int = KEPT) -> None:
        self._overflow: LongActions[Click] = LongActions(overflow_size)

    def encode(self, action: Click) -> str:
        args = json.dumps(action.args, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
        text = f"{PREFIX}{action.answer.value}:{action.command}:{args}"
        if len(text) <= MAX_ID:
            return text
        return _KEYED + self._overflow.keep(text, action)

    def __len__(self) -> int:
        """How many long actions are kept in memory."""
        return len(self._overflow)

    def decode(self, text: str) -> Click | None:
        """The action an id names, or None if it is not Marquee's or has been forgotten."""
        if text.startswith(_KEYED):
            return self._overflow.get(text[len(_KEYED) :])
        if not text.startswith(PREFIX):
            return None
        try:
            answer, command, args_json = text[len(PREFIX) :].split(":", 2)
            args = json.loads(args_json)
            action = Click(command, dict(args), Answer(answer))
        except (ValueError, TypeError):
            return None
        # Only scalars are arguments; anything else did not come from `encode`.
        if not all(isinstance(v, _SCALARS) for v in action.args.values()):
            return None
        return action
