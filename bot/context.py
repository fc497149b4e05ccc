"""What a command handler gets: the open unit of work, who asks, where, and when."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.registry import CommandSpec
from bot.types import Actor, ChannelRef

if TYPE_CHECKING:
    from bot.community import Here
    from bot.recommend.index import RecommendationIndex
    from bot.recommend.model import Recommender
    from bot.resolve import TitleResolver


class UserError(Exception):
    """Raised by a handler to refuse: the message is shown and the transaction rolls back.
    `param` names the parameter at fault, when one is (a form shows the message beside it)."""

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass
class Context:
    session: Session
    actor: Actor
    channel: ChannelRef
    now: datetime
    spec: CommandSpec
    resolver: TitleResolver
    recommendations: RecommendationIndex
    # The community the command acts in (bot/community.py); the session is scoped to it.
    here: Here
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def community_id(self) -> int:
        return self.here.community_id

    @property
    def recommender(self) -> Recommender:
        """The recommendation index, current as of this unit of work (built on first use)."""
        return self.recommendations.current(self.session)
