"""discord.py view items for Marquee's buttons and select menus.

Each item is a `DynamicItem`: discord.py routes a click to it by matching the `custom_id`
against a pattern, rebuilding the item from the clicked message. A view made only of such items
is not kept in discord.py's view store, so sending thousands of replies keeps no memory and a
click still works after a restart. The item hands the click to the adapter behind Marquee's
client (`connection.MarqueeClient`'s `ClientEvents`), as every other gateway event is.
"""

from __future__ import annotations

import re
from typing import Any, Self, cast

import discord
from discord import ui

from adapters.discord.buttons import ButtonSpec, SelectSpec
from adapters.discord.connection import ClientEvents, MarqueeClient
from adapters.discord.render import RenderedMessage

BUTTON_TEMPLATE = r"mq1:(?:[enp]:.*|#[0-9a-f]+|page)"
SELECT_TEMPLATE = r"mq1:select:\d+"


def _handler(interaction: discord.Interaction[Any]) -> ClientEvents:
    client = interaction.client
    if not isinstance(client, MarqueeClient):
        raise RuntimeError("this discord.py client is not Marquee's (connection.MarqueeClient)")
    return client.marquee_components


class ActionButton(ui.DynamicItem[ui.Button[Any]], template=BUTTON_TEMPLATE):
    def __init__(self, button: ui.Button[Any]) -> None:
        super().__init__(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(cast(ui.Button[Any], item))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handler(interaction).on_action(interaction, self.custom_id)


class ChoiceSelect(ui.DynamicItem[ui.Select[Any]], template=SELECT_TEMPLATE):
    def __init__(self, select: ui.Select[Any]) -> None:
        super().__init__(select)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(cast(ui.Select[Any], item))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        # Each option's value is an encoded action; a select sends exactly one value.
        await _handler(interaction).on_action(interaction, self.item.values[0])


_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "danger": discord.ButtonStyle.danger,
}


def _item(spec: ButtonSpec | SelectSpec, row: int) -> ui.Item[Any]:
    if isinstance(spec, ButtonSpec):
        button: ui.Button[Any] = ui.Button(
            label=spec.label,
            custom_id=spec.custom_id,
            style=_STYLES[spec.style],
            disabled=spec.disabled,
            row=row,
        )
        return ActionButton(button)
    options = [
        discord.SelectOption(label=o.label, value=o.value, description=o.description)
        for o in spec.options
    ]
    select: ui.Select[Any] = ui.Select(
        custom_id=spec.custom_id, placeholder=spec.placeholder, options=options, row=row
    )
    return ChoiceSelect(select)


def build_view(message: RenderedMessage) -> ui.View | None:
    """A view holding the message's components, or None when it has none."""
    if not message.rows:
        return None
    # No timeout: the items are dynamic, so the view is not kept after sending anyway.
    view = ui.View(timeout=None)
    for row, specs in enumerate(message.rows):
        for spec in specs:
            view.add_item(_item(spec, row))
    return view
