"""Slash commands against the one registry, and the manifest against the slash commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.slack.commands import (
    Resolved,
    Unresolved,
    reachable_commands,
    resolve,
    slash_commands,
)
from adapters.slack.manifest import BOT_SCOPES, manifest_yaml
from bot.registry import COMMANDS

MANIFEST = Path(__file__).resolve().parents[2] / "slack" / "manifest.yml"


def test_every_visible_registry_command_is_reachable_from_a_slash_command() -> None:
    visible = {c.name for c in COMMANDS if not c.hidden}
    assert reachable_commands() == visible


def test_the_dedicated_slash_commands_are_registry_commands() -> None:
    names = {c.name for c in slash_commands()}
    assert names == {"/review", "/film", "/showtimes", "/search", "/marquee"}
    registry = {c.name: c for c in COMMANDS}
    for command in slash_commands():
        if command.prefix:
            assert command.description == registry[command.prefix].description


def test_the_manifest_file_is_the_generated_one() -> None:
    assert MANIFEST.read_text() == manifest_yaml(), (
        "slack/manifest.yml is stale; regenerate it:\n"
        ".venv/bin/python -m adapters.slack.manifest > slack/manifest.yml"
    )


def test_the_manifest_declares_exactly_the_registered_slash_commands() -> None:
    declared = re.findall(r"^\s+- command: (\S+)$", MANIFEST.read_text(), re.MULTILINE)
    assert sorted(declared) == sorted(c.name for c in slash_commands())


def test_the_manifest_enables_what_the_adapter_uses() -> None:
    text = MANIFEST.read_text()
    assert "  interactivity:\n    is_enabled: true" in text  # buttons and modals
    assert "socket_mode_enabled: true" in text
    for scope in ("commands", "chat:write", "users:read", "usergroups:read"):
        assert scope in BOT_SCOPES and f"      - {scope}\n" in text


@pytest.mark.parametrize(
    ("slash", "text", "command", "args"),
    [
        ("/review", "Second Victims", "review", {"title": "Second Victims"}),
        (
            "/review",
            "Second Victims spoilers=yes",
            "review",
            {"title": "Second Victims", "spoilers": "yes"},
        ),
        ("/film", "  Solaris 1972 ", "film", {"title": "Solaris 1972"}),
        (
            "/showtimes",
            "Perth when=this week",
            "showtimes",
            {"query": "Perth", "when": "this week"},
        ),
        ("/search", "Dyrholm", "search", {"text": "Dyrholm"}),
        ("/marquee", "", "help", {}),
        ("/marquee", "help review", "help", {"command": "review"}),
        (
            "/marquee",
            "review add Second Victims rating=4 headline=Quiet storm body=It stays.",
            "review add",
            {
                "film": "Second Victims",
                "rating": "4",
                "headline": "Quiet storm",
                "body": "It stays.",
            },
        ),
        (
            "/review",
            "add Second Victims rating=4",
            "review add",
            {"film": "Second Victims", "rating": "4"},
        ),
        ("/marquee", "REVIEW Edit 12 rating=3", "review edit", {"review": "12", "rating": "3"}),
        ("/marquee", "audit", "audit", {}),
        # Slack sends &, < and > as entities; the core gets what was typed.
        (
            "/film",
            "Fast &amp; Furious &lt;!channel&gt;",
            "film",
            {"title": "Fast & Furious <!channel>"},
        ),
    ],
)
def test_slash_text_becomes_a_registry_command_with_args(
    slash: str, text: str, command: str, args: dict[str, str]
) -> None:
    found = resolve(slash, text)
    assert isinstance(found, Resolved), found
    assert (found.spec.name, found.args) == (command, args)


@pytest.mark.parametrize(
    ("slash", "text", "message"),
    [
        ("/marquee", "frobnicate now", "no Marquee command `frobnicate`"),
        ("/marquee", "review Solaris title=again", "given twice"),
        ("/unknown", "x", "does not know the slash command /unknown"),
    ],
)
def test_text_that_is_no_command_says_what_to_type(slash: str, text: str, message: str) -> None:
    found = resolve(slash, text)
    assert isinstance(found, Unresolved)
    assert message in found.message
