"""Slack's OAuth installations: the tables slack_sdk's SQLAlchemy stores read and write.

In OAuth mode (adapters/slack/oauth.py) slack_sdk's own `SQLAlchemyInstallationStore` and
`SQLAlchemyOAuthStateStore` run on Marquee's engine, so these tables must be exactly the ones
those stores define (their `build_*_table` factories, slack_sdk 3.48). storage/ does not import
slack_sdk (tests/test_architecture.py), so the shape is declared here, on `Base.metadata` so the
migrations (0007) create it; tests/slack_adapter/test_oauth.py checks it against slack_sdk's
factories, so an upgrade of slack_sdk that changes them fails a test rather than a write.

The stores write naive UTC datetimes themselves, hence plain `DateTime`, not `UTCDateTime`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Table

from storage.models_base import Base

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
OAUTH_STATES_TABLE = "slack_oauth_states"


def _id() -> Column[Any]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _text(name: str, size: int, *, nullable: bool = True) -> Column[Any]:
    return Column(name, String(size), nullable=nullable)


def _bot_columns() -> list[Column[Any]]:
    """The bot's columns, in both tables."""
    return [
        _text("bot_token", 200),
        _text("bot_id", 32),
        _text("bot_user_id", 32),
        _text("bot_scopes", 1000),
        _text("bot_refresh_token", 200),
        Column("bot_token_expires_at", DateTime),
    ]


slack_installations = Table(
    INSTALLATIONS_TABLE,
    Base.metadata,
    _id(),
    _text("client_id", 32, nullable=False),
    _text("app_id", 32, nullable=False),
    _text("enterprise_id", 32),
    _text("enterprise_name", 200),
    _text("enterprise_url", 200),
    _text("team_id", 32),
    _text("team_name", 200),
    *_bot_columns(),
    _text("user_id", 32, nullable=False),
    _text("user_token", 200),
    _text("user_scopes", 1000),
    _text("user_refresh_token", 200),
    Column("user_token_expires_at", DateTime),
    _text("incoming_webhook_url", 200),
    _text("incoming_webhook_channel", 200),
    _text("incoming_webhook_channel_id", 200),
    _text("incoming_webhook_configuration_url", 200),
    Column("is_enterprise_install", Boolean, nullable=False),
    _text("token_type", 32),
    Column("installed_at", DateTime, nullable=False),
    Index(
        f"{INSTALLATIONS_TABLE}_idx",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
)

slack_bots = Table(
    BOTS_TABLE,
    Base.metadata,
    _id(),
    _text("client_id", 32, nullable=False),
    _text("app_id", 32, nullable=False),
    _text("enterprise_id", 32),
    _text("enterprise_name", 200),
    _text("team_id", 32),
    _text("team_name", 200),
    *_bot_columns(),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("installed_at", DateTime, nullable=False),
    Index(f"{BOTS_TABLE}_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

# The OAuth `state` of installs under way, in the database so that the process that answers
# Slack's redirect need not be the one that sent the installer there.
slack_oauth_states = Table(
    OAUTH_STATES_TABLE,
    Base.metadata,
    _id(),
    _text("state", 200, nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
