"""The member's feedback on single films: rate, not interested and its undo, interested."""

from __future__ import annotations

import re

from bot.args import ArgError, parse_rating
from bot.cards import film_label
from bot.context import Context, UserError
from bot.film_lookup import resolve_film
from bot.handlers.recommend_listing import stars_text
from bot.types import ArgValue, Notice, Reply
from storage import recommend_repo

_TRAILING_SCORE = re.compile(r"^(?P<title>.*\S)\s+(?P<score>\d+(?:[.,]\d+)?|★+)(?:\s*/\s*5)?$")


def rate(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    title = str(args["title"]).strip()
    score = args.get("score")
    if score is None:
        # One line of text ("rate Second Victims 4.5"): the score is the last word.
        match = _TRAILING_SCORE.match(title)
        if not match:
            raise UserError(
                "Give a score from 0.5 to 5 after the title, e.g. `rate Second Victims 4.5`."
            )
        try:
            score = parse_rating(match["score"])
        except ArgError as exc:
            raise UserError(
                f"{exc} (For a title ending in a number, give the score as score=….)"
            ) from exc
        title = match["title"]
    film = resolve_film(ctx, title, arg="title", keep={"score": score})
    assert isinstance(score, int | float)  # coerce_args or parse_rating made it a number
    halves = round(float(score) * 2)
    actor = ctx.actor
    previous = recommend_repo.set_rating(
        ctx.session, actor.platform, actor.user_id, film.id, halves, ctx.now
    )
    text = f"You rated {film_label(film)} {stars_text(halves / 2)}."
    if previous is not None and previous != halves:
        text += f" (It was {stars_text(previous / 2)}.)"
    return Reply(blocks=(Notice(text + " Your recommendations use it now."),), ephemeral=True)


def not_interested(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    film = resolve_film(ctx, str(args["title"]), arg="title")
    actor = ctx.actor
    added = recommend_repo.add_not_interested(
        ctx.session, actor.platform, actor.user_id, film.id, ctx.now
    )
    text = (
        f"Got it: {film_label(film)} won't be recommended to you again."
        if added
        else f"{film_label(film)} is already hidden from your recommendations."
    )
    text += f" To undo: `interested #{film.id}`."
    return Reply(blocks=(Notice(text),), ephemeral=True)


def interested(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    """The undo of `not interested`."""
    film = resolve_film(ctx, str(args["title"]), arg="title")
    actor = ctx.actor
    removed = recommend_repo.remove_not_interested(
        ctx.session, actor.platform, actor.user_id, film.id
    )
    text = (
        f"Done: {film_label(film)} can be recommended to you again."
        if removed
        else f"{film_label(film)} wasn't hidden from your recommendations; nothing to undo."
    )
    return Reply(blocks=(Notice(text),), ephemeral=True)
