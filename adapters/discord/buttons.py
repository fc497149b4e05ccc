"""Discord's buttons and select menus for a reply, as plain spec values.

`components.build_view` turns them into discord.py view items; tests read every button's action
from them without a running bot. What a button does is the core's (`Choice`, `PageInfo`,
`Action`); this module only decides how each looks and how its answer is shown on Discord.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.discord.actions import ActionCodec, Answer, Click
from adapters.discord.markup import clip
from bot.types import (
    Action,
    ActionStyle,
    Choices,
    FilmCard,
    PageInfo,
    Reply,
    ReviewCard,
    film_label,
)

BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
SELECT_TEXT_MAX = 100
ROW_WIDTH = 5
ROWS_MAX = 5

# The disabled "2 / 5" button between Previous and Next; it shares the buttons' id pattern so
# every item of a Marquee view is dynamic (see components.py).
PAGE_LABEL_ID = "mq1:page"


@dataclass(frozen=True)
class ButtonSpec:
    label: str
    custom_id: str
    style: ActionStyle = "secondary"
    disabled: bool = False


@dataclass(frozen=True)
class SelectOptionSpec:
    label: str
    value: str
    description: str | None = None


@dataclass(frozen=True)
class SelectSpec:
    custom_id: str
    placeholder: str
    options: tuple[SelectOptionSpec, ...]


ComponentSpec = ButtonSpec | SelectSpec


def choices_select(block: Choices, codec: ActionCodec, index: int, *, paged: bool) -> SelectSpec:
    # A one-off question (which "Solaris"?) is replaced by its answer; a list one can page
    # through (search results) stays, and the pick opens below it.
    answer = Answer.NEW if paged else Answer.EDIT
    options = tuple(
        SelectOptionSpec(
            label=clip(choice.label, SELECT_TEXT_MAX),
            value=codec.encode(Click(choice.command, dict(choice.args), answer)),
            description=clip(choice.description, SELECT_TEXT_MAX) if choice.description else None,
        )
        for choice in block.options[:SELECT_OPTIONS_MAX]
    )
    return SelectSpec(
        custom_id=f"mq1:select:{index}", placeholder=clip(block.prompt, 150), options=options
    )


def paging_buttons(page: PageInfo, codec: ActionCodec) -> tuple[ButtonSpec, ...]:
    if page.page_count <= 1:
        return ()
    previous = max(1, page.page - 1)
    following = min(page.page_count, page.page + 1)
    return (
        ButtonSpec(
            "◀ Previous",
            codec.encode(Click(page.command, page.args_for(previous), Answer.EDIT)),
            disabled=page.page <= 1,
        ),
        ButtonSpec(f"{page.page} / {page.page_count}", PAGE_LABEL_ID, disabled=True),
        ButtonSpec(
            "Next ▶",
            codec.encode(Click(page.command, page.args_for(following), Answer.EDIT)),
            style="primary",
            disabled=page.page >= page.page_count,
        ),
    )


# How each kind of answer the core asks for is given on Discord.
ANSWERS = {"replace": Answer.EDIT, "new": Answer.NEW, "private": Answer.PRIVATE}


def action_buttons(reply: Reply, codec: ActionCodec) -> tuple[ButtonSpec, ...]:
    """The follow-ups of the reply's cards as one row of buttons (Discord puts components under
    the message, not under each embed). Cards that offer the same action share its button;
    when several films offer one, its label names the film."""
    offered: dict[str, tuple[Action, str]] = {}
    for block in reply.blocks:
        if isinstance(block, ReviewCard) and block.reveal is not None:
            pairs = [(block.reveal, film_label(block.film_title, block.film_year))]
        elif isinstance(block, FilmCard):
            pairs = [(action, block.label) for action in block.actions]
        else:
            continue
        for action, film in pairs:
            click = Click(action.command, dict(action.args), ANSWERS[action.opens])
            offered.setdefault(codec.encode(click), (action, film))
    films = {film for _, film in offered.values()}
    buttons = []
    for custom_id, (action, film) in list(offered.items())[:ROW_WIDTH]:
        label = action.label if len(films) == 1 else f"{action.label}: {film}"
        buttons.append(ButtonSpec(clip(label, BUTTON_LABEL_MAX), custom_id, style=action.style))
    return tuple(buttons)
