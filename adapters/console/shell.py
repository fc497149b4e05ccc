"""The console adapter: the same commands as the chat platforms, typed or piped in."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from adapters.console.files import deliver_files
from adapters.console.render import render_reply
from bot.core import Marquee
from bot.textargs import ArgSyntaxError, parse_line
from bot.types import Actor, ChannelRef, Choices, Invocation, Reply, Role

CHANNEL = ChannelRef("console", "local", "console")


class ConsoleSession:
    """Parses lines into invocations; remembers the last choices and page for shortcuts."""

    def __init__(
        self,
        core: Marquee,
        actor: Actor,
        channel: ChannelRef = CHANNEL,
        *,
        exports_dir: Path | None = None,
    ) -> None:
        self.core = core
        self.actor = actor
        self.channel = channel
        # Where a reply's files are saved; None (scripted sessions, tests): nowhere.
        self.exports_dir = exports_dir
        self.last: Reply | None = None

    def invocation_for(self, line: str) -> Invocation | str:
        """An Invocation, or a message when the line is not a command."""
        text = line.strip()
        shortcut = self._shortcut(text)
        if shortcut is not None:
            return shortcut
        try:
            parsed = parse_line(text)
        except ArgSyntaxError as exc:
            return f"✖ {exc}"
        if parsed is None:
            word = text.lstrip("/").split()[0][:40]
            return f"✖ Unknown command “{word}”. Type /help for the list."
        spec, args = parsed
        return Invocation(spec.name, args, self.actor, self.channel)

    def _shortcut(self, text: str) -> Invocation | None:
        """A bare number picks one of the last choices; "next"/"prev" turn the last page."""
        last = self.last
        if last is None:
            return None
        if text.isdecimal():
            choices = next((b for b in last.blocks if isinstance(b, Choices)), None)
            if choices and 1 <= int(text) <= len(choices.options):
                choice = choices.options[int(text) - 1]
                return Invocation(choice.command, dict(choice.args), self.actor, self.channel)
        if last.page and text.lower() in ("next", "n", "prev", "previous", "p"):
            step = 1 if text.lower().startswith("n") else -1
            target = last.page.page + step
            if 1 <= target <= last.page.page_count:
                return Invocation(
                    last.page.command, last.page.args_for(target), self.actor, self.channel
                )
        return None

    def run_line(self, line: str) -> str:
        inv = self.invocation_for(line)
        if isinstance(inv, str):
            return inv
        reply = self.core.handle(inv)
        self.last = reply
        return render_reply(deliver_files(reply, self.exports_dir))


def run_shell(
    core: Marquee,
    *,
    user: str,
    role: Role,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    community: str = "local",
    exports_dir: Path | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    # Whoever has the console has the machine: they run this Marquee (an operator).
    actor = Actor("console", user.casefold().replace(" ", "-"), user, role, operator=True)
    channel = ChannelRef("console", community, "console")
    session = ConsoleSession(core, actor, channel, exports_dir=exports_dir)
    interactive = stdin.isatty()
    if interactive:
        try:
            import readline  # noqa: F401  (line editing and history for input())
        except ImportError:
            pass
        print(
            f"Marquee console — you are {user} ({role.name.lower()}). "
            "Type /help, a number to pick a choice, next/prev to page, or quit.",
            file=stdout,
        )
    while True:
        if interactive:
            try:
                line = input("marquee> ")
            except (EOFError, KeyboardInterrupt):
                print(file=stdout)
                return 0
        else:
            line = stdin.readline()
            if not line:
                return 0
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.strip().lower() in ("quit", "exit", "/quit", "/exit"):
            return 0
        print(session.run_line(line), file=stdout, flush=True)
        if not interactive:
            print(file=stdout)
