"""Settings for Discord shards split between processes, and the operators who run Marquee."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError


def settings(**env: str) -> Settings:
    return Settings.from_env({"DATABASE_URL": "sqlite://", **env})


def test_no_shard_settings_is_one_unsharded_client() -> None:
    s = settings()
    assert (s.discord_sharded, s.discord_shard_count, s.discord_shard_ids) == (False, None, ())


def test_discord_sharded_alone_lets_discord_pick_the_count() -> None:
    s = settings(DISCORD_SHARDED="1")
    assert (s.discord_sharded, s.discord_shard_count, s.discord_shard_ids) == (True, None, ())


def test_a_shard_count_implies_a_sharded_client_of_all_its_shards() -> None:
    s = settings(DISCORD_SHARD_COUNT="4")
    assert (s.discord_sharded, s.discord_shard_count, s.discord_shard_ids) == (True, 4, ())


def test_shard_ids_name_this_process_shards() -> None:
    s = settings(DISCORD_SHARD_COUNT="4", DISCORD_SHARD_IDS="3, 1,1")
    assert s.discord_shard_ids == (1, 3)


@pytest.mark.parametrize("count", ["0", "-1", "two", "1.5"])
def test_a_shard_count_is_a_whole_number_from_one(count: str) -> None:
    with pytest.raises(SettingsError, match="DISCORD_SHARD_COUNT"):
        settings(DISCORD_SHARD_COUNT=count)


def test_shard_ids_need_the_count() -> None:
    with pytest.raises(SettingsError, match="needs DISCORD_SHARD_COUNT"):
        settings(DISCORD_SHARD_IDS="0")


@pytest.mark.parametrize("ids", ["2", "0,2", "a", "-1", ",", "0;1"])
def test_shard_ids_are_below_the_count(ids: str) -> None:
    with pytest.raises(SettingsError, match="from 0 to 1"):
        settings(DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS=ids)


def test_operators_are_platform_and_user_id() -> None:
    s = settings(MARQUEE_OPERATORS="discord:123456789012345678, slack:U0123ABC,console:you")
    assert s.operators == {"discord:123456789012345678", "slack:U0123ABC", "console:you"}
    assert settings().operators == frozenset()


@pytest.mark.parametrize("item", ["123456789012345678", "irc:bob", "discord:", ":U0123ABC"])
def test_an_operator_needs_a_known_platform_and_an_id(item: str) -> None:
    with pytest.raises(SettingsError, match="MARQUEE_OPERATORS") as refused:
        settings(MARQUEE_OPERATORS=f"slack:U1,{item}")
    assert repr(item) in str(refused.value)


def test_the_composition_root_gives_the_core_its_operators() -> None:
    from adapters.cli import build_core

    core = build_core(
        Settings(database_url="sqlite://", operators=frozenset({"slack:U1"})), demo=False
    )
    try:
        assert core.operators == {"slack:U1"}
    finally:
        core.db.dispose()


def test_only_a_process_with_some_shards_limits_its_alerts() -> None:
    from adapters.serving import discord_shards

    assert discord_shards(settings(DISCORD_SHARD_COUNT="4", DISCORD_SHARD_IDS="2,3")) == (4, (2, 3))
    assert discord_shards(settings(DISCORD_SHARD_COUNT="4")) is None  # it runs them all
    assert discord_shards(settings(DISCORD_SHARDED="1")) is None
