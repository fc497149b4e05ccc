"""The Discord bot: discord.py events in, `Invocation`s to the core, rendered `Reply`s out.

`MarqueeDiscord` owns one discord.py client (`connection.MarqueeClient`, which hands it every
event) and no business rules. Every interaction becomes one `Invocation`; the core
(synchronous) runs in a worker thread; its `Reply` is rendered by `render.py`. Discord wants
an answer within 3 seconds: the adapter waits for the core for `reply_budget` seconds and, if
it has not answered by then, defers (Discord shows "thinking") and follows up when it has.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import discord
from discord import app_commands

from adapters.answering import REPLY_BUDGET_SECONDS, catch_all, within_budget
from adapters.core_calls import Core, call_core
from adapters.discord.actions import ActionCodec
from adapters.discord.attachments import AttachmentRefused, attach_files
from adapters.discord.command_sync import SyncRecord, payload_hash
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
)
from adapters.discord.connection import (
    DISCORD_API_BASE,
    DISCORD_GATEWAY,
    configure_endpoints,
    invite_url,
    new_client,
)
from adapters.discord.files import UPLOAD_MAX_BYTES, deliver_files
from adapters.discord.forms import CommandForm
from adapters.discord.invocation import channel_ref, interaction_data, invocation
from adapters.discord.notifier import DiscordNotifier
from adapters.discord.render import RenderedMessage, clip, render_reply
from adapters.discord.replying import FROM_ACTION, AnswerKind, defer, follow_up, respond, say
from adapters.long_actions import EXPIRED
from bot.registry import CommandSpec, ParamKind
from bot.settings import Settings
from bot.types import ArgValue, Invocation, Reply

__all__ = [
    "DISCORD_API_BASE",
    "DISCORD_GATEWAY",
    "MarqueeDiscord",
    "configure_endpoints",
    "invite_url",
]

log = logging.getLogger(__name__)

FORMS_KEPT = 10_000  # forms remembered, open or sent, to tell a repeat from an expired one
AUTOCOMPLETE_MAX = 25

# Autocomplete cannot take a message as its answer; every other interaction can.
_ANSWERABLE = (
    discord.InteractionType.application_command,
    discord.InteractionType.component,
    discord.InteractionType.modal_submit,
)
_OUR_COMPONENT = re.compile(f"(?:{BUTTON_TEMPLATE})|(?:{SELECT_TEMPLATE})")


class MarqueeDiscord:
    """The Discord adapter, an `adapters.platform.Platform`: `start()` logs in, syncs the
    commands and connects, `serve()` runs until the connection ends, `stop()` closes it."""

    def __init__(
        self,
        core: Core,
        settings: Settings,
        *,
        reply_budget: float = REPLY_BUDGET_SECONDS,
        autocomplete_budget: float = 2.5,
        guild_ready_timeout: float = 2.0,
        upload_max_bytes: int = UPLOAD_MAX_BYTES,
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
        self.upload_max_bytes = upload_max_bytes
        self.commands: dict[str, CommandSpec] = slash_commands()
        self.codec = ActionCodec()
        self.client = new_client(self, settings, guild_ready_timeout)
        self.client.add_dynamic_items(ActionButton, ChoiceSelect)
        self._ready = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        # The forms this process has opened (one per person, command and fixed arguments: see
        # forms.form_custom_id), each with the submission that sent it, or None while open.
        self._forms: OrderedDict[str, int | None] = OrderedDict()

    # -- lifetime ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in, sync the commands, connect, and return once the gateway session is ready."""
        assert self.settings.discord_token
        await self.client.login(self.settings.discord_token)
        await self.sync_commands()
        application_id = self.client.application_id
        if application_id is not None:
            log.info("Invite Marquee to a server: %s", invite_url(application_id))
        self._runner = asyncio.create_task(self.client.connect(reconnect=True))
        await self.wait_ready()

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

    async def serve(self) -> None:
        """Until the connection ends: `stop()`, or a failure discord.py does not reconnect from."""
        if self._runner is None:
            raise RuntimeError("start() first")
        await self._runner

    async def stop(self) -> None:
        await self.client.close()
        runner = self._runner
        if runner is not None:
            # Wait for the connection loop to end without raising what ended it: closing is
            # the point. `asyncio.wait` still lets a cancellation of stop() itself through.
            await asyncio.wait({runner})
            if not runner.cancelled() and runner.exception() is not None:
                log.info("The Discord connection ended with %r", runner.exception())

    close = stop  # discord.py's word for it

    async def __aenter__(self) -> MarqueeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def sync_commands(self) -> list[dict[str, Any]]:
        """Register every command of the registry, in the configured servers or globally."""
        payload = command_payloads()
        application_id = self.client.application_id
        if application_id is None:
            raise RuntimeError("log in before syncing commands")
        record = SyncRecord(self.settings.state_dir)
        digest = payload_hash(payload)
        http = self.client.http
        # Server commands appear at once: the way to develop and test; else global ones.
        guilds: list[str | None] = [*sorted(self.settings.discord_guild_ids)] or [None]
        for guild_id in guilds:
            scope = f"{application_id}:" + (f"guild:{guild_id}" if guild_id else "global")
            if record.unchanged(scope, digest):
                log.info("Discord commands unchanged since the last sync (%s)", scope)
                continue
            if guild_id is None:
                await http.bulk_upsert_global_commands(application_id, payload)
            else:
                await http.bulk_upsert_guild_commands(application_id, guild_id, payload)
            record.remember(scope, digest)
            log.info("Synced %d Discord commands (%s)", len(payload), scope)
        return payload

    def notifier(self) -> DiscordNotifier:
        """The alert notifier posting through this bot's connection."""
        return DiscordNotifier(self.client, self.codec)

    async def is_connected(self) -> bool:
        """The gateway session is ready, not closed, and heartbeating (discord.py's latency is
        NaN or infinite while there is no live websocket)."""
        client = self.client
        return client.is_ready() and not client.is_closed() and math.isfinite(client.latency)

    async def on_ready(self) -> None:
        """The gateway session is ready (from the client, as every event below). The servers
        it lists are the ones the bot is in: any joined or left while no process of this
        shard was connected is told to the core before the bot counts as ready."""
        # The configured servers first: one of them, not whichever id sorts first, claims
        # the community of a database from before communities.
        configured = {str(i) for i in self.settings.discord_guild_ids}
        guilds = sorted(self.client.guilds, key=lambda g: str(g.id) not in configured)
        present = {str(g.id): g.name or "" for g in guilds}
        try:
            joined, left = await call_core(
                self.core.spaces_present, "discord", present, self._on_my_shards
            )
            if joined or left:
                log.info("Discord: %d servers joined, %d left while away", len(joined), len(left))
        except Exception:  # noqa: BLE001 - the next join, leave or command corrects it
            log.exception("Discord: comparing the servers with the known spaces failed")
        self._ready.set()

    def _on_my_shards(self, guild_id: str) -> bool:
        """Whether a server's events come to this process (Discord's (id >> 22) % count)."""
        count, mine = self.settings.discord_shard_count, self.settings.discord_shard_ids
        if count is None or not mine or not guild_id.isdigit():
            return True
        return (int(guild_id) >> 22) % count in mine

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Added to a server: its community exists from now (the core decides which)."""
        await call_core(self.core.space_joined, "discord", str(guild.id), guild.name)
        log.info("Discord: joined server %s", guild.id)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a server: the core keeps its data for a grace period."""
        await call_core(self.core.space_left, "discord", str(guild.id))
        log.info("Discord: left server %s", guild.id)

    # -- interactions ----------------------------------------------------------------------

    def _answering(
        self, interaction: discord.Interaction[Any]
    ) -> contextlib.AbstractAsyncContextManager[None]:
        """The catch-all around an interaction: if nothing was sent yet, the person gets the
        apology rather than Discord's "the application did not respond"."""

        async def tell(text: str) -> None:
            if not interaction.response.is_done() and interaction.type in _ANSWERABLE:
                await say(interaction, text)

        return catch_all(f"Discord interaction {interaction.id}", tell)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        async with self._answering(interaction):
            match interaction.type:
                case discord.InteractionType.application_command:
                    await self._on_command(interaction)
                case discord.InteractionType.autocomplete:
                    await self._on_autocomplete(interaction)
                case discord.InteractionType.component:
                    # Marquee's own components are run by their dynamic items (components.py).
                    custom_id = str(interaction_data(interaction).get("custom_id", ""))
                    if not _OUR_COMPONENT.fullmatch(custom_id):
                        await say(interaction, "This button no longer works.")
                case discord.InteractionType.modal_submit:
                    # An open form is run by discord.py (forms.py); any other gets an answer.
                    custom_id = str(interaction_data(interaction).get("custom_id", ""))
                    claim = self._claim_form(custom_id, interaction.id)
                    if claim is False:
                        await say(
                            interaction,
                            "That form was already sent, and Marquee has done it. To do it "
                            "again, run the command again.",
                        )
                    elif claim is None:
                        await say(
                            interaction,
                            "This form has expired (Marquee restarted since it was opened). "
                            "Please run the command again.",
                        )

    async def _on_command(self, interaction: discord.Interaction[Any]) -> None:
        data = interaction_data(interaction)
        spec = self.commands.get(str(data.get("name")))
        if spec is None:
            await say(interaction, "Marquee does not know this command any more.")
            return
        args = options_to_args(spec, data.get("options", ()))
        try:
            await attach_files(interaction, spec, data, args)
        except AttachmentRefused as refused:
            await say(interaction, str(refused))
            return
        inv = self._invocation(interaction, spec.name, args)
        # Forms open only for people the registry lets run the command (as on Slack); anyone
        # else gets the command run as given, and the core's own refusal.
        if needs_form(spec, args) and inv.actor.role >= spec.min_role:
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
        await self._run(interaction, inv, AnswerKind.NEW)

    async def _on_form_submit(
        self, interaction: discord.Interaction[Any], spec: CommandSpec, args: dict[str, ArgValue]
    ) -> None:
        custom_id = str(interaction_data(interaction).get("custom_id", ""))
        if not self._claim_form(custom_id, interaction.id):
            return  # a second submission of a sent form: `on_interaction` answers it
        async with self._answering(interaction):
            await self._run(
                interaction, self._invocation(interaction, spec.name, args), AnswerKind.NEW
            )

    def _claim_form(self, custom_id: str, interaction_id: int) -> bool | None:
        """Whether this submission is the one that runs the form: None if this process never
        opened it, False if another submission already sent it.

        Called for one submission both by the form (discord.py, while it keeps the form) and by
        `on_interaction`, in either order; the first submission claims the form.
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
                await say(interaction, EXPIRED)
                return
            inv = self._invocation(interaction, action.command, action.args)
            await self._run(interaction, inv, FROM_ACTION[action.answer])

    async def _on_autocomplete(self, interaction: discord.Interaction[Any]) -> None:
        data = interaction_data(interaction)
        spec = self.commands.get(str(data.get("name")))
        focused = focused_option(data.get("options", ()))
        choices: list[app_commands.Choice[str]] = []
        param = spec.param(focused[0]) if spec and focused else None
        if param is not None and param.kind is ParamKind.TITLE and focused is not None:
            # Autocomplete cannot be deferred: answer with nothing rather than too late.
            lookup = asyncio.ensure_future(
                call_core(
                    self.core.complete_titles,
                    focused[1],
                    AUTOCOMPLETE_MAX,
                    channel_ref(interaction),
                )
            )
            done, _ = await asyncio.wait({lookup}, timeout=self.autocomplete_budget)
            if done:
                choices = [
                    app_commands.Choice(name=clip(label, 100), value=value[:100])
                    for label, value in lookup.result()[:AUTOCOMPLETE_MAX]
                ]
        await interaction.response.autocomplete(choices)

    # -- running a command and answering -------------------------------------------------------

    def _invocation(
        self, interaction: discord.Interaction[Any], command: str, args: dict[str, ArgValue]
    ) -> Invocation:
        return invocation(
            interaction,
            self.settings.discord_mod_role_ids,
            command,
            args,
            owner_ids=self.client.owner_ids,
        )

    async def _run(
        self, interaction: discord.Interaction[Any], inv: Invocation, answer: AnswerKind
    ) -> None:
        work = await within_budget(self.core, inv, self.reply_budget)
        if work.done() and not work.result().files:
            await respond(interaction, self._render(work.result(), answer), answer)
            return
        if work.done() and answer is AnswerKind.NEW and work.result().ephemeral:
            # A reply with files waits for its upload behind a "thinking…" that is, like the
            # reply, private from the start.
            answer = AnswerKind.PRIVATE
        await defer(interaction, answer)

        async def send(reply: Reply, files: Sequence[discord.File]) -> None:
            await follow_up(interaction, self._render(reply, answer), answer, files)

        await deliver_files(await work, send, limit=self.upload_max_bytes)

    def _render(self, reply: Reply, answer: AnswerKind) -> RenderedMessage:
        rendered = render_reply(reply, self.codec)
        if answer is AnswerKind.PRIVATE and not rendered.ephemeral:
            rendered = replace(rendered, ephemeral=True)
        return rendered
