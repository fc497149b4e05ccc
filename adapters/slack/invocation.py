"""A Slack request as the core's `Invocation`: who asks (`Actor`) and where (`ChannelRef`).

The one place that reads those facts from Slack's payloads. Slash commands carry them flat
(`user_id`, `team_id`, `channel_id`); interactivity nests them (`user.id`, `team.id`,
`channel.id`); a form submission has no channel of its own and carries the one the form was
opened from in its private metadata (`FormContext`).

Who asks is looked up once per request, by the app's middleware (`actor_middleware`), before
any listener runs; listeners read it from bolt's context (`request_actor`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncBoltContext, AsyncRespond
from slack_bolt.response import BoltResponse

from adapters.answering import catch_all
from adapters.slack.forms import FormContext
from adapters.slack.roles import RoleResolver
from bot.types import Actor, ArgValue, ChannelRef, Invocation

# The key in bolt's per-request context under which the middleware leaves the `Actor`.
ACTOR_KEY = "marquee_actor"


def channel_ref(body: Mapping[str, Any], form: FormContext | None = None) -> ChannelRef:
    """Where a request was made: a slash command, a click, or (with its context) a form."""
    if form is not None:
        return ChannelRef("slack", form.team_id, form.channel_id)
    user = body.get("user") or {}
    team = body.get("team_id") or (body.get("team") or {}).get("id") or user.get("team_id")
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    return ChannelRef("slack", team or "", channel or "")


def user_id_of(body: Mapping[str, Any]) -> str:
    """The Slack user a request comes from, "" when it names none."""
    user = body.get("user") or {}
    return str(body.get("user_id") or user.get("id") or "")


async def resolve_actor(roles: RoleResolver, body: Mapping[str, Any]) -> Actor:
    """Who made the request, with the role Slack's facts give them (Slack lookups, cached)."""
    user = body.get("user") or {}
    name = body.get("user_name") or user.get("username") or user.get("name") or ""
    return await roles.actor(user_id_of(body), name)


Middleware = Callable[
    [Mapping[str, Any], AsyncBoltContext, Callable[[], Awaitable[None]]],
    Awaitable[BoltResponse | None],
]


def actor_middleware(
    roles: RoleResolver, apology: Callable[[AsyncRespond | None], Callable[[str], Awaitable[None]]]
) -> Middleware:
    """A bolt middleware that resolves who asks for every listener. If that fails, the person
    gets the apology (`apology(respond)` says it through bolt's `respond`, when the request has
    a response_url), the request is acknowledged, and no listener runs."""

    async def resolve(
        body: Mapping[str, Any], context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        # bolt passes these by name: `next_` is its name for `next` that shadows no builtin.
        if not user_id_of(body):
            await next_()  # not a person's request (none reach Marquee today): nothing to add
            return None
        async with catch_all("Slack: who is asking", apology(context.respond)):
            context[ACTOR_KEY] = await resolve_actor(roles, body)
            await next_()
            return None
        return BoltResponse(status=200, body="")

    return resolve


def request_actor(context: Mapping[str, Any]) -> Actor:
    """The actor the middleware resolved for this request."""
    actor = context.get(ACTOR_KEY)
    if not isinstance(actor, Actor):
        raise LookupError("no actor for this request: is the actor middleware installed?")
    return actor


def invocation(
    context: Mapping[str, Any],
    body: Mapping[str, Any],
    command: str,
    args: dict[str, ArgValue],
    form: FormContext | None = None,
) -> Invocation:
    """The request as the core's invocation of `command`: its actor, from the context, and its
    channel, from the payload (or, for a form submission, from the form)."""
    return Invocation(command, args, request_actor(context), channel_ref(body, form))
