"""The shape holds: imports flow adapters → bot → storage, and every command has a handler."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.handlers import HANDLERS
from bot.registry import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_LIBRARIES = {"discord", "slack_bolt", "slack_sdk", "aiohttp"}


def imported_modules(folder: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / folder).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_core_imports_no_platform_library_and_no_adapter() -> None:
    for path, names in imported_modules("bot").items():
        assert not names & (PLATFORM_LIBRARIES | {"adapters"}), (path, names)


def test_storage_imports_neither_core_nor_adapters() -> None:
    for path, names in imported_modules("storage").items():
        assert not names & (PLATFORM_LIBRARIES | {"adapters", "bot"}), (path, names)


def test_every_command_has_a_handler_and_vice_versa() -> None:
    assert {c.name for c in COMMANDS} == set(HANDLERS)


def test_command_descriptions_fit_the_platforms() -> None:
    for spec in COMMANDS:
        assert len(spec.description) <= 100, spec.name
        assert len(spec.slug) <= 32 and spec.slug == spec.slug.lower()
        for p in spec.params:
            assert len(p.description) <= 100 and p.name.isidentifier(), (spec.name, p.name)
        required = [p.required for p in spec.params]
        assert required == sorted(required, reverse=True), f"{spec.name}: required first"
