"""The Discord bot: discord.py events in, `Invocation`s to the core, rendered `Reply`s out.

`MarqueeDiscord` owns one discord.py client and no business rules. Every interaction becomes
one `Invocation`; the core (synchronous) runs in a worker thread; its `Reply` is rendered by
`render.py`. Discord wants an answer within 3 seconds: the adapter waits for the core for
`reply_budget` seconds and, if it has not answered by then, defers (Discord shows "thinking")
and follows up when it has.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any, Protocol, cast

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route
from discord.utils import MISSING

from adapters.core_calls import call_core, handle_off_loop
from adapters.discord.actions import ActionCodec, Answer
from adapters.discord.attachments import AttachmentRefused, attach_files
from adapters.discord.commands import (
    MODAL_FORMS,
    command_payloads,
    focused_option,
    needs_form,
    options_to_args,
    slash_commands,
)
from adapters.discord.components import (
    BUTTON_TEMPLATE,
    SELECT_TEMPLATE,
    ActionButton,
    ChoiceSelect,
    build_view,
)
from adapters.discord.forms import CommandForm
from adapters.discord.notifier import DiscordNotifier
from adapters.discord.render import RenderedMessage, clip, render_reply
from adapters.discord.roles import interaction_role
from bot.registry import CommandSpec, ParamKind
from bot.settings import Settings
from bot.types import Actor, ArgValue, ChannelRef, Invocation, Reply

log = logging.getLogger(__name__)

# Discord's own endpoints, remembered before anything points discord.py elsewhere.
DISCORD_API_BASE = Route.BASE
DISCORD_GATEWAY = DiscordWebSocket.DEFAULT_GATEWAY

# Interactions need no privileged intents. `guilds` keeps servers, channels and roles cached;
# messages and members are never read.
INTENTS = discord.Intents.none()
INTENTS.guilds = True

# What the bot needs in a channel: see it, answer in it and its threads, show embeds.
PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, send_messages_in_threads=True, embed_links=True
)
NO_MENTIONS = discord.AllowedMentions.none()
FORMS_KEPT = 10_000  # forms remembered, open or sent, to tell a repeat from an expired one
AUTOCOMPLETE_MAX = 25

# Autocomplete cannot take a message as its answer; every other interaction can.
_ANSWERABLE = (
    discord.InteractionType.application_command,
    discord.InteractionType.component,
    discord.InteractionType.modal_submit,
)
_OUR_COMPONENT = re.compile(f"(?:{BUTTON_TEMPLATE})|(?:{SELECT_TEMPLATE})")


class MarqueeCore(Protocol):
    """What the adapter needs of the core (`bot.core.Marquee`)."""

    def handle(self, inv: Invocation) -> Reply: ...

    def complete_titles(self, text: str, limit: int = 25) -> list[tuple[str, str]]: ...


class _Answer(enum.Enum):
    NEW = "new"  # a new message (slash commands, forms, opening a listed film)
    EDIT = "edit"  # replace the message a clicked component is on
    PRIVATE = "private"  # a new message only the clicker sees


_FROM_ACTION = {Answer.EDIT: _Answer.EDIT, Answer.NEW: _Answer.NEW, Answer.PRIVATE: _Answer.PRIVATE}


def _data(interaction: discord.Interaction[Any]) -> Mapping[str, Any]:
    """The interaction's raw `data` (options, custom_id) as Discord sent it."""
    return cast(Mapping[str, Any], interaction.data or {})


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(
        application_id, permissions=PERMISSIONS, scopes=("bot", "applications.commands")
    )


def configure_endpoints(settings: Settings) -> None:
    """Point discord.py at the configured REST base and gateway.

    discord.py keeps both as class attributes, so this is process-wide: one process talks to
    one Discord (or one proxy), which is how Marquee is deployed. The REST base includes the
    API version, e.g. `https://discord.com/api/v10`.
    """
    Route.BASE = (settings.discord_api_base or DISCORD_API_BASE).rstrip("/")
    gateway = settings.discord_gateway_url
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway) if gateway else DISCORD_GATEWAY


class _ShardedClient(discord.AutoShardedClient):
    """Shards connect to the configured gateway rather than the one `/gateway/bot` names."""

    def __init__(self, *, gateway: str | None, **options: Any) -> None:
        super().__init__(**options)
        self._gateway = yarl.URL(gateway) if gateway else None

    async def launch_shard(
        self, gateway: yarl.URL, shard_id: int, *, initial: bool = False
    ) -> None:
        await super().launch_shard(self._gateway or gateway, shard_id, initial=initial)


class MarqueeDiscord:
    """The Discord adapter. `start()` logs in, syncs the commands and connects; `close()` stops."""

    def __init__(
        self,
        core: MarqueeCore,
        settings: Settings,
        *,
        reply_budget: float = 2.0,
        autocomplete_budget: float = 2.5,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        if not settings.discord_token:
            raise ValueError("DISCORD_TOKEN is not set")
        configure_endpoints(settings)
        # Marquee never joins voice: spare operators discord.py's warnings about voice libraries.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        self.core = core
        self.settings = settings
        self.reply_budget = reply_budget
        self.autocomplete_budget = autocomplete_budget
        self.commands: dict[str, CommandSpec] = slash_commands()
        self.codec = ActionCodec()
        options: dict[str, Any] = {
            "intents": INTENTS,
            "allowed_mentions": NO_MENTIONS,
            "chunk_guilds_at_startup": False,
            "guild_ready_timeout": guild_ready_timeout,
            # A REST call that would wait longer than this raises `discord.RateLimited`
            # instead: the alert notifier hands that back to its delivery loop (30 s is
            # discord.py's smallest allowed value).
            "max_ratelimit_timeout": 30.0,
        }
        self.client: discord.Client = (
            _ShardedClient(gateway=settings.discord_gateway_url, **options)
            if settings.discord_sharded
            else discord.Client(**options)
        )
        # discord.py calls `on_<event>` attributes of the client; components find this adapter
        # through `marquee_components` (see components.py).
        self.client.on_ready = self._on_ready  # type: ignore[attr-defined]
        self.client.on_interaction = self._on_interaction  # type: ignore[attr-defined]
        self.client.marquee_components = self  # type: ignore[attr-defined]
        self.client.add_dynamic_items(ActionButton, ChoiceSelect)
        self._ready = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        # The forms this process has opened (one per person, command and fixed arguments: see
        # forms.form_custom_id), each with the submission that sent it, or None while open.
        self._forms: OrderedDict[str, int | None] = OrderedDict()

    # -- lifetime ------------------------------------------------------------------------------

    async def start(self) -> None:
        assert self.settings.discord_token
        await self.client.login(self.settings.discord_token)
        await self.sync_commands()
        application_id = self.client.application_id
        if application_id is not None:
            log.info("Invite Marquee to a server: %s", invite_url(application_id))
        self._runner = asyncio.create_task(self.client.connect(reconnect=True))

    async def wait_ready(self) -> None:
        """Wait until the gateway session is ready; raise if the connection failed first."""
        if self._runner is None:
            raise RuntimeError("start() first")
        waiter = asyncio.create_task(self._ready.wait())
        done, _ = await asyncio.wait({waiter, self._runner}, return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            waiter.cancel()
            self._runner.result()  # raises what stopped the connection
            raise RuntimeError("the Discord connection ended before it was ready")

    async def run_until_closed(self) -> None:
        if self._runner is None:
            raise RuntimeError("start() first")
        await self._runner

    async def close(self) -> None:
        await self.client.close()
        runner = self._runner
        if runner is not None:
            # Wait for the connection loop to end without raising what ended it: closing is
            # the point. `asyncio.wait` still lets a cancellation of close() itself through.
            await asyncio.wait({runner})
            if not runner.cancelled() and runner.exception() is not None:
                log.info("The Discord connection ended with %r", runner.exception())

    async def __aenter__(self) -> MarqueeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def sync_commands(self) -> list[dict[str, Any]]:
        """Register every command of the registry, in the configured servers or globally."""
        payload = command_payloads()
        application_id = self.client.application_id
        if application_id is None:
            raise RuntimeError("log in before syncing commands")
        if self.settings.discord_guild_ids:
            # Server commands appear at once: the way to develop and test.
            for guild_id in sorted(self.settings.discord_guild_ids):
                await self.client.http.bulk_upsert_guild_commands(application_id, guild_id, payload)
        else:
            await self.client.http.bulk_upsert_global_commands(application_id, payload)
        log.info("Synced %d Discord commands", len(payload))
        return payload

    def notifier(self) -> DiscordNotifier:
        """The alert notifier posting through this bot's connection."""
        return DiscordNotifier(self.client, self.codec)

    async def _on_ready(self) -> None:
        self._ready.set()

    # -- interactions ----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _answering(self, interaction: discord.Interaction[Any]) -> AsyncIterator[None]:
        """Log a failure and, if nothing was sent yet, tell the person rather than leave
        Discord to say "the application did not respond"."""
        try:
            yield
        except Exception:
            log.exception("Discord interaction %s failed", interaction.id)
            if not interaction.response.is_done() and interaction.type in _ANSWERABLE:
                with contextlib.suppress(discord.HTTPException):
                    await self._say(interaction, "Something went wrong inside Marquee.")

    async def _on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        async with self._answering(interaction):
            match interaction.type:
                case discord.InteractionType.application_command:
                    await self._on_command(interaction)
                case discord.InteractionType.autocomplete:
                    await self._on_autocomplete(interaction)
                case discord.InteractionType.component:
                    # Marquee's own components are run by their dynamic items (components.py).
                    custom_id = str(_data(interaction).get("custom_id", ""))
                    if not _OUR_COMPONENT.fullmatch(custom_id):
                        await self._say(interaction, "This button no longer works.")
                case discord.InteractionType.modal_submit:
                    # An open form is run by discord.py (forms.py); any other gets an answer.
                    custom_id = str(_data(interaction).get("custom_id", ""))
                    claim = self._claim_form(custom_id, interaction.id)
                    if claim is False:
                        await self._say(
                            interaction,
                            "That form was already sent, and Marquee has done it. To do it "
                            "again, run the command again.",
                        )
                    elif claim is None:
                        await self._say(
                            interaction,
                            "This form has expired (Marquee restarted since it was opened). "
                            "Please run the command again.",
                        )

    async def _on_command(self, interaction: discord.Interaction[Any]) -> None:
        data = _data(interaction)
        spec = self.commands.get(str(data.get("name")))
        if spec is None:
            await self._say(interaction, "Marquee does not know this command any more.")
            return
        args = options_to_args(spec, data.get("options", ()))
        try:
            await attach_files(interaction, spec, data, args)
        except AttachmentRefused as refused:
            await self._say(interaction, str(refused))
            return
        if needs_form(spec, args):
            form = CommandForm(
                spec,
                MODAL_FORMS[spec.name],
                user_id=interaction.user.id,
                given=args,
                on_submit=self._on_form_submit,
            )
            self._forms[form.custom_id] = None
            self._forms.move_to_end(form.custom_id)
            while len(self._forms) > FORMS_KEPT:
                self._forms.popitem(last=False)
            await interaction.response.send_modal(form)
            return
        await self._run(interaction, spec.name, args, _Answer.NEW)

    async def _on_form_submit(
        self, interaction: discord.Interaction[Any], spec: CommandSpec, args: dict[str, ArgValue]
    ) -> None:
        if not self._claim_form(str(_data(interaction).get("custom_id", "")), interaction.id):
            return  # a second submission of a sent form: `_on_interaction` answers it
        async with self._answering(interaction):
            await self._run(interaction, spec.name, args, _Answer.NEW)

    def _claim_form(self, custom_id: str, interaction_id: int) -> bool | None:
        """Whether this submission is the one that runs the form: None if this process never
        opened it, False if another submission already sent it.

        Called for one submission both by the form (discord.py, while it keeps the form) and by
        `_on_interaction`, in either order; the first submission claims the form.
        """
        if custom_id not in self._forms:
            return None
        owner = self._forms[custom_id]
        if owner is None:
            self._forms[custom_id] = owner = interaction_id
        return owner == interaction_id

    async def on_action(self, interaction: discord.Interaction[Any], encoded: str) -> None:
        """A Marquee button or select option was clicked (called by components.py)."""
        async with self._answering(interaction):
            action = self.codec.decode(encoded)
            if action is None:
                await self._say(
                    interaction, "This button has expired. Please run the command again."
                )
                return
            await self._run(interaction, action.command, action.args, _FROM_ACTION[action.answer])

    async def _on_autocomplete(self, interaction: discord.Interaction[Any]) -> None:
        data = _data(interaction)
        spec = self.commands.get(str(data.get("name")))
        focused = focused_option(data.get("options", ()))
        choices: list[app_commands.Choice[str]] = []
        param = spec.param(focused[0]) if spec and focused else None
        if param is not None and param.kind is ParamKind.TITLE and focused is not None:
            # Autocomplete cannot be deferred: answer with nothing rather than too late.
            lookup = asyncio.ensure_future(
                call_core(self.core.complete_titles, focused[1], AUTOCOMPLETE_MAX)
            )
            done, _ = await asyncio.wait({lookup}, timeout=self.autocomplete_budget)
            if done:
                choices = [
                    app_commands.Choice(name=clip(label, 100), value=value[:100])
                    for label, value in lookup.result()[:AUTOCOMPLETE_MAX]
                ]
        await interaction.response.autocomplete(choices)

    # -- running a command and answering -------------------------------------------------------

    def invocation(
        self, interaction: discord.Interaction[Any], command: str, args: dict[str, ArgValue]
    ) -> Invocation:
        user = interaction.user
        role = interaction_role(interaction, self.settings.discord_mod_role_ids)
        workspace = str(interaction.guild_id) if interaction.guild_id else "dm"
        return Invocation(
            command=command,
            args=args,
            actor=Actor("discord", str(user.id), user.display_name, role),
            channel=ChannelRef("discord", workspace, str(interaction.channel_id)),
        )

    async def _run(
        self,
        interaction: discord.Interaction[Any],
        command: str,
        args: dict[str, ArgValue],
        answer: _Answer,
    ) -> None:
        inv = self.invocation(interaction, command, args)
        # Off the loop, imports in their own lane: heartbeats and other members go on.
        work = asyncio.ensure_future(handle_off_loop(self._handle, inv))
        done, _ = await asyncio.wait({work}, timeout=self.reply_budget)
        if done:
            await self._respond(interaction, self._render(work.result(), answer), answer)
            return
        await self._defer(interaction, answer)
        await self._follow_up(interaction, self._render(await work, answer), answer)

    def _handle(self, inv: Invocation) -> Reply:
        try:
            return self.core.handle(inv)
        except Exception:
            log.exception("The core failed on %s", inv.command)
            return Reply.error("Something went wrong inside Marquee. Please try again later.")

    def _render(self, reply: Reply, answer: _Answer) -> RenderedMessage:
        rendered = render_reply(reply, self.codec)
        if answer is _Answer.PRIVATE and not rendered.ephemeral:
            rendered = replace(rendered, ephemeral=True)
        return rendered

    @staticmethod
    def _in_place(
        interaction: discord.Interaction[Any], message: RenderedMessage, answer: _Answer
    ) -> bool:
        """Whether a click's answer replaces the clicked message.

        Only when its visibility matches: a public list is not replaced by a private answer,
        and a public answer to a private question ("which Solaris?") is posted for all to see.
        An error never replaces what the person was looking at.
        """
        if answer is not _Answer.EDIT or message.error:
            return False
        source = interaction.message
        source_private = bool(source is not None and source.flags.ephemeral)
        return source_private == message.ephemeral

    async def _respond(
        self, interaction: discord.Interaction[Any], message: RenderedMessage, answer: _Answer
    ) -> None:
        view = build_view(message)
        if self._in_place(interaction, message, answer):
            await interaction.response.edit_message(
                content=message.content,
                embeds=list(message.embeds),
                view=view,
                allowed_mentions=NO_MENTIONS,
            )
            return
        await interaction.response.send_message(
            content=message.content,
            embeds=list(message.embeds),
            view=view if view is not None else MISSING,
            ephemeral=message.ephemeral,
            allowed_mentions=NO_MENTIONS,
        )

    async def _defer(self, interaction: discord.Interaction[Any], answer: _Answer) -> None:
        if answer is _Answer.EDIT:
            # "Update later": nothing changes on screen until the follow-up.
            await interaction.response.defer()
        else:
            # "Marquee is thinking…"; a private answer is private from the start.
            await interaction.response.defer(thinking=True, ephemeral=answer is _Answer.PRIVATE)

    async def _follow_up(
        self, interaction: discord.Interaction[Any], message: RenderedMessage, answer: _Answer
    ) -> None:
        view = build_view(message)
        replaces_thinking = answer is _Answer.PRIVATE or (
            answer is _Answer.NEW and not message.ephemeral
        )
        if replaces_thinking or self._in_place(interaction, message, answer):
            # The "thinking…" message, or for a click the clicked message, becomes the answer.
            await interaction.edit_original_response(
                content=message.content,
                embeds=list(message.embeds),
                view=view,
                allowed_mentions=NO_MENTIONS,
            )
            return
        if answer is _Answer.NEW:
            # A public "thinking…" cannot turn private: remove it and answer privately below.
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        await interaction.followup.send(
            content=message.content or MISSING,
            embeds=list(message.embeds),
            view=view if view is not None else MISSING,
            ephemeral=message.ephemeral,
            allowed_mentions=NO_MENTIONS,
        )

    async def _say(self, interaction: discord.Interaction[Any], text: str) -> None:
        """A short private answer that needs no core (stale buttons, unknown commands)."""
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
