"""The core's `Reply` as a Slack message: fallback text plus Block Kit. Pure functions.

The core owns the content, this module owns the markup. Every block type of `bot.types` has a
renderer; a type without one raises `UnrenderableBlock` instead of vanishing from the answer.
All text that came from users or the core is escaped (see `markup`), so a `<!channel>` typed
into a review headline arrives as `&lt;!channel&gt;` and pings nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from adapters.slack.actions import OPTION_VALUE_MAX, ActionKind, action_id, encode_value
from adapters.slack.commands import typed_command
from adapters.slack.markup import (
    SECTION_TEXT_MAX,
    escape,
    escaped_chunks,
    mrkdwn,
    plain,
    safe_url,
    slack_date,
    stars,
    truncate,
)
from bot.registry import CommandSpec, ParamKind, find_command
from bot.textargs import rewrite_mentions
from bot.types import (
    Action,
    Block,
    Choices,
    CommandList,
    ErrorNotice,
    FilmCard,
    Notice,
    PageInfo,
    Reply,
    ReviewCard,
    ShowtimeItem,
    ShowtimeList,
    Table,
    Text,
    film_label,
)

MESSAGE_BLOCKS_MAX = 50  # Block Kit: blocks in one message
FALLBACK_TEXT_MAX = 300  # the notification / screen-reader text; a summary, not the content
BUTTONS_MAX = 5  # more choices than this become a select menu
ACTIONS_ELEMENTS_MAX = 25  # Block Kit: elements in one actions block
SELECT_OPTIONS_MAX = 100  # Block Kit: options in one static_select
TABLE_CELL_MAX = 32

JsonBlock = dict[str, Any]


class UnrenderableBlock(TypeError):
    """The core sent a block type this adapter has no markup for."""


def render_reply(reply: Reply) -> dict[str, Any]:
    """`{"text": fallback, "blocks": [...]}`, ready for ack, respond or chat.postMessage."""
    body: list[JsonBlock] = []
    for i, block in enumerate(reply.blocks):
        if i and isinstance(block, FilmCard | ReviewCard) and _is_card(reply.blocks[i - 1]):
            body.append({"type": "divider"})
        body.extend(render_block(block))
    tail = render_paging(reply.page) if reply.page else []
    return {"text": fallback_text(reply), "blocks": _unique_action_ids(_fit(body, tail))}


def render_block(block: Block) -> list[JsonBlock]:
    renderer = _RENDERERS.get(type(block))
    if renderer is None:
        raise UnrenderableBlock(f"no Slack markup for {type(block).__name__}")
    return renderer(block)


def fallback_text(reply: Reply) -> str:
    """A one-line summary for notifications and clients without Block Kit (never spoilers)."""
    parts = [core_text(_summary(b)) for b in reply.blocks]
    return truncate(escape(" · ".join(p for p in parts if p)), FALLBACK_TEXT_MAX) or "Marquee"


def _summary(block: Block) -> str:
    match block:
        case Text(text) | Notice(text) | ErrorNotice(text):
            return text.splitlines()[0] if text.strip() else ""
        case FilmCard():
            return block.label
        case ReviewCard():
            return f"{block.headline} ({block.film_title})"
        case ShowtimeList(heading=heading) | Table(heading=heading) | CommandList(heading=heading):
            return heading
        case Choices(prompt=prompt):
            return prompt
    raise UnrenderableBlock(f"no Slack markup for {type(block).__name__}")


# ---------------------------------------------------------------------------------------------
# Blocks
# ---------------------------------------------------------------------------------------------


def _typed_mention(spec: CommandSpec, rest: str) -> str:
    return f"{typed_command(spec.name)} {rest}".rstrip()


def core_text(text: str) -> str:
    """The core's text with each command it mentions as typed in Slack (`/marquee rate …`)."""
    return rewrite_mentions(text, _typed_mention)


def render_text(block: Text) -> list[JsonBlock]:
    return [_section(chunk) for chunk in escaped_chunks(core_text(block.text))]


def render_notice(block: Notice) -> list[JsonBlock]:
    chunks = escaped_chunks(core_text(block.text), 2900)
    return [_section(":white_check_mark: " + c) for c in chunks]


def render_error(block: ErrorNotice) -> list[JsonBlock]:
    return [_section(":warning: " + c) for c in escaped_chunks(core_text(block.text), 2900)]


def render_film(card: FilmCard) -> list[JsonBlock]:
    lines = [f"*{escape(card.label)}*"]
    names = []
    if card.original_title and card.original_title != card.title:
        names.append(f"Original title: _{escape(card.original_title)}_")
    if card.alternative_titles:
        names.append("Also known as: " + escape(", ".join(card.alternative_titles[:5])))
    if names:
        lines.append(" · ".join(names))
    facts = []
    if card.directors:
        facts.append("Directed by " + escape(", ".join(card.directors)))
    if card.runtime_minutes:
        facts.append(_runtime(card.runtime_minutes))
    for values in (card.genres, card.countries, card.languages):
        if values:
            facts.append(escape(", ".join(values)))
    if facts:
        lines.append(" · ".join(facts))
    if card.cast:
        more = " and others" if len(card.cast) > 6 else ""
        lines.append("With " + escape(", ".join(card.cast[:6])) + more)
    if card.community_rating is not None:
        lines.append(
            f"{stars(card.community_rating)} {card.community_rating:.1f} from "
            f"{_plural(card.rating_count, 'rating')} · {_plural(card.review_count, 'review')}"
        )
    elif card.review_count:
        lines.append(_plural(card.review_count, "review"))
    if card.next_showtime:
        lines.append("Next screening: " + _showtime_line(card.next_showtime))
    blocks = [_section(truncate("\n".join(lines), SECTION_TEXT_MAX))]
    if card.synopsis:
        blocks.extend(_section(c) for c in escaped_chunks(card.synopsis))
    blocks.append(_context(f"Film #{card.film_id}"))
    if card.actions:
        buttons = [action_button(a, f"film.{card.film_id}.{i}") for i, a in enumerate(card.actions)]
        blocks.append({"type": "actions", "elements": buttons[:ACTIONS_ELEMENTS_MAX]})
    return blocks


def action_button(action: Action, suffix: str) -> JsonBlock:
    """A follow-up the core offers, as a button; the answer replaces the message clicked on
    only when the core asks for that."""
    kind = ActionKind.PICK if action.opens == "replace" else ActionKind.OPEN
    button = _button(
        action.label, action_id(kind, suffix), encode_value(action.command, action.args)
    )
    if action.style != "secondary":  # Block Kit knows "primary" and "danger"; none is default
        button["style"] = action.style
    return button


def render_review(card: ReviewCard) -> list[JsonBlock]:
    film = escape(film_label(card.film_title, card.film_year))
    head = (
        f"*{escape(card.headline)}*\n"
        f"{stars(card.rating)} {card.rating:g}/5 · _{film}_ · by {escape(card.author)}"
    )
    blocks = [_section(truncate(head, SECTION_TEXT_MAX))]
    if card.spoiler and not card.spoiler_revealed:
        hidden = _section(":see_no_evil: _This review reveals the plot; its text is hidden._")
        if card.reveal is not None:
            hidden["accessory"] = action_button(card.reveal, f"review.{card.review_id}")
        blocks.append(hidden)
    else:
        if card.spoiler:
            blocks.append(_context(":warning: Spoilers below"))
        blocks.extend(_section(c) for c in escaped_chunks(card.body))
    published = slack_date(card.published_at, card.published_at.strftime("%Y-%m-%d %H:%M UTC"))
    edited = f" · edited (v{card.version})" if card.version > 1 else ""
    if card.version_shown:  # a moderator's card: what `review edit … version=` needs
        edited = f" · version {card.version} (an edit gives version={card.version})"
    blocks.append(_context(f"Review #{card.review_id} · {published}{edited}"))
    return blocks


def render_showtimes(block: ShowtimeList) -> list[JsonBlock]:
    lines = [_heading(core_text(block.heading))]
    if not block.items:
        lines.append("_No screenings._")
    lines.extend("• " + _showtime_line(item) for item in block.items)
    return [_section(text) for text in _pack(lines)]


def render_choices(block: Choices) -> list[JsonBlock]:
    blocks = [_section(truncate(escape(core_text(block.prompt)), SECTION_TEXT_MAX))]
    if len(block.options) > BUTTONS_MAX:
        # Option values are short (150): a long action is kept server-side (see actions.py).
        values = [encode_value(o.command, o.args, OPTION_VALUE_MAX) for o in block.options]
        for start in range(0, len(values), SELECT_OPTIONS_MAX):
            options = [
                {
                    "text": plain(o.label),
                    "value": v,
                    **({"description": plain(o.description)} if o.description else {}),
                }
                for o, v in zip(
                    block.options[start : start + SELECT_OPTIONS_MAX],
                    values[start : start + SELECT_OPTIONS_MAX],
                    strict=True,
                )
            ]
            select = {
                "type": "static_select",
                "action_id": action_id(ActionKind.PICK, f"select.{start}"),
                "placeholder": plain("Choose…"),
                "options": options,
            }
            blocks.append({"type": "actions", "elements": [select]})
        return blocks
    values = [encode_value(o.command, o.args) for o in block.options]
    buttons = [
        _button(o.label, action_id(ActionKind.PICK, i), v)
        for i, (o, v) in enumerate(zip(block.options, values, strict=True))
    ]
    for start in range(0, len(buttons), ACTIONS_ELEMENTS_MAX):
        blocks.append(
            {"type": "actions", "elements": buttons[start : start + ACTIONS_ELEMENTS_MAX]}
        )
    described = [
        f"*{escape(o.label)}*: {escape(o.description)}" for o in block.options if o.description
    ]
    blocks.extend(_context(text) for text in _pack(described, limit=2000))
    return blocks


def render_table(block: Table) -> list[JsonBlock]:
    heading = _section(_heading(core_text(block.heading)))
    if not block.rows:
        return [heading, _context("Nothing to show.")]
    rows = [tuple(truncate(c, TABLE_CELL_MAX) for c in block.columns)]
    rows += [tuple(truncate(str(c), TABLE_CELL_MAX) for c in row) for row in block.rows]
    widths = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in rows]
    fence = "```"
    packed = _pack([escape(line) for line in lines], limit=SECTION_TEXT_MAX - 2 * len(fence) - 2)
    return [heading, *(_section(f"{fence}\n{text}\n{fence}") for text in packed)]


def render_commands(block: CommandList) -> list[JsonBlock]:
    """Help, with each command as it is typed in Slack (`/review …`, `/marquee review add …`)."""
    lines = []
    for usage in block.commands:
        if needs_attachment(usage.name):
            # A file can't ride on a slash command's text: say where it can be given.
            lines.append(
                f"`marquee {escape(usage.name)} FILE` on the server (or attach the file on "
                f"Discord) — {escape(usage.description)}"
            )
            continue
        # The first parameter is typed bare, the others as name=value, as `textargs` reads them.
        params = " ".join(
            (f"<{n}>" if i == 0 else f"{n}=<{n}>") if required else f"[{n}=…]"
            for i, (n, required) in enumerate(usage.params)
        )
        typed = f"{typed_command(usage.name)} {params}".rstrip()
        lines.append(f"`{escape(typed)}` — {escape(usage.description)}")
    blocks = [_section(_heading(core_text(block.heading)))]
    blocks += [_section(text) for text in _pack(lines, limit=SECTION_TEXT_MAX)]
    if block.footer:
        blocks.append(_context(escape(block.footer)))
    return blocks


def needs_attachment(name: str) -> bool:
    spec = find_command(name)
    return spec is not None and any(p.kind is ParamKind.FILE and p.required for p in spec.params)


def render_paging(page: PageInfo) -> list[JsonBlock]:
    if page.page_count <= 1:
        return []
    buttons = []
    if page.page > 1:
        prev = encode_value(page.command, page.args_for(page.page - 1))
        buttons.append(_button("Previous", action_id(ActionKind.PAGE, "previous"), prev))
    if page.page < page.page_count:
        nxt = encode_value(page.command, page.args_for(page.page + 1))
        buttons.append(_button("Next", action_id(ActionKind.PAGE, "next"), nxt))
    blocks: list[JsonBlock] = [_context(f"Page {page.page} of {page.page_count}")]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


_RENDERERS: dict[type, Callable[[Any], list[JsonBlock]]] = {
    Text: render_text,
    Notice: render_notice,
    ErrorNotice: render_error,
    FilmCard: render_film,
    ReviewCard: render_review,
    ShowtimeList: render_showtimes,
    Choices: render_choices,
    Table: render_table,
    CommandList: render_commands,
}


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _showtime_line(item: ShowtimeItem) -> str:
    film = escape(film_label(item.film_title, item.film_year))
    when = slack_date(item.starts_at, f"{item.local_time} ({item.timezone})")
    place = escape(", ".join(p for p in (item.cinema, item.city) if p))
    line = f"{when} · *{film}* · {place}"
    if item.cancelled:
        line = f"~{line}~ *cancelled*"
    extra = [f"{escape(item.local_time)} local time"]
    extra += [escape(x) for x in (item.event, item.format) if x]
    url = safe_url(item.ticket_url)
    if url and not item.cancelled:
        extra.append(f"<{url}|Tickets>")
    if item.demo:
        extra.append("_demo listing_")
    extra.append(f"#{item.showtime_id}")
    return f"{line}\n      " + " · ".join(extra)


def _pack(lines: Iterable[str], limit: int = SECTION_TEXT_MAX) -> Iterator[str]:
    """Join lines into texts of at most `limit` characters (fewer blocks, same content)."""
    current = ""
    for line in lines:
        line = truncate(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            yield current
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        yield current


def _fit(body: list[JsonBlock], tail: list[JsonBlock]) -> list[JsonBlock]:
    """Keep a message within Slack's 50 blocks; the paging controls always survive."""
    if len(body) + len(tail) <= MESSAGE_BLOCKS_MAX:
        return body + tail
    keep = MESSAGE_BLOCKS_MAX - len(tail) - 1
    note = _context(f"_{len(body) - keep} more blocks not shown; narrow the request._")
    return body[:keep] + [note] + tail


def _unique_action_ids(blocks: list[JsonBlock]) -> list[JsonBlock]:
    """Slack refuses a message with one action id twice (two questions in one reply both have
    `marquee.pick.0`): later ones get a suffix, which `decode_action` does not read."""
    seen: set[str] = set()
    for block in blocks:
        elements = list(block.get("elements", [])) if block.get("type") == "actions" else []
        if "accessory" in block:
            elements.append(block["accessory"])
        for element in elements:
            aid = element.get("action_id")
            if not aid:
                continue
            unique, n = aid, 1
            while unique in seen:
                n += 1
                unique = f"{aid}.{n}"
            element["action_id"] = unique
            seen.add(unique)
    return blocks


def _heading(text: str) -> str:
    """A bold first line; the core's headings quote what was asked, so they are cut to fit."""
    return f"*{truncate(escape(text), 300)}*"


def _section(text: str) -> JsonBlock:
    return {"type": "section", "text": mrkdwn(text)}


def _context(text: str) -> JsonBlock:
    return {"type": "context", "elements": [mrkdwn(truncate(text, SECTION_TEXT_MAX))]}


def _button(label: str, action: str, value: str) -> JsonBlock:
    return {"type": "button", "text": plain(label), "action_id": action, "value": value}


def _is_card(block: Block) -> bool:
    return isinstance(block, FilmCard | ReviewCard)


def _runtime(minutes: int) -> str:
    hours, mins = divmod(minutes, 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
