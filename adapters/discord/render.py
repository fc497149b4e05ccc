"""Turn the core's `Reply` into a Discord message: content, embeds and component rows.

Pure functions: no network, no client. Embeds are built here; buttons and menus are described by
the spec values of `buttons.py` and turned into discord.py view items by
`components.build_view`. A block type this module does not know raises `TypeError`: a new
block must be given a Discord rendering, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from adapters.discord import markup
from adapters.discord.actions import ActionCodec
from adapters.discord.buttons import (
    ROWS_MAX,
    SELECT_OPTIONS_MAX,
    ComponentSpec,
    action_buttons,
    choices_select,
    paging_buttons,
)
from adapters.discord.markup import escape, escape_prose
from bot.args import ArgError, parse_bool
from bot.registry import CommandSpec, ParamKind, find_command
from bot.textargs import ArgSyntaxError, parse_args, rewrite_mentions
from bot.types import (
    ArgValue,
    Block,
    Choices,
    CommandList,
    ErrorNotice,
    FilmCard,
    Notice,
    Reply,
    ReviewCard,
    ShowtimeItem,
    ShowtimeList,
    Table,
    Text,
    film_label,
)

# Discord's limits (https://discord.com/developers/docs/resources/message#create-message).
CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
EMBEDS_TOTAL_MAX = 6000

# A description is never cut below this when fitting the 6,000-character total.
_DESCRIPTION_FLOOR = 200
# Nor a field value below this.
_FIELD_FLOOR = 60
ELLIPSIS = "…"

COLOUR_FILM = discord.Colour(0xE5A00D)
COLOUR_REVIEW = discord.Colour(0x5865F2)
COLOUR_SHOWTIMES = discord.Colour(0x3BA55D)
COLOUR_TABLE = discord.Colour(0x99AAB5)
COLOUR_ERROR = discord.Colour(0xED4245)


@dataclass(frozen=True)
class RenderedMessage:
    content: str | None
    embeds: tuple[discord.Embed, ...]
    rows: tuple[tuple[ComponentSpec, ...], ...]
    ephemeral: bool
    error: bool = False

    def components(self) -> list[ComponentSpec]:
        return [c for row in self.rows for c in row]


def clip(text: str, limit: int) -> str:
    # Escaped text may be cut: never between a backslash and what it escapes.
    return markup.clip(text, limit)


def discord_timestamp(item: ShowtimeItem, style: str = "f") -> str:
    """Discord's timestamp markup: each reader sees the time in their own zone."""
    return f"<t:{int(item.starts_at.timestamp())}:{style}>"


def slash_line(command: str, args: dict[str, ArgValue]) -> str:
    """How a command with arguments is typed on Discord: `/review title:#1 spoilers:True`."""
    spec = find_command(command)
    slug = spec.slug if spec else "-".join(command.split())
    order = [p.name for p in spec.params if p.name in args] if spec else []
    order += [name for name in args if name not in order]
    options = " ".join(f"{name}:{args[name]}" for name in order if args[name] is not None)
    return f"/{slug} {options}".rstrip()


def _typed_mention(spec: CommandSpec, rest: str) -> str:
    try:
        args = parse_args(spec, rest)
        for name, value in args.items():
            param = spec.param(name)
            if param is not None and param.kind is ParamKind.BOOL:
                args[name] = parse_bool(name, value)  # a boolean option: True or False
    except (ArgSyntaxError, ArgError):
        return f"/{spec.slug} {rest}".rstrip()
    return slash_line(spec.name, args)


def core_text(text: str) -> str:
    """The core's text with each command it mentions as a Discord slash command."""
    return rewrite_mentions(text, _typed_mention)


def stars(rating: float) -> str:
    whole = int(rating)
    half = "½" if rating - whole >= 0.5 else ""
    return "★" * whole + half + f" {rating:g}/5"


# ---------------------------------------------------------------------------------------------
# Embeds. A description is kept as (before, text, after) so the 6,000-character fit can shorten
# the text without cutting through markup such as the closing `||` of a spoiler.
# ---------------------------------------------------------------------------------------------


@dataclass
class _EmbedDraft:
    embed: discord.Embed
    before: str = ""
    text: str = ""
    after: str = ""

    def description_limit(self) -> int:
        return EMBED_DESCRIPTION_MAX - len(self.before) - len(self.after)

    def build(self, text_limit: int | None = None) -> discord.Embed:
        limit = self.description_limit() if text_limit is None else text_limit
        body = clip(self.text, max(1, limit)) if self.text else ""
        description = f"{self.before}{body}{self.after}"
        self.embed.description = description or None
        return self.embed


def _field(embed: discord.Embed, name: str, value: str, *, inline: bool = True) -> None:
    if value and len(embed.fields) < EMBED_FIELDS_MAX:
        embed.add_field(
            name=clip(name, FIELD_NAME_MAX), value=clip(value, FIELD_VALUE_MAX), inline=inline
        )


def _names(names: tuple[str, ...], limit: int = 8) -> str:
    shown = ", ".join(escape(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _showtime_line(item: ShowtimeItem, *, with_film: bool = True) -> str:
    label = film_label(item.film_title, item.film_year)
    parts = [f"**{escape(label)}**"] if with_film else []
    parts.append(f"{escape(item.cinema)}, {escape(item.city)}")
    when = f"{discord_timestamp(item)} ({escape(item.local_time)} local)"
    extras = [escape(e) for e in (item.event, item.format) if e]
    if item.demo:
        extras.append("demo")
    tickets = markup.link("tickets", item.ticket_url)
    if tickets:
        extras.append(tickets)
    line = " · ".join(parts) + f"\n{when}" + (" · " + " · ".join(extras) if extras else "")
    line += f" · `#{item.showtime_id}`"
    if item.cancelled:
        line = f"~~{line}~~ **cancelled**"
    return line


def film_embed(card: FilmCard) -> _EmbedDraft:
    embed = discord.Embed(title=clip(escape(card.label), EMBED_TITLE_MAX), colour=COLOUR_FILM)
    _field(embed, "Directed by", _names(card.directors))
    _field(embed, "Cast", _names(card.cast))
    _field(embed, "Genres", _names(card.genres, 12))
    _field(embed, "Countries", _names(card.countries, 12))
    _field(embed, "Languages", _names(card.languages, 12))
    if card.runtime_minutes:
        _field(embed, "Runtime", f"{card.runtime_minutes} min")
    if card.community_rating is not None:
        counts = f"{card.rating_count} ratings, {card.review_count} reviews"
        _field(embed, "Community rating", f"{stars(card.community_rating)} ({counts})")
    elif card.review_count:
        _field(embed, "Reviews", str(card.review_count))
    if card.original_title:
        _field(embed, "Original title", escape(card.original_title))
    if card.alternative_titles:
        _field(embed, "Also known as", _names(card.alternative_titles, 5))
    if card.next_showtime is not None:
        _field(
            embed,
            "Next screening",
            _showtime_line(card.next_showtime, with_film=False),
            inline=False,
        )
    embed.set_footer(text=f"Film #{card.film_id}")
    return _EmbedDraft(embed, text=escape(card.synopsis or ""))


def review_embed(card: ReviewCard) -> _EmbedDraft:
    hidden = card.spoiler and not card.spoiler_revealed
    title = ("Spoilers · " if card.spoiler else "") + escape(card.headline)
    embed = discord.Embed(
        title=clip(title, EMBED_TITLE_MAX), colour=COLOUR_REVIEW, timestamp=card.published_at
    )
    # An embed's author line shows no markdown: plain text, only cut to fit.
    embed.set_author(name=clip(card.author, AUTHOR_MAX))
    film = film_label(card.film_title, card.film_year)
    _field(embed, "Film", escape(film))
    _field(embed, "Rating", stars(card.rating))
    shown = card.version_shown or card.version > 1
    version = f" · version {card.version}" if shown else ""
    if card.version_shown:  # a moderator's card: what /review-edit's version option needs
        version += f" (an edit gives version: {card.version})"
    embed.set_footer(text=f"Review #{card.review_id}{version}")
    if hidden:
        # Escaping covers what could end `||spoiler||` early: a `|` in the text, or a final
        # backslash that would escape the closing bars (clip never leaves half an escape).
        return _EmbedDraft(embed, before="||", text=escape(card.body), after="||")
    return _EmbedDraft(embed, text=escape(card.body))


def showtimes_embed(block: ShowtimeList) -> _EmbedDraft:
    embed = discord.Embed(
        title=clip(escape(core_text(block.heading)), EMBED_TITLE_MAX), colour=COLOUR_SHOWTIMES
    )
    if not block.items:
        return _EmbedDraft(embed, text="No screenings.")
    lines: list[str] = []
    used = 0
    for n, item in enumerate(block.items):
        line = _showtime_line(item)
        more = f"\n…and {len(block.items) - n} more"
        if used + len(line) + 2 + len(more) > EMBED_DESCRIPTION_MAX:
            lines.append(more.strip())
            break
        lines.append(line)
        used += len(line) + 2
    # Lines are cut whole above; the fit below may still shorten the text at the end.
    return _EmbedDraft(embed, text="\n\n".join(lines))


def commands_embed(block: CommandList) -> _EmbedDraft:
    """Help, with each command as it is typed on Discord: `/review-add film: rating: …`."""
    embed = discord.Embed(
        title=clip(escape(core_text(block.heading)), EMBED_TITLE_MAX), colour=COLOUR_TABLE
    )
    lines = []
    for usage in block.commands:
        spec = find_command(usage.name)
        slug = spec.slug if spec else "-".join(usage.name.split())
        options = " ".join(f"{n}:" if required else f"[{n}:]" for n, required in usage.params)
        lines.append(f"`/{slug}` {options} — {escape(usage.description)}".replace("  ", " "))
    if block.footer:
        lines += ["", escape_prose(block.footer)]
    return _EmbedDraft(embed, text="\n".join(lines))


def table_embed(block: Table) -> _EmbedDraft:
    embed = discord.Embed(
        title=clip(escape(core_text(block.heading)), EMBED_TITLE_MAX), colour=COLOUR_TABLE
    )

    def cell(value: str) -> str:
        # Backticks would close the code block; newlines would break the grid.
        return clip(value.replace("`", "ˋ").replace("\n", " "), 40)

    rows = [tuple(cell(c) for c in block.columns)] + [
        tuple(cell(c) for c in row) for row in block.rows
    ]
    widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(len(block.columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if not block.rows:
        lines.append("(none)")
    # Fit whole lines into the description, leaving room for the fences and a "more" note.
    room = EMBED_DESCRIPTION_MAX - len("```\n\n```") - 40
    kept: list[str] = []
    for line in lines:
        if sum(len(k) + 1 for k in kept) + len(line) > room:
            break
        kept.append(line)
    dropped = len(lines) - len(kept)
    after = "\n```" + (f"\n…and {dropped} more rows" if dropped else "")
    return _EmbedDraft(embed, before="```\n", text="\n".join(kept), after=after)


# ---------------------------------------------------------------------------------------------
# The whole message
# ---------------------------------------------------------------------------------------------


def render_reply(reply: Reply, codec: ActionCodec) -> RenderedMessage:
    texts: list[str] = []
    drafts: list[_EmbedDraft] = []
    rows: list[tuple[ComponentSpec, ...]] = []
    for block in reply.blocks:
        _render_block(block, texts, drafts, rows, codec, paged=reply.page is not None)
    buttons = action_buttons(reply, codec)
    if buttons:
        rows.append(buttons)
    if reply.page is not None:
        paging = paging_buttons(reply.page, codec)
        if paging:
            rows.append(paging)

    embeds, left_out = _fit_embeds(drafts)
    if left_out:
        texts.append(f"({left_out} more not shown)")
    if len(rows) > ROWS_MAX:
        # Discord refuses a sixth row: keep the first questions and the paging row, and say so.
        rows = rows[: ROWS_MAX - 1] + rows[-1:]
        texts.append("(Some menus are not shown; narrow the request.)")
    content = clip("\n\n".join(t for t in texts if t.strip()), CONTENT_MAX) or None
    if content is None and not embeds and not rows:
        content = "Done."  # Discord refuses an empty message
    return RenderedMessage(
        content=content,
        embeds=tuple(embeds),
        rows=tuple(rows),
        ephemeral=reply.ephemeral or reply.is_error,
        error=reply.is_error,
    )


def _render_block(
    block: Block,
    texts: list[str],
    drafts: list[_EmbedDraft],
    rows: list[tuple[ComponentSpec, ...]],
    codec: ActionCodec,
    *,
    paged: bool,
) -> None:
    match block:
        case Text(text=text) | Notice(text=text):
            texts.append(escape_prose(core_text(text)))
        case ErrorNotice(text=text):
            texts.append(f"⚠️ {escape_prose(core_text(text))}")
        case FilmCard():
            drafts.append(film_embed(block))
        case ReviewCard():
            drafts.append(review_embed(block))
        case ShowtimeList():
            drafts.append(showtimes_embed(block))
        case Table():
            drafts.append(table_embed(block))
        case CommandList():
            drafts.append(commands_embed(block))
        case Choices():
            prompt = escape_prose(core_text(block.prompt))
            hidden = len(block.options) - SELECT_OPTIONS_MAX
            if hidden > 0:
                prompt += (
                    f"\n(The menu shows the first {SELECT_OPTIONS_MAX}; {hidden} more left out.)"
                )
            texts.append(prompt)
            rows.append((choices_select(block, codec, len(rows), paged=paged),))
        case _:
            raise TypeError(f"the Discord adapter cannot render a {type(block).__name__} block")


def _fit_embeds(drafts: list[_EmbedDraft]) -> tuple[list[discord.Embed], int]:
    """Keep at most 10 embeds and 6,000 characters in all, shortening the longest texts first."""
    left_out = max(0, len(drafts) - EMBEDS_MAX)
    drafts = drafts[:EMBEDS_MAX]
    limits = [min(len(d.text), d.description_limit()) for d in drafts]
    embeds = [d.build(limit) for d, limit in zip(drafts, limits, strict=True)]

    def total() -> int:
        return sum(len(e) for e in embeds)

    while total() > EMBEDS_TOTAL_MAX:
        # Shorten the longest text that can still give something up.
        candidates = [i for i, limit in enumerate(limits) if limit > _DESCRIPTION_FLOOR]
        if not candidates:
            break
        i = max(candidates, key=lambda k: limits[k])
        limits[i] = max(_DESCRIPTION_FLOOR, limits[i] - (total() - EMBEDS_TOTAL_MAX))
        embeds[i] = drafts[i].build(limits[i])
    while total() > EMBEDS_TOTAL_MAX and _shorten_longest_field(embeds, total()):
        # Descriptions are down to their floor: shorten the longest field values next
        # (a film card's cast and genres can fill 6,000 characters on their own).
        pass
    while embeds and total() > EMBEDS_TOTAL_MAX:
        # Titles and fields alone are too much: leave whole embeds out, and say so.
        embeds.pop()
        left_out += 1
    return embeds, left_out


def _shorten_longest_field(embeds: list[discord.Embed], total: int) -> bool:
    """Cut the longest field value above the floor by the excess; False if none is left."""
    fields = [(len(f.value or ""), e, j) for e in embeds for j, f in enumerate(e.fields)]
    fields = [f for f in fields if f[0] > _FIELD_FLOOR]
    if not fields:
        return False
    length, embed, j = max(fields, key=lambda f: f[0])
    field = embed.fields[j]
    limit = max(_FIELD_FLOOR, length - (total - EMBEDS_TOTAL_MAX))
    embed.set_field_at(
        j, name=field.name or "", value=clip(field.value or "", limit), inline=bool(field.inline)
    )
    return True
