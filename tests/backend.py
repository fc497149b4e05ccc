"""A test backend in the style of errbot's testbot: speak to the core as a chosen person.

    bot.say("/rate Solaris 4")                        # typed, parsed by the console's parser
    bot.as_moderator().say("/review add Arrival rating=4 headline=h body=b")
    bot.ask("rate", title="Solaris (1972)", score=4)  # exact arguments, no parsing
    bot.ask("audit", as_=Role.ADMIN)                  # or as_=an Actor
    bot.say("1")                                      # picks the first choice of the last reply

Lines go through the console adapter's own `ConsoleSession`, so what a test types is what a
person types (shortcuts included); only the channel and the speaker are the test's.
"""

from __future__ import annotations

import dataclasses

from adapters.console.shell import ConsoleSession
from bot.core import Marquee
from bot.types import Actor, ArgValue, ChannelRef, Invocation, Reply, Role

CHANNEL = ChannelRef("test", "workspace", "channel")
MEMBER = Actor("test", "u-member", "Mia Member", Role.MEMBER)
MODERATOR = Actor("test", "u-mod", "Max Moderator", Role.MODERATOR)
ADMIN = Actor("test", "u-admin", "Ada Admin", Role.ADMIN)
BY_ROLE = {Role.MEMBER: MEMBER, Role.MODERATOR: MODERATOR, Role.ADMIN: ADMIN}

Speaker = Actor | Role


class NotACommand(ValueError):
    """A line the console would answer itself (bad quoting, no such command): in a test that
    is a typo in the test, so it fails loudly instead of becoming a reply to assert on."""


class SayBot:
    """One person on one channel talking to a `Marquee`. Views made by `as_…` share the core."""

    def __init__(
        self, core: Marquee, *, actor: Actor = MEMBER, channel: ChannelRef = CHANNEL
    ) -> None:
        self.core = core
        self.actor = actor
        self.channel = channel
        # Like the console, each person has their own last reply for "1", "next", "prev".
        self.last: Reply | None = None

    def as_(self, who: Speaker) -> SayBot:
        """The same bot, spoken to by `who` (an actor, or the standard actor of a role)."""
        return SayBot(self.core, actor=self._speaker(who), channel=self.channel)

    def as_member(self) -> SayBot:
        return self.as_(Role.MEMBER)

    def as_moderator(self) -> SayBot:
        return self.as_(Role.MODERATOR)

    def as_admin(self) -> SayBot:
        return self.as_(Role.ADMIN)

    def say(self, line: str, *, as_: Speaker | None = None) -> Reply:
        """The reply to a line as typed at the console ("/review Solaris spoilers=yes")."""
        actor = self._speaker(as_)
        session = ConsoleSession(self.core, actor, self.channel)
        session.last = self.last
        parsed = session.invocation_for(line)
        if isinstance(parsed, str):
            raise NotACommand(f"{line!r}: {parsed}")
        return self.send(dataclasses.replace(parsed, actor=actor, channel=self.channel))

    def ask(self, command: str, /, *, as_: Speaker | None = None, **args: ArgValue) -> Reply:
        """The reply to `command` with exactly these arguments, as an adapter would pass them."""
        return self.send(Invocation(command, dict(args), self._speaker(as_), self.channel))

    def send(self, invocation: Invocation) -> Reply:
        reply = self.core.handle(invocation)
        self.last = reply
        return reply

    def _speaker(self, who: Speaker | None) -> Actor:
        actor = self.actor if who is None else BY_ROLE[who] if isinstance(who, Role) else who
        # A person speaks on the channel's platform; alerts are stored against that pair.
        return dataclasses.replace(actor, platform=self.channel.platform)
