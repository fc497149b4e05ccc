"""The moderator forms (Discord modals) for commands listed in `commands.MODAL_FORMS`.

Fields come from the registry's parameters: long text is a paragraph, lengths are the
registry's, a yes/no parameter is a short text field ("yes" or "no") that the core reads like
any other boolean argument. On submit the form hands the arguments to the adapter, which runs
the command like any other: the core decides whether this member may, and what it means.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import discord
from discord import ui

from adapters.discord.commands import ModalForm
from bot.registry import CommandSpec, Param, ParamKind
from bot.types import ArgValue

LABEL_MAX = 45  # Discord's limit for a text input's label
INPUT_MAX = 4000  # Discord's limit for a text input's length

SubmitHandler = Callable[
    [discord.Interaction[Any], CommandSpec, dict[str, ArgValue]], Awaitable[None]
]

_PLACEHOLDERS = {
    ParamKind.BOOL: "yes or no",
    ParamKind.RATING: "0.5 to 5, in half stars",
    ParamKind.TITLE: "The film's title",
    ParamKind.INT: "A number",
}


def form_custom_id(spec: CommandSpec, user_id: int, fixed: Mapping[str, ArgValue]) -> str:
    """One id per person, command and fixed arguments.

    discord.py keeps an open form until it is submitted. Reopening the same form replaces the
    kept one instead of adding another, so forms that are closed unsent cannot pile up; the
    fixed arguments are part of the id so two forms for two different reviews stay apart.
    """
    digest = hashlib.blake2b(
        json.dumps(fixed, sort_keys=True, default=str).encode(), digest_size=6
    ).hexdigest()
    return f"mq1-form:{spec.slug}:{user_id}:{digest}"


def _text_input(param: Param, default: ArgValue) -> ui.TextInput[Any]:
    limit = min(param.max_length or INPUT_MAX, INPUT_MAX)
    if param.kind in (ParamKind.BOOL, ParamKind.RATING, ParamKind.INT):
        limit = min(limit, 20)
    return ui.TextInput(
        label=param.description[:LABEL_MAX],
        custom_id=param.name,
        style=discord.TextStyle.paragraph if param.long else discord.TextStyle.short,
        placeholder=_PLACEHOLDERS.get(param.kind),
        default=None if default in (None, "") else str(default)[:limit],
        required=param.required,
        max_length=limit,
    )


class CommandForm(ui.Modal):
    def __init__(
        self,
        spec: CommandSpec,
        form: ModalForm,
        *,
        user_id: int,
        given: Mapping[str, ArgValue],
        on_submit: SubmitHandler,
    ) -> None:
        # Arguments given as slash options that the form does not show travel with it.
        self.fixed = {k: v for k, v in given.items() if k not in form.fields}
        super().__init__(
            title=form.title, timeout=None, custom_id=form_custom_id(spec, user_id, self.fixed)
        )
        self.spec = spec
        self._submit = on_submit
        self.inputs: dict[str, ui.TextInput[Any]] = {}
        for name in form.fields:
            param = spec.param(name)
            if param is None:
                raise ValueError(f"form field {name!r} is not a parameter of {spec.name!r}")
            self.inputs[name] = _text_input(param, given.get(name))
            self.add_item(self.inputs[name])

    def values(self) -> dict[str, ArgValue]:
        """The fixed arguments plus every field filled in; an empty field means "not given"."""
        args: dict[str, ArgValue] = dict(self.fixed)
        for name, field in self.inputs.items():
            if field.value.strip():
                args[name] = field.value
        return args

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self._submit(interaction, self.spec, self.values())
