"""Property: every command, fed hostile arguments by anyone, answers with a clear message and
never crashes; a refusal leaves the database exactly as it was.

Arguments are drawn per parameter kind from the registry itself, so a command added to
`bot/registry.py` is fuzzed without touching this file. Two entry points are covered: the
structured arguments the Discord adapter passes, and the one line of text the console and
Slack hand to `bot.textargs`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.console.render import render_reply
from adapters.console.shell import ConsoleSession
from bot.core import Marquee
from bot.registry import COMMANDS, CommandSpec, ParamKind
from bot.types import Actor, ArgValue, AttachedFile, ChannelRef, Invocation, Reply, Role
from tests.conftest import make_core
from tests.fuzz_support import counted, fingerprint, hostile_text

pytestmark = pytest.mark.slow  # thousands of generated commands: a fuzz run, not an edit-test loop

# The generic apology means an exception escaped a handler: always a bug.
APOLOGY = "Something went wrong"
EXAMPLES = int(os.environ.get("MARQUEE_FUZZ_EXAMPLES", "4000"))

fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

roles = st.sampled_from(list(Role))
_numbers = st.one_of(
    st.integers(-(2**40), 2**40),
    st.sampled_from(["#1", "#2", "1", "0", "-1", "#", "1.5", "1e3", "²", "#99999999999"]),
)
_ratings = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["4.5", "5", "0.5", "0", "6", "4.25", "★★★", "3/5", "nan", "-inf", "½"]),
)
_bools = st.one_of(st.booleans(), st.sampled_from(["yes", "no", "maybe", "", "1", "spoilers"]))
_files = st.builds(
    AttachedFile,
    name=st.sampled_from(["a.ics", "a.csv", "a.txt", "", "../../etc/passwd.ics"]),
    text=st.one_of(
        hostile_text,
        st.just("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Persona\r\nEND:VEVENT\r\n"),
        st.just("film,cinema,start\nPersona,Luna Leederville,2027-01-01 18:00\n"),
    ),
)


def _value(kind: ParamKind) -> st.SearchStrategy[ArgValue]:
    if kind is ParamKind.INT:
        return _numbers
    if kind is ParamKind.RATING:
        return _ratings
    if kind is ParamKind.BOOL:
        return _bools
    if kind is ParamKind.FILE:
        return _files
    return hostile_text


@st.composite
def invocations(draw: st.DrawFn) -> tuple[CommandSpec, dict[str, ArgValue], Role]:
    spec = draw(st.sampled_from(COMMANDS))
    args: dict[str, ArgValue] = {}
    for param in spec.params:
        # Required parameters are usually there, so the handler itself gets exercised.
        if draw(st.integers(0, 9)) < (9 if param.required else 4):
            args[param.name] = draw(_value(param.kind))
    if draw(st.integers(0, 19)) == 0:
        args[draw(st.sampled_from(["day", "year", "title", "x", "page"]))] = draw(hostile_text)
    return spec, args, draw(roles)


@pytest.fixture(scope="module")
def fuzz_core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Marquee]:
    core = make_core(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}")
    core.warm_up()
    yield core
    core.db.dispose()


def _actor(role: Role) -> Actor:
    return Actor("test", f"u-{role.name.lower()}", f"Fuzz {role.name.title()}", role)


CHANNEL = ChannelRef("test", "fuzz-workspace", "fuzz-channel")


def _check(core: Marquee, reply: Reply, before: tuple[object, ...]) -> None:
    assert isinstance(reply, Reply)
    assert reply.blocks, "a reply with nothing in it"
    text = render_reply(reply)
    assert text.strip()
    assert APOLOGY not in text, text
    if reply.is_error:
        assert fingerprint(core.db) == before, f"a refusal changed the database: {text}"


@fuzz
@given(case=invocations())
def test_every_command_answers_hostile_arguments_clearly(
    fuzz_core: Marquee, case: tuple[CommandSpec, dict[str, ArgValue], Role]
) -> None:
    spec, args, role = case
    with counted("command arguments"):
        before = fingerprint(fuzz_core.db)
        reply = fuzz_core.handle(Invocation(spec.name, args, _actor(role), CHANNEL))
        _check(fuzz_core, reply, before)


_words = st.sampled_from(sorted({w for c in COMMANDS for w in c.words}))


@fuzz
@given(
    head=st.lists(_words, min_size=1, max_size=3).map(" ".join),
    rest=st.lists(
        st.one_of(
            hostile_text,
            st.builds(
                lambda k, v: f"{k}={v}",
                st.sampled_from(sorted({p.name for c in COMMANDS for p in c.params} | {"day"})),
                hostile_text,
            ),
        ),
        max_size=4,
    ).map(" ".join),
    slash=st.booleans(),
    role=roles,
)
def test_every_typed_line_answers_clearly(
    fuzz_core: Marquee, head: str, rest: str, slash: bool, role: Role
) -> None:
    line = f"{'/' if slash else ''}{head} {rest}"
    with counted("typed command lines"):
        before = fingerprint(fuzz_core.db)
        session = ConsoleSession(fuzz_core, _actor(role))
        out = session.run_line(line)
        assert out.strip()
        assert APOLOGY not in out, (line, out)
        if out.startswith("✖") or (session.last is not None and session.last.is_error):
            assert fingerprint(fuzz_core.db) == before, f"a refusal changed the database: {out}"
