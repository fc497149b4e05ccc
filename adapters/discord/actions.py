"""What a button or select option does when clicked, packed into Discord's 100-character ids.

A component carries its whole action (command, arguments, how to answer) in its `custom_id` (or
a select option's `value`), so a click works after a restart and on any process of the bot: no
state is kept for it. The rare action too long to fit (a long search text plus a page number)
is kept in a bounded in-memory table instead and named by a short key; such a button stops
working after a restart or once many newer ones have pushed it out, and then says so.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import Enum

from bot.types import ArgValue

MAX_ID = 100  # Discord's limit for custom_id and for a select option's value
PREFIX = "mq1:"  # versioned, so a later format can still read old buttons
_KEYED = PREFIX + "#"
_SCALARS = (str, int, float, bool, type(None))
# Long actions kept in memory at most; least recently used ones are forgotten first.
OVERFLOW_SIZE = 20_000
# The pattern discord.py matches to route a clicked component back to Marquee.
CUSTOM_ID_PATTERN = r"mq1:.*"


class Answer(Enum):
    """How the answer to a click is shown."""

    EDIT = "e"  # replace the message the component is on (paging, answering a question)
    NEW = "n"  # a new message below (opening one result of a list one can keep browsing)
    PRIVATE = "p"  # a new message only the clicker sees (revealing spoilers)


@dataclass(frozen=True)
class Action:
    command: str
    args: dict[str, ArgValue] = field(default_factory=dict)
    answer: Answer = Answer.EDIT


class ActionCodec:
    """Encodes actions into ids of at most 100 characters and decodes them back."""

    def __init__(self, overflow_size: int = OVERFLOW_SIZE) -> None:
        self._overflow: OrderedDict[str, Action] = OrderedDict()
        self._overflow_size = overflow_size

    def encode(self, action: Action) -> str:
        args = json.dumps(action.args, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
        text = f"{PREFIX}{action.answer.value}:{action.command}:{args}"
        if len(text) <= MAX_ID:
            return text
        key = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
        self._overflow[key] = action
        self._overflow.move_to_end(key)
        while len(self._overflow) > self._overflow_size:
            self._overflow.popitem(last=False)
        return _KEYED + key

    def __len__(self) -> int:
        """How many long actions are kept in memory."""
        return len(self._overflow)

    def decode(self, text: str) -> Action | None:
        """The action an id names, or None if it is not Marquee's or has been forgotten."""
        if text.startswith(_KEYED):
            key = text[len(_KEYED) :]
            action = self._overflow.get(key)
            if action is not None:
                self._overflow.move_to_end(key)  # a button still in use is kept longest
            return action
        if not text.startswith(PREFIX):
            return None
        try:
            answer, command, args_json = text[len(PREFIX) :].split(":", 2)
            args = json.loads(args_json)
            action = Action(command, dict(args), Answer(answer))
        except (ValueError, TypeError):
            return None
        # Only scalars are arguments; anything else did not come from `encode`.
        if not all(isinstance(v, _SCALARS) for v in action.args.values()):
            return None
        return action
