"""A Slack request as the core's `Invocation`: who asks (`Actor`) and where (`ChannelRef`).

The one place that reads those facts from Slack's payloads. Slash commands carry them flat
(`user_id`, `team_id`, `channel_id`); interactivity nests them (`user.id`, `team.id`,
`channel.id`); a form submission has no channel of its own and carries the one the form was
opened from in its private metadata (`FormContext`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.slack.forms import FormContext
from adapters.slack.roles import RoleResolver
from bot.types import Actor, ArgValue, ChannelRef, Invocation


def channel_ref(body: Mapping[str, Any], form: FormContext | None = None) -> ChannelRef:
    """Where a request was made: a slash command, a click, or (with its context) a form."""
    if form is not None:
        return ChannelRef("slack", form.team_id, form.channel_id)
    user = body.get("user") or {}
    team = body.get("team_id") or (body.get("team") or {}).get("id") or user.get("team_id")
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    return ChannelRef("slack", team or "", channel or "")


async def actor(roles: RoleResolver, body: Mapping[str, Any]) -> Actor:
    """Who made the request, with the role Slack's facts give them."""
    user = body.get("user") or {}
    user_id = body.get("user_id") or user.get("id") or ""
    name = body.get("user_name") or user.get("username") or user.get("name") or ""
    return await roles.actor(user_id, name)


async def invocation(
    roles: RoleResolver,
    body: Mapping[str, Any],
    command: str,
    args: dict[str, ArgValue],
    form: FormContext | None = None,
) -> Invocation:
    return Invocation(command, args, await actor(roles, body), channel_ref(body, form))
