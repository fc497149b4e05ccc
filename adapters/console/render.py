"""Plain-text rendering of the core's replies, for the terminal and for scripts."""

from __future__ import annotations

import textwrap

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
    ShowtimeList,
    Table,
    Text,
)

WIDTH = 88


def command_line(command: str, args: dict[str, ArgValue]) -> str:
    """The console command that performs `command` with `args` (used for choices and paging)."""
    parts = [f"/{command}"]
    for i, (name, value) in enumerate(args.items()):
        text = "yes" if value is True else "no" if value is False else str(value)
        if i == 0 and name not in ("page",):
            parts.append(text)
        else:
            parts.append(f'{name}="{text}"' if " " in text else f"{name}={text}")
    return " ".join(parts)


def stars(rating: float) -> str:
    return "★" * int(rating) + ("½" if rating % 1 else "")


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
        return block.text
    if isinstance(block, Notice):
        return f"✔ {block.text}"
    if isinstance(block, ErrorNotice):
        return f"✖ {block.text}"
    if isinstance(block, FilmCard):
        return _film(block)
    if isinstance(block, ReviewCard):
        return _review(block)
    if isinstance(block, ShowtimeList):
        lines = [block.heading]
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
        lines = [block.prompt]
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
        lines = [block.heading, fmt.format(*block.columns)]
        lines += [fmt.format(*row) for row in block.rows]
        return "\n".join(line.rstrip() for line in lines)
    if isinstance(block, CommandList):
        lines = [block.heading, ""]
        for usage in block.commands:
            params = " ".join(
                f"<{name}>" if required else f"[{name}=…]" for name, required in usage.params
            )
            lines.append(f"/{usage.name} {params}".rstrip() + f" — {usage.description}")
        if block.footer:
            lines += ["", block.footer]
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
    return "\n".join(lines)


def _review(card: ReviewCard) -> str:
    year = f" ({card.film_year})" if card.film_year else ""
    head = f"{stars(card.rating)} {card.rating:g}/5  {card.headline}"
    byline = (
        f"{card.film_title}{year} — review #{card.review_id} by {card.author}, "
        f"{card.published_at:%d %b %Y}"
    )
    if card.spoiler and not card.spoiler_revealed:
        body = (
            "[Contains spoilers — hidden. To read it: "
            f"{command_line('review', {'title': f'#{card.film_id}', 'spoilers': True})}]"
        )
    else:
        body = "\n".join(textwrap.fill(p, WIDTH) for p in card.body.splitlines() if p.strip())
        if card.spoiler:
            body = "[Spoilers]\n" + body
    return f"{head}\n{byline}\n{body}"
