"""Moderator commands on reviews: review add, review edit, review remove. Each write records an
audit entry in the same transaction."""

from __future__ import annotations

from bot import audit
from bot.args import float_arg, int_arg
from bot.cards import film_label, review_card
from bot.context import Context, UserError
from bot.film_lookup import resolve_film
from bot.types import ArgValue, Created, Notice, Reply
from storage import review_queries
from storage.limits import AUTHOR_NAME_MAX, shorten
from storage.models_catalogue import Review


def review_add(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    film = resolve_film(ctx, str(args["film"]), arg="film")
    review = Review(
        film_id=film.id,
        # A typed author= is checked by the registry; a platform display name is shortened.
        author_name=str(args.get("author") or shorten(ctx.actor.display_name, AUTHOR_NAME_MAX)),
        author_platform=ctx.actor.platform,
        author_user_id=ctx.actor.user_id,
        rating_halves=round(float_arg(args, "rating") * 2),
        headline=str(args["headline"]),
        body=str(args["body"]),
        spoiler=bool(args.get("spoiler")),
        published_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(review)
    ctx.session.flush()
    audit.record(
        ctx.session,
        ctx.actor,
        ctx.now,
        "review add",
        "review",
        review.id,
        None,
        audit.snapshot_review(review),
    )
    return Reply(
        blocks=(
            Notice(f"Review #{review.id} of {film_label(film)} added."),
            review_card(review, film, reveal=True, moderator=True),
        ),
        created=Created("review", review.id),
    )


def review_edit(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    review = _review(ctx, args)
    changes = {k: args[k] for k in ("rating", "headline", "body", "spoiler") if k in args}
    if not changes:
        raise UserError("Say what to change: rating, headline, body or spoiler.")
    expected = args.get("version")
    if expected is not None and expected != review.version:
        raise UserError(
            f"Review #{review.id} was edited by someone else since version {expected} "
            f"(it is at version {review.version}). Look at it again; nothing was changed."
        )
    before = audit.snapshot_review(review)
    if "rating" in changes:
        review.rating_halves = round(float_arg(changes, "rating") * 2)
    if "headline" in changes:
        review.headline = str(changes["headline"])
    if "body" in changes:
        review.body = str(changes["body"])
    if "spoiler" in changes:
        review.spoiler = bool(changes["spoiler"])
    review.updated_at = ctx.now
    ctx.session.flush()  # bumps review.version, and fails if a concurrent edit got there first
    audit.record(
        ctx.session,
        ctx.actor,
        ctx.now,
        "review edit",
        "review",
        review.id,
        before,
        audit.snapshot_review(review),
    )
    film = review.film
    return Reply(
        blocks=(
            Notice(f"Review #{review.id} updated (now version {review.version})."),
            review_card(review, film, reveal=True, moderator=True),
        )
    )


def review_remove(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    review = _review(ctx, args)
    before = audit.snapshot_review(review)
    label = film_label(review.film)
    ctx.session.delete(review)
    audit.record(
        ctx.session, ctx.actor, ctx.now, "review remove", "review", review.id, before, None
    )
    return Reply.notice(f"Review #{review.id} of {label} removed.")


def _review(ctx: Context, args: dict[str, ArgValue]) -> Review:
    review = review_queries.get_review(ctx.session, int_arg(args, "review"))
    if review is None:
        raise UserError(f"There is no review #{args['review']}.")
    return review
