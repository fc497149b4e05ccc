"""The shape holds: imports flow adapters → bot → storage without cycles inside bot/, SQL lives
in storage/ only, and every command has a handler."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.dispatch import HANDLERS
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


# --- no import cycles inside bot/ ------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _bot_import_graph() -> dict[str, set[str]]:
    """Module → the bot modules it imports at any depth of its body (function-level imports
    count too: they run, just later). Importing `bot.a.b` also runs `bot.a`'s package file."""
    paths = {_module_name(p): p for p in (ROOT / "bot").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    module = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    module = node.module or ""
                targets.add(module)
                targets |= {f"{module}.{a.name}" for a in node.names}
        edges: set[str] = set()
        for target in targets:
            parts = target.split(".")
            edges |= {".".join(parts[:i]) for i in range(2, len(parts) + 1)}
        graph[name] = {e for e in edges if e in paths and e != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_bot_modules() -> None:
    assert _cycles(_bot_import_graph()) == []


def test_no_import_cycle_between_bot_packages() -> None:
    """bot.handlers, bot.alerts, bot.importers, bot.recommend and each top-level module as one
    node: a feature package may use shared modules, never the other way round as well."""
    graph: dict[str, set[str]] = {}
    for module, targets in _bot_import_graph().items():
        node = ".".join(module.split(".")[:2])
        graph.setdefault(node, set()).update(".".join(t.split(".")[:2]) for t in targets)
    assert _cycles({k: v - {k} for k, v in graph.items()}) == []


# --- SQL lives in storage/ -------------------------------------------------------------------

# Outside storage/ the core and adapters may name a session or an engine and catch the
# database's errors; building or running a statement is storage's job.
ALLOWED_SQLALCHEMY = {"Session", "Engine", "make_url"}
ERROR_MODULES = {"sqlalchemy.exc", "sqlalchemy.orm.exc"}
STATEMENT_CALLS = {"execute", "exec_driver_sql", "scalars", "scalar", "query", "text"}
SQL_TEXT = re.compile(
    r"\b(SELECT\b[\s\S]+\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b"
)


def sql_outside_storage() -> list[str]:
    found: list[str] = []
    for folder in ("bot", "adapters"):
        for path in (ROOT / folder).rglob("*.py"):
            where = str(path.relative_to(ROOT))
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docstrings = {
                id(n.body[0].value)
                for n in ast.walk(tree)
                if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and n.body
                and isinstance(n.body[0], ast.Expr)
                and isinstance(n.body[0].value, ast.Constant)
            }
            for node in ast.walk(tree):
                if isinstance(node, ast.Import) and any(
                    a.name.startswith("sqlalchemy") for a in node.names
                ):
                    found.append(f"{where}:{node.lineno} import sqlalchemy")
                elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "sqlalchemy"
                ):
                    if node.module not in ERROR_MODULES:
                        extra = {a.name for a in node.names} - ALLOWED_SQLALCHEMY
                        if extra:
                            found.append(f"{where}:{node.lineno} sqlalchemy {sorted(extra)}")
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in STATEMENT_CALLS
                ):
                    found.append(f"{where}:{node.lineno} .{node.func.attr}()")
                elif (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in docstrings
                    and SQL_TEXT.search(node.value)
                ):
                    found.append(f"{where}:{node.lineno} SQL text")
    return found


def test_no_sql_outside_storage() -> None:
    assert sql_outside_storage() == []
