"""Settings, read once from the environment (and `.env`) at start-up by the composition root."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

LOG_FORMATS = ("text", "json")
# The platforms an operator (MARQUEE_OPERATORS) can be named on.
OPERATOR_PLATFORMS = ("discord", "slack", "console")


class SettingsError(ValueError):
    """A setting that can't be used; the message names it and says what it takes."""


def _ids(value: str | None) -> frozenset[str]:
    return frozenset(v.strip() for v in (value or "").replace(";", ",").split(",") if v.strip())


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///marquee.db"
    load_demo: bool = True
    # True: open the database read-only; False: never; None: when it can't be written.
    read_only: bool | None = None
    # Discord
    discord_token: str | None = None
    discord_guild_ids: frozenset[str] = field(default_factory=frozenset)
    discord_mod_role_ids: frozenset[str] = field(default_factory=frozenset)
    discord_api_base: str | None = None  # REST base; None means Discord's own
    discord_gateway_url: str | None = None  # gateway websocket; None means Discord's own
    discord_sharded: bool = False
    # Sharding split between processes: the total number of shards (None: discord.py asks
    # Discord when sharded) and the ones this process connects (empty: all of them).
    discord_shard_count: int | None = None
    discord_shard_ids: tuple[int, ...] = ()
    # Slack
    slack_bot_token: str | None = None
    slack_app_token: str | None = None  # Socket Mode
    slack_signing_secret: str | None = None  # HTTP mode
    slack_http_host: str = "127.0.0.1"
    slack_http_port: int | None = None
    slack_api_url: str | None = None  # Web API base ending in /api/; None means Slack's own
    slack_mod_user_ids: frozenset[str] = field(default_factory=frozenset)
    slack_mod_usergroup_ids: frozenset[str] = field(default_factory=frozenset)
    # Slack in many workspaces (OAuth v2, HTTP mode): the app's credentials instead of one
    # SLACK_BOT_TOKEN; each workspace's bot token comes from its installation.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    # The redirect URL registered with Slack, when it has several (None: Slack uses its only one).
    slack_install_redirect_uri: str | None = None
    # Operations: the health and metrics endpoint (None: off) and the log format.
    health_host: str = "127.0.0.1"
    health_port: int | None = None
    log_format: str = "text"
    # Where the title index is saved between runs, so a restart maps it instead of rebuilding
    # it (bot/title_index_file.py); None: rebuilt at every start.
    title_index_dir: Path | None = None
    # Where small facts that outlive a process are kept (MARQUEE_DATA_DIR): the hash of the
    # last Discord command sync, so a start syncs only when the commands changed. None: the
    # commands are synced at every start.
    state_dir: Path | None = None
    # "platform:user_id" of the people who run this Marquee, beside the ones each adapter
    # knows (Discord's application owner): they may change the shared catalogue.
    operators: frozenset[str] = field(default_factory=frozenset)
    # Processes that answer commands (MARQUEE_CORE_PROCESSES): 1 answers them in the serving
    # process; more start a pool of core workers (adapters/core_pool.py), one per CPU core
    # being the point, since one process runs Python on one core at a time.
    core_processes: int = 1

    @property
    def discord_enabled(self) -> bool:
        return bool(self.discord_token)

    @property
    def slack_oauth(self) -> bool:
        """Slack in many workspaces: installed through OAuth, one bot token per workspace."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def slack_enabled(self) -> bool:
        if self.slack_oauth:
            return bool(self.slack_signing_secret)
        return bool(self.slack_bot_token and (self.slack_app_token or self.slack_signing_secret))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
        if env is None:
            from dotenv import dotenv_values

            # The process environment wins over `.env`, as operators expect.
            # dotenv gives None for a key without a value; `get` below treats None as unset.
            env = {**dotenv_values(dotenv or Path(".env")), **os.environ}  # type: ignore[dict-item]
        get = env.get
        port = get("SLACK_HTTP_PORT")
        sharded, shard_count, shard_ids = _discord_shards(get)
        return cls(
            database_url=get("DATABASE_URL") or default_database_url(),
            load_demo=(get("MARQUEE_DEMO", "1") or "1") not in ("0", "false", "no"),
            read_only=_flag(get("MARQUEE_READ_ONLY")),
            discord_token=get("DISCORD_TOKEN") or None,
            discord_guild_ids=_ids(get("DISCORD_GUILD_IDS")),
            discord_mod_role_ids=_ids(get("DISCORD_MOD_ROLE_IDS")),
            discord_api_base=get("DISCORD_API_BASE") or None,
            discord_gateway_url=get("DISCORD_GATEWAY_URL") or None,
            discord_sharded=sharded,
            discord_shard_count=shard_count,
            discord_shard_ids=shard_ids,
            slack_bot_token=get("SLACK_BOT_TOKEN") or None,
            slack_app_token=get("SLACK_APP_TOKEN") or None,
            slack_signing_secret=get("SLACK_SIGNING_SECRET") or None,
            slack_http_host=get("SLACK_HTTP_HOST") or "127.0.0.1",
            slack_http_port=int(port) if port else None,
            slack_api_url=get("SLACK_API_URL") or None,
            slack_mod_user_ids=_ids(get("SLACK_MOD_USER_IDS")),
            slack_mod_usergroup_ids=_ids(get("SLACK_MOD_USERGROUP_IDS")),
            **_slack_oauth(get),
            health_host=get("MARQUEE_HEALTH_HOST") or "127.0.0.1",
            health_port=_port("MARQUEE_HEALTH_PORT", get("MARQUEE_HEALTH_PORT")),
            log_format=_log_format(get("MARQUEE_LOG_FORMAT")),
            title_index_dir=title_index_dir(
                get("MARQUEE_TITLE_INDEX_DIR"),
                get("DATABASE_URL") or default_database_url(),
                get("MARQUEE_DATA_DIR") or "data",
            ),
            state_dir=Path(get("MARQUEE_DATA_DIR") or "data"),
            operators=_operators(get("MARQUEE_OPERATORS")),
            core_processes=_core_processes(get("MARQUEE_CORE_PROCESSES")),
        )


def _flag(value: str | None) -> bool | None:
    """ "1"/"true"/"yes" → True, "0"/"false"/"no" → False, unset or anything else → None."""
    text = (value or "").strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    return None


def _port(name: str, value: str | None) -> int | None:
    """A TCP port; unset, empty or 0 means off."""
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > 65535:
        raise SettingsError(f"{name} must be a port number from 1 to 65535 (0: off), not {text!r}")
    return int(text) or None


def _discord_shards(
    get: Callable[[str], str | None],
) -> tuple[bool, int | None, tuple[int, ...]]:
    """DISCORD_SHARDED, DISCORD_SHARD_COUNT and DISCORD_SHARD_IDS. A shard count implies a
    sharded client; shard ids split those shards between processes and need the count, so
    that every process agrees on which guild is whose."""
    sharded = (get("DISCORD_SHARDED") or "").strip().lower() in ("1", "true", "yes")
    count_text = (get("DISCORD_SHARD_COUNT") or "").strip()
    ids_text = (get("DISCORD_SHARD_IDS") or "").strip()
    count: int | None = None
    if count_text:
        if not count_text.isdigit() or int(count_text) < 1:
            raise SettingsError(
                f"DISCORD_SHARD_COUNT must be a whole number from 1, not {count_text!r}"
            )
        count = int(count_text)
    ids: tuple[int, ...] = ()
    if ids_text:
        if count is None:
            raise SettingsError(
                "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT: the shards are split out of a "
                "total every process must agree on"
            )
        items = [v.strip() for v in ids_text.split(",") if v.strip()]
        bad = [v for v in items if not v.isdigit() or int(v) >= count]
        if bad or not items:
            raise SettingsError(
                f"DISCORD_SHARD_IDS must be a comma list of shard numbers from 0 to {count - 1} "
                f"(DISCORD_SHARD_COUNT is {count}), not {ids_text!r}"
            )
        ids = tuple(sorted({int(v) for v in items}))
    return sharded or count is not None, count, ids


MAX_CORE_PROCESSES = 64


def _core_processes(value: str | None) -> int:
    """MARQUEE_CORE_PROCESSES: a whole number from 1 (the default) to MAX_CORE_PROCESSES."""
    if value is None or not value.strip():
        return 1
    text = value.strip()
    if not text.isdecimal() or not 1 <= int(text) <= MAX_CORE_PROCESSES:
        raise SettingsError(
            f"MARQUEE_CORE_PROCESSES must be a whole number from 1 to {MAX_CORE_PROCESSES} "
            f"(usually the number of CPU cores), not {value!r}"
        )
    return int(text)


def _operators(value: str | None) -> frozenset[str]:
    """MARQUEE_OPERATORS: "platform:user_id" items, comma separated."""
    operators = set()
    for item in _ids(value):
        platform, _, user_id = item.partition(":")
        platform, user_id = platform.strip().lower(), user_id.strip()
        if not user_id or platform not in OPERATOR_PLATFORMS:
            raise SettingsError(
                "MARQUEE_OPERATORS takes platform:user_id items (platform one of "
                f"{', '.join(OPERATOR_PLATFORMS)}), e.g. discord:123456789012345678, not {item!r}"
            )
        operators.add(f"{platform}:{user_id}")
    return frozenset(operators)


def _slack_oauth(get: Callable[[str], str | None]) -> dict[str, str | None]:
    """SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth mode), checked against the other Slack
    settings: one bot token and OAuth are two ways to run, never both."""
    client_id = get("SLACK_CLIENT_ID") or None
    secret = get("SLACK_CLIENT_SECRET") or None
    if bool(client_id) != bool(secret):
        raise SettingsError(
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together (OAuth install for many "
            "workspaces): set both, or neither to run in one workspace with SLACK_BOT_TOKEN"
        )
    if client_id:
        if get("SLACK_BOT_TOKEN"):
            raise SettingsError(
                "SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both set: choose one "
                "workspace (SLACK_BOT_TOKEN) or OAuth installs in many (the client id and secret)"
            )
        if get("SLACK_APP_TOKEN") or not get("SLACK_SIGNING_SECRET"):
            raise SettingsError(
                "OAuth installs (SLACK_CLIENT_ID) run in HTTP mode: set SLACK_SIGNING_SECRET "
                "and SLACK_HTTP_PORT, and no SLACK_APP_TOKEN"
            )
    return {
        "slack_client_id": client_id,
        "slack_client_secret": secret,
        "slack_install_redirect_uri": get("SLACK_INSTALL_REDIRECT_URI") or None,
    }


def _log_format(value: str | None) -> str:
    text = (value or "").strip().lower() or "text"
    if text not in LOG_FORMATS:
        raise SettingsError(f"MARQUEE_LOG_FORMAT must be text or json, not {value!r}")
    return text


def default_database_url() -> str:
    """An SQLite file in MARQUEE_DATA_DIR (default: ./data)."""
    data_dir = Path(os.environ.get("MARQUEE_DATA_DIR", "data"))
    return f"sqlite:///{data_dir / 'marquee.db'}"


def title_index_dir(value: str | None, database_url: str, data_dir: str) -> Path | None:
    """MARQUEE_TITLE_INDEX_DIR, "off" for none; by default beside an SQLite file
    (`marquee.db.title-index`), else in the data folder under a name the URL picks, so two
    databases never share a copy."""
    text = (value or "").strip()
    if text.lower() in ("off", "0", "no", "false"):
        return None
    if text:
        return Path(text)
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except ArgumentError:
        return None  # opening the database says what is wrong with the URL
    if url.get_backend_name() == "sqlite":
        name = url.database or ""
        return Path(f"{name}.title-index") if name and name != ":memory:" else None
    safe = url.render_as_string(hide_password=True)
    return Path(data_dir) / f"title-index-{hashlib.sha256(safe.encode()).hexdigest()[:12]}"
