"""Plain-text rendering of the core's replies, for the terminal and for scripts."""

from __future__ import annotations

import textwrap

from bot import textargs
from bot.registry import CommandSpec, ParamKind, find_command
from bot.types import (
    Action,
    ArgValue,
    Block,
    Choices,
    CommandList,
    ErrorNotice,
    FilmCard,
    Notice,
    Reply,
    ReviewCard,
    ShowtimeList,
    Table,
    Text,
)

WIDTH = 88


def command_line(command: str, args: dict[str, ArgValue]) -> str:
    """The console command that performs `command` with `args` (choices, paging, hints); it is
    written by the same module that parses typed lines, so it always parses back."""
    return "/" + textargs.command_line(command, args)


def _typed(spec: CommandSpec, rest: str) -> str:
    return f"/{spec.name} {rest}".rstrip()


def core_text(text: str) -> str:
    """The core's text with each backticked command as typed here: `/rate Solaris 4`."""
    return textargs.rewrite_mentions(text, _typed)


def usage_line(name: str, params: tuple[tuple[str, bool], ...]) -> str:
    """How help shows a command: the first parameter bare, the others as name=<…>."""
    if needs_attachment(name):
        return f"marquee {name} FILE (a file can't be typed here: run it in a terminal)"
    shown = []
    for i, (param, required) in enumerate(params):
        value = f"<{param}>" if i == 0 else f"{param}=<{param}>"
        shown.append(value if required else f"[{value}]")
    return f"/{name} {' '.join(shown)}".rstrip()


def stars(rating: float) -> str:
    return "★" * int(rating) + ("½" if rating % 1 else "")


def needs_attachment(name: str) -> bool:
    """Whether a command takes an attached file, which typed text cannot carry."""
    spec = find_command(name)
    return spec is not None and any(p.kind is ParamKind.FILE and p.required for p in spec.params)


def render_reply(reply: Reply) -> str:
    out = [render_block(b) for b in reply.blocks]
    if reply.page:
        p = reply.page
        nav = f"Page {p.page} of {p.page_count}"
        if p.page < p.page_count:
            nav += f" — next: {command_line(p.command, p.args_for(p.page + 1))}"
        out.append(nav)
    return "\n\n".join(out)


def render_block(block: Block) -> str:
    if isinstance(block, Text):
        return core_text(block.text)
    if isinstance(block, Notice):
        return f"✔ {core_text(block.text)}"
    if isinstance(block, ErrorNotice):
        return f"✖ {core_text(block.text)}"
    if isinstance(block, FilmCard):
        return _film(block)
    if isinstance(block, ReviewCard):
        return _review(block)
    if isinstance(block, ShowtimeList):
        lines = [core_text(block.heading)]
        for item in block.items:
            line = f"  #{item.showtime_id}  {item.local_time}  {item.film_title}"
            line += f" — {item.cinema}, {item.city}"
            extras = [x for x in (item.event, item.format) if x]
            if item.cancelled:
                extras.insert(0, "CANCELLED")
            if extras:
                line += f" ({'; '.join(extras)})"
            if item.ticket_url:
                line += f"  {item.ticket_url}"
            lines.append(line)
        return "\n".join(lines)
    if isinstance(block, Choices):
        lines = [core_text(block.prompt)]
        for i, choice in enumerate(block.options, 1):
            desc = f" — {choice.description}" if choice.description else ""
            lines.append(
                f"  {i}. {choice.label}{desc}   {command_line(choice.command, choice.args)}"
            )
        return "\n".join(lines)
    if isinstance(block, Table):
        widths = [
            max(len(str(c)) for c in col) for col in zip(block.columns, *block.rows, strict=False)
        ]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines = [core_text(block.heading), fmt.format(*block.columns)]
        lines += [fmt.format(*row) for row in block.rows]
        return "\n".join(line.rstrip() for line in lines)
    if isinstance(block, CommandList):
        lines = [core_text(block.heading), ""]
        for usage in block.commands:
            lines.append(f"{usage_line(usage.name, usage.params)} — {usage.description}")
        if block.footer:
            lines += ["", core_text(block.footer)]
        return "\n".join(lines)
    # Fail loudly: a block this adapter cannot show is a bug, not something to drop.
    raise TypeError(f"the console cannot render {type(block).__name__}")


def _film(card: FilmCard) -> str:
    lines = [card.label]
    if card.original_title:
        lines.append(f"  Original title: {card.original_title}")
    if card.alternative_titles:
        lines.append(f"  Also known as: {', '.join(card.alternative_titles)}")
    facts = [
        ("Directed by", ", ".join(card.directors)),
        ("With", ", ".join(card.cast)),
        ("Genres", ", ".join(card.genres)),
        ("Country", ", ".join(card.countries)),
        ("Language", ", ".join(card.languages)),
        ("Runtime", f"{card.runtime_minutes} min" if card.runtime_minutes else ""),
    ]
    lines += [f"  {k}: {v}" for k, v in facts if v]
    if card.community_rating is not None:
        lines.append(
            f"  Community rating: {stars(round(card.community_rating * 2) / 2)} "
            f"{card.community_rating:.1f}/5 from {card.rating_count} "
            f"({card.review_count} review{'s' if card.review_count != 1 else ''})"
        )
    if card.synopsis:
        lines.append(
            textwrap.fill(card.synopsis, WIDTH, initial_indent="  ", subsequent_indent="  ")
        )
    if card.next_showtime:
        s = card.next_showtime
        lines.append(f"  Next screening: {s.local_time} at {s.cinema}, {s.city}")
    lines += [f"  {action_line(a)}" for a in card.actions]
    return "\n".join(lines)


def action_line(action: Action) -> str:
    """A follow-up as the console offers it: what it does and the command that does it."""
    return f"{action.label}: {command_line(action.command, action.args)}"


def _review(card: ReviewCard) -> str:
    year = f" ({card.film_year})" if card.film_year else ""
    head = f"{stars(card.rating)} {card.rating:g}/5  {card.headline}"
    byline = (
        f"{card.film_title}{year} — review #{card.review_id} by {card.author}, "
        f"{card.published_at:%d %b %Y}"
    )
    if card.version_shown:
        byline += f" · version {card.version} (an edit gives version={card.version})"
    if card.spoiler and not card.spoiler_revealed:
        reveal = card.reveal
        how = f" To read it: {command_line(reveal.command, reveal.args)}" if reveal else ""
        body = f"[Contains spoilers — hidden.{how}]"
    else:
        body = "\n".join(textwrap.fill(p, WIDTH) for p in card.body.splitlines() if p.strip())
        if card.spoiler:
            body = "[Spoilers]\n" + body
    return f"{head}\n{byline}\n{body}"
