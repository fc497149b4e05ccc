"""A moderator command that would lose or duplicate something asks to be run again, confirmed."""

from __future__ import annotations

from typing import NoReturn

from bot.context import Context, UserError
from bot.textargs import command_line
from bot.types import ArgValue

# Beyond this length a refusal names the confirming option rather than the whole command.
CONFIRM_LINE_MAX = 300


def refuse_unless_confirmed(
    ctx: Context, args: dict[str, ArgValue], option: str, message: str
) -> NoReturn:
    """Refuse (nothing is written), naming the same command with `option` set to yes.

    The command is a backticked mention, which each adapter writes the way its platform types
    it (`/film add …` on the console, `/film-add title:… again:True` on Discord), so it runs
    as printed everywhere.
    """
    again = {p.name: args[p.name] for p in ctx.spec.params if p.name in args}
    again[option] = True
    line = command_line(ctx.spec.name, again)
    how = f"`{line}`" if len(line) <= CONFIRM_LINE_MAX else f"the same command with {option}=yes"
    raise UserError(f"{message} Nothing was changed. If you are sure: {how}.")
