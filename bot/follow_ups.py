"""The follow-ups a reply offers, decided here once so every platform offers the same ones.

A hidden spoiler review offers to show its text; a film card with reviews offers to list them.
Each is an `Action` naming a registry command and its arguments, which adapters render as a
button or as a line to type. The film is named as `refer` says (see
`film_lookup.film_reference`): by a label that types back to the same film, else by number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.types import Action, ArgValue, Block, FilmCard, Reply, ReviewCard

REVIEWS = "review"  # the command that lists a film's reviews

# (film id, title, year) -> how an offered command names the film
FilmReference = Callable[[int, str, int | None], str]


def by_number(film_id: int, _title: str, _year: int | None) -> str:
    return f"#{film_id}"


def with_follow_ups(reply: Reply, refer: FilmReference = by_number) -> Reply:
    """`reply` with the follow-ups of its cards filled in."""
    # Revealing keeps the reader on the page of the listing they are reading.
    page = reply.page.page if reply.page is not None and reply.page.command == REVIEWS else None
    blocks = tuple(_offer(block, page, refer) for block in reply.blocks)
    if all(new is old for new, old in zip(blocks, reply.blocks, strict=True)):
        return reply
    return replace(reply, blocks=blocks)


def reveal_spoilers(card: ReviewCard, page: int | None, refer: FilmReference) -> Action:
    """The listing of the card's film with spoilers shown, on `page`; only the asker sees it."""
    title = refer(card.film_id, card.film_title, card.film_year)
    args: dict[str, ArgValue] = {"title": title, "spoilers": True}
    if page is not None and page > 1:
        args["page"] = page
    return Action("Show spoilers", REVIEWS, args, opens="private")


def list_reviews(card: FilmCard, refer: FilmReference) -> Action:
    title = refer(card.film_id, card.title, card.year)
    return Action("Reviews", REVIEWS, {"title": title}, opens="private")


def _offer(block: Block, page: int | None, refer: FilmReference) -> Block:
    if isinstance(block, ReviewCard):
        hidden = block.spoiler and not block.spoiler_revealed
        if hidden and block.reveal is None:
            return replace(block, reveal=reveal_spoilers(block, page, refer))
    elif isinstance(block, FilmCard) and block.review_count and not block.actions:
        return replace(block, actions=(list_reviews(block, refer),))
    return block
