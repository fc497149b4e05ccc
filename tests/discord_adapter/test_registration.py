"""The slash commands Discord receives are the core's registry: checked offline and end to end."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from adapters.discord.client import MarqueeDiscord, invite_url
from adapters.discord.commands import MODAL_FORMS, command_payloads
from bot.core import Marquee
from bot.registry import COMMANDS, CommandSpec, Param, ParamKind
from bot.settings import Settings
from bot.types import Role
from tests.discord_adapter.fake_discord import APP_ID, GUILD_ID, FakeDiscord
from tests.discord_adapter.harness import start_bot

# What each parameter kind must look like on Discord, written out independently of the adapter.
EXPECTED_TYPE = {
    ParamKind.TEXT: 3,
    ParamKind.WHEN: 3,
    ParamKind.TITLE: 3,
    ParamKind.INT: 4,
    ParamKind.BOOL: 5,
    ParamKind.RATING: 10,
    ParamKind.FILE: 11,
}
NAME = re.compile(r"^[-_a-z0-9]{1,32}$")


def check_against_registry(synced: list[dict[str, Any]]) -> None:
    by_name = {c["name"]: c for c in synced}
    visible = [spec for spec in COMMANDS if not spec.hidden]
    assert sorted(by_name) == sorted(spec.slug for spec in visible)
    for spec in visible:
        command = by_name[spec.slug]
        assert NAME.match(command["name"]), command["name"]
        assert command["description"] == spec.description
        assert len(command["description"]) <= 100
        options = {o["name"]: o for o in command["options"]}
        assert list(options) == sorted(options, key=lambda n: not options[n]["required"]), (
            f"{spec.slug}: Discord needs required options first"
        )
        assert set(options) == {p.name for p in spec.params}, spec.slug
        form = MODAL_FORMS.get(spec.name)
        for param in spec.params:
            option = options[param.name]
            assert NAME.match(option["name"])
            assert option["type"] == EXPECTED_TYPE[param.kind], (spec.slug, param.name)
            assert option["description"] == param.description
            in_form = form is not None and param.name in form.fields
            # Form fields are optional as options (the form asks for them); others as declared.
            assert option["required"] == (param.required and not in_form), (spec.slug, param.name)
            assert option.get("autocomplete", False) == (param.kind is ParamKind.TITLE)
            if param.kind is ParamKind.RATING:
                assert (option["min_value"], option["max_value"]) == (0.5, 5)
            if param.max_length and option["type"] == 3:
                assert option["max_length"] == param.max_length


def test_payloads_cover_the_registry() -> None:
    check_against_registry(command_payloads())


def test_a_new_registry_command_is_registered_without_touching_the_adapter() -> None:
    new = CommandSpec(
        "watchlist add",
        "Add a film to your watchlist",
        (Param("title", ParamKind.TITLE, "Film title", required=True),),
    )
    hidden = CommandSpec("pick", "Internal", hidden=True)
    names = [c["name"] for c in command_payloads((*COMMANDS, new, hidden))]
    assert "watchlist-add" in names
    assert "pick" not in names


def test_forms_only_name_parameters_of_their_command_and_fit_a_modal() -> None:
    for name, form in MODAL_FORMS.items():
        spec = next(c for c in COMMANDS if c.name == name)
        assert spec.min_role >= Role.MODERATOR
        assert len(form.fields) <= 5  # Discord's limit for a modal
        assert set(form.fields) <= {p.name for p in spec.params}


async def test_login_syncs_the_registry_to_the_configured_guild(
    bot: MarqueeDiscord, fake: FakeDiscord
) -> None:
    sync = await fake.command_sync()
    assert sync.path == f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands"
    check_against_registry(sync.body)
    # discord.py spoke the gateway: identified with our intents and answered READY.
    assert fake.identify is not None
    assert fake.identify["token"] == "fake-token"
    assert fake.identify["intents"] == 1  # guilds only: no privileged intents
    assert fake.unexpected() == []


async def test_without_guild_ids_commands_sync_globally(
    core: Marquee, settings: Settings, fake: FakeDiscord
) -> None:
    bot = await start_bot(core, replace(settings, discord_guild_ids=frozenset()))
    try:
        sync = await fake.command_sync()
        assert sync.path == f"/applications/{APP_ID}/commands"
        check_against_registry(sync.body)
    finally:
        await bot.close()


def test_invite_url_asks_for_the_bot_and_commands_scopes_and_few_permissions() -> None:
    url = invite_url(int(APP_ID))
    assert f"client_id={APP_ID}" in url
    assert "scope=bot+applications.commands" in url
    view_channel, send_messages, embed_links, send_in_threads = 1 << 10, 1 << 11, 1 << 14, 1 << 38
    expected = view_channel | send_messages | embed_links | send_in_threads
    assert url.endswith(f"permissions={expected}")


async def test_commands_are_synced_again_only_when_they_changed(
    core: Marquee, settings: Settings, fake: FakeDiscord, tmp_path: Path, monkeypatch: Any
) -> None:
    kept = replace(settings, state_dir=tmp_path, discord_guild_ids=frozenset())

    def syncs() -> list[str]:
        pattern = re.compile(rf"/applications/{APP_ID}(/guilds/\d+)?/commands")
        return [r.path for r in fake.requests if r.method == "PUT" and pattern.fullmatch(r.path)]

    for _ in range(2):  # the first start syncs; a restart with the same commands does not
        bot = await start_bot(core, kept)
        await bot.stop()
    assert syncs() == [f"/applications/{APP_ID}/commands"]

    # A release that changes a command's description syncs once more, and remembers it.
    changed = command_payloads()
    changed[0] = {**changed[0], "description": changed[0]["description"] + " (new)"}
    monkeypatch.setattr("adapters.discord.client.command_payloads", lambda: changed)
    for _ in range(2):
        bot = await start_bot(core, kept)
        await bot.stop()
    assert len(syncs()) == 2
    assert (tmp_path / "discord-commands.json").exists()


async def test_without_a_data_folder_every_start_syncs(
    core: Marquee, settings: Settings, fake: FakeDiscord
) -> None:
    for _ in range(2):
        bot = await start_bot(core, replace(settings, state_dir=None))
        await bot.stop()
    assert len([r for r in fake.requests if r.method == "PUT" and "/commands" in r.path]) == 2
