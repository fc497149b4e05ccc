"""Every command Marquee prints as something to type runs as printed and does what it says.

A broad corpus of replies (every registry command as a member and as a moderator, several
pages, choices, not-found suggestions, errors) is rendered by the console, Discord and Slack
renderers. Every command the rendered text offers — backticked commands, `/…` lines, choices,
paging and spoiler hints, help lines — is read back with that platform's own parser, the way a
person would type it, and run through `Marquee.handle`. Buttons and select menus are decoded
and run too. A hint that cannot be parsed, names an option twice or one the command lacks,
or does something other than it says fails the test with the reply it came from.

Help lines and commands with placeholders (`/watch <title>`) are templates: their placeholders
are filled with sample values, and they run on a scratch core, since they write.
"""

from __future__ import annotations

import html
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from adapters.cli import parser
from adapters.console.render import render_reply as render_console
from adapters.console.shell import ConsoleSession
from adapters.discord.actions import ActionCodec
from adapters.discord.buttons import PAGE_LABEL_ID, ButtonSpec, SelectSpec
from adapters.discord.commands import options_to_args
from adapters.discord.commands import slash_commands as discord_commands
from adapters.discord.render import render_reply as render_discord
from adapters.slack.actions import ActionKind, BadAction, decode_action
from adapters.slack.commands import Resolved
from adapters.slack.commands import resolve as slack_resolve
from adapters.slack.markup import escape as slack_escape
from adapters.slack.render import render_reply as render_slack
from bot.args import ArgError, coerce_args
from bot.core import Marquee
from bot.registry import COMMANDS, CommandSpec, Param, ParamKind, find_command
from bot.textargs import parse_line, split_command
from bot.types import Actor, ArgValue, Choices, Invocation, Reply, ReviewCard
from tests.conftest import CHANNEL, FIXED_NOW, MEMBER, MODERATOR, make_core

# What a hint must never meet: the parser or the argument check refusing what it printed.
SYNTAX_FAILURE = re.compile(
    r"given twice|has no option|no command|Unknown command|takes nothing after|"
    r"must be a whole number|is yes or no|A rating is|needs \w+ \(|"
    r"is for \w+s and you are|can't parse|not a number"
)
# A choice that names a film must land on it, not ask again or miss it.
CHOICE_FAILURE = re.compile(SYNTAX_FAILURE.pattern + r"|No film found|could be several films")

# Sample values for placeholders, by parameter name (and by command where it matters).
SAMPLES: dict[str, str] = {
    "title": "Second Victims",
    "film": "Second Victims",
    "rating": "4",
    "score": "4",
    "headline": "Sample headline",
    "body": "Sample text.",
    "review": "3",
    "showtime": "31",
    "cinema": "Luna Leederville",
    "starts": "2027-01-15 18:30",
    "target": "all",
    "subscription": "1",
    "text": "drama",
    "query": "Perth",
    "command": "review",
    "city": "Perth",
    "genre": "drama",
    "entry": "1",
    "cities": "Perth",
}
SAMPLE_BY_COMMAND: dict[tuple[str, str], str] = {
    ("film add", "title"): "A Sample Film",
    ("film remove", "film"): "Godland",
}


def sample(spec: CommandSpec, param: Param) -> str:
    return SAMPLE_BY_COMMAND.get((spec.name, param.name)) or SAMPLES.get(param.name, "1")


# ---------------------------------------------------------------------------------------------
# What a suggestion promises
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    platform: str
    shown: str  # as printed
    # "choice", "page", "spoiler", "mention", "name", "template", "cli", or "foreign": a
    # command written in another platform's form (console text on Discord), never right.
    kind: str
    page: int | None = None  # a paging hint lands here
    review_id: int | None = None  # a spoiler hint shows this review's text
    choice: int | None = None  # the option of the reply's Choices it stands for (0-based)
    choices_block: int = 0


@dataclass
class Entry:
    label: str
    core: Marquee
    actor: Actor
    reply: Reply
    # Answers by invocation: a hint shown on three platforms is one action, run once (a
    # choice that removes a film cannot be taken three times).
    answers: dict[str, Reply] = field(default_factory=dict)

    def run(self, core: Marquee, inv: Invocation) -> Reply:
        spec = find_command(inv.command)
        try:
            args = coerce_args(spec, inv.args) if spec else inv.args
        except ArgError:
            args = inv.args
        key = f"{id(core)} {inv.actor.user_id} {inv.command} {sorted(args.items(), key=str)}"
        if key not in self.answers:
            self.answers[key] = core.handle(inv)
        return self.answers[key]


# ---------------------------------------------------------------------------------------------
# Reading each platform's rendered text, as a person would
# ---------------------------------------------------------------------------------------------

_SPAN = re.compile(r"`([^`\n]+)`")
_FIRST_WORDS = {spec.words[0] for spec in COMMANDS}
_SLASH = re.compile(r"(?:(?<=\s)|^)/(?=([a-z]+))")


def console_suggestions(entry: Entry) -> Iterator[Suggestion]:
    text = render_console(entry.reply)
    choice_index = -1
    choices_block = -1
    for n, line in enumerate(text.splitlines()):
        for span in _SPAN.finditer(line):
            yield _typed("console", span.group(1))
        rest = _SPAN.sub("", line)
        found = next((m for m in _SLASH.finditer(rest) if m.group(1) in _FIRST_WORDS), None)
        if found is None:
            continue
        command = rest[found.start() :].strip()
        numbered = re.match(r"^\s+(\d+)\. ", line)
        if numbered:
            if numbered.group(1) == "1":
                choices_block += 1
            choice_index = int(numbered.group(1)) - 1
            yield Suggestion(
                "console", command, "choice", choice=choice_index, choices_block=choices_block
            )
        elif "next: " in rest[: found.start()]:
            assert entry.reply.page is not None
            yield Suggestion("console", command, "page", page=entry.reply.page.page + 1)
        elif "To read it: " in rest[: found.start()]:
            # The review it belongs to is the one whose byline is just above.
            above = "\n".join(text.splitlines()[:n])
            review_id = int(re.findall(r"review #(\d+)", above)[-1])
            yield Suggestion("console", command.rstrip("]"), "spoiler", review_id=review_id)
        elif " — " in command:  # a help line: "/review <title> … — The community's reviews"
            yield Suggestion("console", command.split(" — ")[0], "template")
        else:
            yield _typed("console", command)


def _typed(platform: str, shown: str) -> Suggestion:
    if shown.startswith("marquee "):
        return Suggestion(platform, shown, "cli")  # a command for the server's terminal
    if re.search(r"<\w+>|\[[^\]]*\]|…|\b\w+:(?=\s|$)", shown):
        return Suggestion(platform, shown, "template")
    words = shown.lstrip("/").split()
    words = words[1:] if words[:1] == ["marquee"] else words
    spec = _command_of(shown)
    if platform == "discord":
        bare = len(words) == 1
    else:
        bare = spec is not None and len(words) == len(spec.words)
    # A command named in a sentence ("a moderator can `alerts subscribe`") need only parse.
    return Suggestion(platform, shown, "name" if bare else "mention")


def discord_suggestions(entry: Entry, codec: ActionCodec) -> Iterator[Suggestion]:
    message = render_discord(entry.reply, codec)
    texts = [message.content or ""]
    for embed in message.embeds:
        texts += [embed.title or "", embed.description or "", embed.footer.text or ""]
        texts += [f"{f.name}\n{f.value}" for f in embed.fields]
    for text in texts:
        for line in text.splitlines():
            for span in _SPAN.finditer(line):
                # What the reader sees: Discord shows `\<` as `<`.
                shown = re.sub(r"\\(.)", r"\1", span.group(1)).rstrip("\\")
                if not shown.startswith("/"):
                    if split_command(shown) is not None:  # console form: not typeable here
                        yield Suggestion("discord", shown, "foreign")
                    continue
                if shown[1:].split()[0] not in discord_commands():
                    continue
                # A help line: "`/review-add` film: rating: [spoiler:] — Add a review".
                after = line[span.end() :].split(" — ")[0].replace("\\", "").strip()
                if " " not in shown and re.fullmatch(r"(\[?\w+:\]?\s*)+|…", after or "-"):
                    yield Suggestion("discord", f"{shown} {after}", "template")
                    continue
                yield _typed("discord", shown)


def slack_suggestions(entry: Entry) -> Iterator[Suggestion]:
    message = render_slack(entry.reply)
    # The fallback text too: it is what notifications and screen readers show.
    for text in [message["text"], *_slack_texts(message["blocks"])]:
        for span in _SPAN.finditer(text):
            shown = html.unescape(span.group(1))
            if shown.startswith(("/", "marquee ")):
                yield _typed("slack", shown)
            elif split_command(shown) is not None:  # no slash command in front: not typeable
                yield Suggestion("slack", shown, "foreign")


def _slack_texts(blocks: list[dict[str, Any]]) -> Iterator[str]:
    for block in blocks:
        if isinstance(block.get("text"), dict):
            yield block["text"]["text"]
        for element in block.get("elements", ()):
            if element.get("type") == "mrkdwn":
                yield element["text"]


# ---------------------------------------------------------------------------------------------
# Each platform's parser
# ---------------------------------------------------------------------------------------------


def console_parse(core: Marquee, actor: Actor, shown: str) -> Invocation | str:
    return ConsoleSession(core, actor, CHANNEL).invocation_for(shown)


def slack_parse(core: Marquee, actor: Actor, shown: str) -> Invocation | str:
    slash, _, text = shown.partition(" ")
    # Slack sends what was typed with &, < and > as entities; `resolve` undoes that.
    found = slack_resolve(slash, slack_escape(text))
    if not isinstance(found, Resolved):
        return found.message
    return Invocation(found.spec.name, found.args, actor, CHANNEL)


def discord_parse(core: Marquee, actor: Actor, shown: str) -> Invocation | str:
    """A slash command as Discord's client sends it: one option per `name:value`, each value
    already of its option's type (Discord refuses to send a wrong one)."""
    slug, _, rest = shown.lstrip("/").partition(" ")
    spec = discord_commands().get(slug)
    if spec is None:
        return f"Discord has no command /{slug}"
    names = "|".join(re.escape(p.name) for p in spec.params)
    keys = list(re.finditer(rf"(?:(?<=\s)|^)({names}):", rest))
    if rest.strip() and (not keys or keys[0].start() != 0):
        return f"text outside any option: {rest!r}"
    options = []
    for i, key in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(rest)
        param = spec.param(key.group(1))
        assert param is not None
        value = _discord_value(param, rest[key.end() : end].strip())
        if isinstance(value, str) and value.startswith("refused:"):
            return value
        options.append({"name": param.name, "value": value})
    return Invocation(spec.name, options_to_args(spec, options), actor, CHANNEL)


def _discord_value(param: Param, text: str) -> ArgValue:
    try:
        if param.kind is ParamKind.BOOL:
            return {"true": True, "false": False}[text.lower()]
        if param.kind is ParamKind.INT:
            return int(text)
        if param.kind is ParamKind.RATING:
            return float(text)
    except (KeyError, ValueError):
        return f"refused: Discord's client does not send {text!r} as {param.kind.value}"
    return text


PARSERS: dict[str, Callable[[Marquee, Actor, str], Invocation | str]] = {
    "console": console_parse,
    "discord": discord_parse,
    "slack": slack_parse,
}


def fill_template(platform: str, shown: str) -> str:
    """A help line or placeholder hint with sample values: optional parts dropped."""
    if platform == "discord":
        slug = shown.lstrip("/").split()[0]
        spec = discord_commands()[slug]
    else:
        parsed = _command_of(shown)
        assert parsed is not None, f"{platform}: {shown!r} names no command"
        spec = parsed
    filled = re.sub(r"\s*\[[^\]]*\]", "", shown)
    filled = re.sub(r"\s*…", "", filled)

    def value(m: re.Match[str]) -> str:
        param = spec.param(m.group(1))
        assert param is not None, f"{shown!r}: no parameter {m.group(1)}"
        return sample(spec, param)

    filled = re.sub(r"<(\w+)>", value, filled)
    if platform == "discord":
        filled = re.sub(r"\b(\w+):(?=\s|$)", lambda m: f"{m.group(1)}:{value(m)}", filled)
    return filled


def _command_of(shown: str) -> CommandSpec | None:
    words = shown.lstrip("/").split()
    if words and words[0] == "marquee":
        words = words[1:]
    for n in (3, 2, 1):
        spec = find_command(" ".join(words[:n]))
        if spec is not None:
            return spec
    return None


# ---------------------------------------------------------------------------------------------
# Running a suggestion and checking it did what it said
# ---------------------------------------------------------------------------------------------


def check(entry: Entry, s: Suggestion, scratch: Marquee) -> str | None:
    """None if the suggestion runs and keeps its promise; otherwise what went wrong."""
    where = f"{s.platform} · {entry.label} · {s.shown!r}"
    if s.kind == "cli":
        return cli_refuses(s.shown, where)
    if s.kind == "foreign":
        return f"{where}: a command in another platform's form"
    core = scratch if s.kind in ("template", "mention", "name") else entry.core
    typed = fill_template(s.platform, s.shown) if s.kind == "template" else s.shown
    actor = MODERATOR if s.kind == "template" else entry.actor
    inv = PARSERS[s.platform](core, actor, typed)
    if isinstance(inv, str):
        return f"{where}: the parser refused it: {inv}"
    if s.kind == "name":
        return None  # a command named in a sentence ("try `search`"); it parsed as one
    reply = entry.run(core, inv)
    text = " ".join(str(getattr(b, "text", "")) for b in reply.blocks)
    if reply.is_error and SYNTAX_FAILURE.search(text):
        return f"{where}: {text}"
    if s.kind == "choice" and reply.is_error and CHOICE_FAILURE.search(text):
        return f"{where}: {text}"
    if s.kind in ("page", "spoiler") and reply.is_error:
        return f"{where}: {text}"
    return promise_kept(entry, s, inv, reply, where)


def cli_refuses(shown: str, where: str) -> str | None:
    """A `marquee …` command for the server's shell must be one the CLI accepts."""
    try:
        parser().parse_args(shlex.split(shown)[1:])
    except SystemExit:
        return f"{where}: the marquee CLI refuses it"
    return None


def promise_kept(
    entry: Entry, s: Suggestion, inv: Invocation, reply: Reply, where: str
) -> str | None:
    if s.kind == "page":
        if reply.page is None or reply.page.page != s.page:
            return f"{where}: landed on {reply.page and reply.page.page}, not page {s.page}"
        if entry.reply.page is not None and reply.page.command != entry.reply.page.command:
            return f"{where}: paged {reply.page.command}, not {entry.reply.page.command}"
    if s.kind == "spoiler":
        shown = [b for b in reply.blocks if isinstance(b, ReviewCard)]
        if not any(c.review_id == s.review_id and c.spoiler_revealed for c in shown):
            ids = [c.review_id for c in shown]
            return f"{where}: review #{s.review_id} is not shown revealed (got {ids})"
    if s.kind == "choice":
        blocks = [b for b in entry.reply.blocks if isinstance(b, Choices)]
        option = blocks[s.choices_block].options[s.choice or 0]
        if not same_invocation(inv, option.command, option.args):
            return f"{where}: runs {inv.command} {inv.args}, the choice is {option}"
    return None


def same_invocation(inv: Invocation, command: str, args: dict[str, ArgValue]) -> bool:
    spec = find_command(command)
    assert spec is not None
    try:
        return inv.command == command and coerce_args(spec, inv.args) == coerce_args(spec, args)
    except ArgError:
        return False


# ---------------------------------------------------------------------------------------------
# Buttons and select menus: structured actions, decoded and run
# ---------------------------------------------------------------------------------------------


def check_discord_components(entry: Entry, codec: ActionCodec) -> Iterator[str]:
    message = render_discord(entry.reply, codec)
    choices = [b for b in entry.reply.blocks if isinstance(b, Choices)]
    selects = 0
    for component in message.components():
        if isinstance(component, SelectSpec):
            for i, option in enumerate(component.options):
                action = codec.decode(option.value)
                where = f"discord select · {entry.label} · {option.label}"
                if action is None:
                    yield f"{where}: does not decode"
                    continue
                want = choices[selects].options[i]
                if (action.command, action.args) != (want.command, dict(want.args)):
                    yield f"{where}: {action} is not the choice {want}"
                yield from _run_action(entry, action.command, action.args, where)
            selects += 1
        elif isinstance(component, ButtonSpec) and not component.disabled:
            if component.custom_id == PAGE_LABEL_ID:
                continue
            action = codec.decode(component.custom_id)
            where = f"discord button · {entry.label} · {component.label}"
            if action is None:
                yield f"{where}: does not decode"
                continue
            page = entry.reply.page
            target = None
            if page is not None and component.label.startswith("Next"):
                target = page.page + 1
            elif page is not None and component.label.startswith("◀"):
                target = page.page - 1
            hidden = _hidden_reviews(entry.reply) if component.label.startswith("Show") else []
            yield from _run_action(entry, action.command, action.args, where, target, hidden)


def check_slack_components(entry: Entry) -> Iterator[str]:
    message = render_slack(entry.reply)
    for block in message["blocks"]:
        elements = list(block.get("elements", ()))
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            values = []
            if element.get("type") == "button":
                values = [{"action_id": element["action_id"], "value": element["value"]}]
            elif element.get("type") == "static_select":
                values = [
                    {"action_id": element["action_id"], "selected_option": o}
                    for o in element["options"]
                ]
            for payload in values:
                where = f"slack {payload['action_id']} · {entry.label}"
                try:
                    request = decode_action(payload)
                except BadAction as exc:
                    yield f"{where}: {exc}"
                    continue
                page = entry.reply.page
                target = None
                if request.kind is ActionKind.PAGE and page is not None:
                    target = page.page + (1 if payload["action_id"].endswith("next") else -1)
                hidden: list[int] = []
                if payload["action_id"].startswith("marquee.open.review."):  # a reveal
                    hidden = [int(payload["action_id"].rsplit(".", 1)[1])]
                yield from _run_action(entry, request.command, request.args, where, target, hidden)


def _hidden_reviews(reply: Reply) -> list[int]:
    return [
        b.review_id
        for b in reply.blocks
        if isinstance(b, ReviewCard) and b.spoiler and not b.spoiler_revealed
    ]


def _run_action(
    entry: Entry,
    command: str,
    args: dict[str, ArgValue],
    where: str,
    page: int | None = None,
    reveals: list[int] | None = None,
) -> Iterator[str]:
    reply = entry.run(entry.core, Invocation(command, dict(args), entry.actor, CHANNEL))
    text = " ".join(str(getattr(b, "text", "")) for b in reply.blocks)
    if reply.is_error and (CHOICE_FAILURE.search(text) or page or reveals):
        yield f"{where}: {text}"
        return
    if page is not None and (reply.page is None or reply.page.page != page):
        yield f"{where}: landed on {reply.page and reply.page.page}, not page {page}"
    shown = {b.review_id for b in reply.blocks if isinstance(b, ReviewCard) and b.spoiler_revealed}
    for review_id in reveals or ():
        if review_id not in shown:
            yield f"{where}: review #{review_id} is not revealed (revealed: {sorted(shown)})"


# ---------------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------------

# Typed as a member, then as a moderator (writes last, so the reads see the demo catalogue).
MEMBER_LINES = [
    "help",
    "help review",
    "help nosuch",
    "review Second Victims",
    "review Second Victims spoilers=yes",
    "review solaris",
    "review secnd victims",
    "review ostlund",
    "review xyzzyqq",
    "review help",
    "film Second Victims",
    "film solaris",
    "film review Arrival",
    "showtimes",
    "showtimes Perth",
    "showtimes Perth when=fri",
    'showtimes when="this week"',
    'showtimes when="this week" page=3',
    "showtimes recommend",
    "showtimes solaris",
    "showtimes add Arrival",
    "search drama",
    "search drama page=2",
    "search tarkovsky",
    "search qqqzzz",
    "export Second Victims",
    "export nosuchthing",
    "watch Second Victims",
    "watchlist",
    "unwatch Second Victims",
    "unwatch Second Victims",
    "alerts list",
    "rate solaris 4",
    "rate Second Victims",
    "rate Second Victims 4.5",
    "rate review 4",
    "recommend",
    "recommend drama tense nordic",
    "recommend like solaris",
    "recommend like Second Victims",
    "recommend showing Perth",
    "not interested solaris",
    "audit",
]
MODERATOR_LINES = [
    "help",
    "review add Second Victims rating=3 headline=First extra body=One.",
    "review add Second Victims rating=3.5 headline=Second extra body=Two.",
    "review add Second Victims rating=2 headline=Third extra body=Three.",
    "review Second Victims",
    "review Second Victims page=2",
    "review add solaris rating=4 headline=Which one body=Either.",
    "review add review Arrival rating=4 headline=Command body=Not a title.",
    "review add nosuchfilmqq rating=4 headline=None body=Nothing.",
    "review edit 1 rating=4",
    "review edit 99999 rating=4",
    "review remove 99999",
    "film edit Second Victims runtime=101",
    "film add Second Victims",
    "showtime add Second Victims cinema=Luna Leederville starts=2027-01-15 18:30",
    "showtime add Second Victims cinema=Nowhere Hall starts=2027-01-15 18:30",
    "showtime remove 99999",
    "alerts subscribe city:Perth",
    "alerts subscribe film:Second Victims kinds=digest",
    "alerts list",
    "alerts remove 99999",
    "audit",
    "audit page=2",
]


def _line_reply(core: Marquee, actor: Actor, line: str) -> Reply:
    parsed = parse_line(line)
    assert parsed is not None, line
    spec, args = parsed
    return core.handle(Invocation(spec.name, args, actor, CHANNEL))


@pytest.fixture(scope="module")
def cores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Marquee]]:
    root: Path = tmp_path_factory.mktemp("suggested")
    made = {
        name: make_core(f"sqlite:///{root / f'{name}.db'}", now=FIXED_NOW)
        for name in ("main", "sweep", "scratch")
    }
    yield made
    for core in made.values():
        core.db.dispose()


def corpus(cores: dict[str, Marquee]) -> Iterator[Entry]:
    """Replies, each yielded as soon as it is made: its hints are checked against the state
    the person who read it would type them into."""
    main = cores["main"]
    for actor, lines in ((MEMBER, MEMBER_LINES), (MODERATOR, MODERATOR_LINES)):
        for line in lines:
            reply = _line_reply(main, actor, line)
            yield Entry(f"{actor.role.name.lower()}: {line}", main, actor, reply)
    # Every registry command, with sample values for what it needs, as member and moderator.
    sweep = cores["sweep"]
    for actor in (MEMBER, MODERATOR):
        for spec in COMMANDS:
            if spec.hidden:
                continue
            args: dict[str, ArgValue] = {
                p.name: sample(spec, p)
                for p in spec.params
                if p.required and p.kind is not ParamKind.FILE
            }
            reply = sweep.handle(Invocation(spec.name, args, actor, CHANNEL))
            yield Entry(f"{actor.role.name.lower()} sweep: {spec.name} {args}", sweep, actor, reply)


# ---------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_every_printed_command_runs_and_does_what_it_says(cores: dict[str, Marquee]) -> None:
    codec = ActionCodec()
    failures: list[str] = []
    seen: dict[str, dict[str, int]] = {p: {} for p in PARSERS}
    for entry in corpus(cores):
        suggestions = [
            *console_suggestions(entry),
            *discord_suggestions(entry, codec),
            *slack_suggestions(entry),
        ]
        for s in suggestions:
            seen[s.platform][s.kind] = seen[s.platform].get(s.kind, 0) + 1
            problem = check(entry, s, cores["scratch"])
            if problem:
                failures.append(problem)
        failures += check_discord_components(entry, codec)
        failures += check_slack_components(entry)
    assert not failures, "\n".join(failures)
    # The corpus really offered each kind of hint, on each platform that prints it.
    assert {"choice", "page", "spoiler", "mention", "template"} <= set(seen["console"]), seen
    assert {"mention", "template"} <= set(seen["discord"]), seen
    assert {"mention", "template"} <= set(seen["slack"]), seen
    assert sum(seen["console"].values()) > 150, seen


# ---------------------------------------------------------------------------------------------
# A word that is a command's name is never silently taken for a title
# ---------------------------------------------------------------------------------------------


def _ask(core: Marquee, actor: Actor, line: str) -> Choices:
    reply = _line_reply(core, actor, line)
    blocks = [b for b in reply.blocks if isinstance(b, Choices)]
    assert blocks and not reply.is_error, (line, reply)
    return blocks[0]


def _offers(choices: Choices) -> list[tuple[str, dict[str, ArgValue]]]:
    return [(o.command, dict(o.args)) for o in choices.options]


def test_a_command_word_in_a_title_offers_the_command(core: Marquee) -> None:
    assert _offers(_ask(core, MEMBER, "film review Arrival")) == [("review", {"title": "Arrival"})]
    assert _offers(_ask(core, MEMBER, "showtimes recommend")) == [("recommend", {})]
    # "review help" means help about review.
    assert _offers(_ask(core, MEMBER, "review help")) == [("help", {"command": "review"})]
    # A sub-command's word on the wrong parent; a command the text cannot fill offers its help.
    offers = _offers(_ask(core, MODERATOR, "showtimes add Arrival"))
    assert ("help", {"command": "showtime add"}) in offers
    assert ("film add", {"title": "Arrival"}) in offers
    assert _offers(_ask(core, MEMBER, "review like Arrival")) == [
        ("recommend like", {"title": "Arrival"})
    ]


def test_a_film_that_really_has_the_title_is_offered_beside_the_command(core: Marquee) -> None:
    added = _line_reply(core, MODERATOR, "film add Help year=1965")
    assert not added.is_error, added
    offers = _ask(core, MEMBER, "review help").options
    assert [o.command for o in offers] == ["review", "help"]
    assert offers[0].label == "Help (1965)" and str(offers[0].args["title"]).startswith("#")
    # Its number never reads as a command.
    reply = core.handle(Invocation("film", dict(offers[0].args), MEMBER, CHANNEL))
    assert not reply.is_error and "Help" in str(reply.blocks[0])


def test_a_sub_command_word_that_starts_a_real_title_stays_a_title(core: Marquee) -> None:
    assert not _line_reply(core, MODERATOR, "film add Like Someone in Love year=2012").is_error
    reply = _line_reply(core, MEMBER, "film Like Someone in Love")
    assert not reply.is_error and not any(isinstance(b, Choices) for b in reply.blocks)


def test_a_write_refuses_a_command_word_title_and_changes_nothing(core: Marquee) -> None:
    before = _line_reply(core, MEMBER, "review Arrival")
    reply = _line_reply(
        core, MODERATOR, "review add review Arrival rating=4 headline=Command body=Not a title."
    )
    assert reply.is_error
    text = str(reply.blocks[0])
    assert "`review Arrival`" in text and "Nothing was changed" in text
    assert _line_reply(core, MEMBER, "review Arrival") == before
