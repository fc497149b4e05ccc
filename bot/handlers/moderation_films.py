"""Moderator commands on the catalogue: film add, film edit, film remove. Each write records an
audit entry in the same transaction."""

from __future__ import annotations

from typing import NoReturn

from bot import audit
from bot.args import int_arg
from bot.cards import film_card, film_label
from bot.catalogue import FilmFields, apply_fields, create_film, fields_of
from bot.context import Context, UserError
from bot.film_lookup import resolve_film
from bot.handlers.moderation_confirm import refuse_unless_confirmed
from bot.normalize import normalize, split_list
from bot.types import ArgValue, Created, Notice, Reply
from bot.types import film_label as name_film
from storage import film_queries

YEAR_MIN, YEAR_MAX = 1870, 2100


def film_add(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    fields = _film_fields(FilmFields(title=""), args)
    existing = film_queries.films_with_norm(ctx.session, normalize(fields.title))
    if existing and not args.get("again"):
        _refuse_duplicate_film(ctx, args, fields, existing)
    film = create_film(ctx.session, fields, ctx.now)
    ctx.after_commit.append(ctx.resolver.mark_stale)
    audit.record(
        ctx.session,
        ctx.actor,
        ctx.now,
        "film add",
        "film",
        film.id,
        None,
        audit.snapshot_film(film),
    )
    return Reply(
        blocks=(
            Notice(f"Added {film_label(film)} as #{film.id}."),
            film_card(ctx.session, film, None),
        ),
        created=Created("film", film.id),
    )


def _refuse_duplicate_film(
    ctx: Context, args: dict[str, ArgValue], fields: FilmFields, existing: list[int]
) -> NoReturn:
    """A second film under a title makes every lookup of that title ask which one: ask first."""
    films = film_queries.get_films(ctx.session, existing)
    found = [films[f] for f in existing if f in films]
    norm = normalize(fields.title)
    named = []
    for f in found[:3]:
        aka = next((t.title for t in f.titles if t.norm == norm and t.kind != "main"), None)
        named.append(f"{film_label(f)} (#{f.id})" + (f", also called {aka}" if aka else ""))
    more = f" and {len(found) - 3} more" if len(found) > 3 else ""
    new = name_film(fields.title, fields.year)
    same_year = [f for f in found if fields.year is not None and f.year == fields.year]
    if same_year:
        message = f"{new} is already in the catalogue as #{same_year[0].id}."
    else:
        message = (
            f"There is already {'; '.join(named)}{more}. Another film called "
            f"“{fields.title}” would make every search for that title ask which one."
        )
    refuse_unless_confirmed(ctx, args, "again", message)


def film_edit(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    film = resolve_film(ctx, str(args["film"]), arg="film", related=True)
    changes = {k: v for k, v in args.items() if k != "film"}
    if not changes:
        raise UserError("Say what to change, e.g. year=2025 or genres=drama, thriller.")
    before = audit.snapshot_film(film)
    apply_fields(ctx.session, film, _film_fields(fields_of(film), changes), ctx.now)
    ctx.session.refresh(film)
    after = audit.snapshot_film(film)
    audit.record(ctx.session, ctx.actor, ctx.now, "film edit", "film", film.id, before, after)
    if (
        before["title"] != after["title"]
        or before["alt_titles"] != after["alt_titles"]
        or (before["original_title"] != after["original_title"])
    ):
        film_id = film.id
        ctx.after_commit.append(lambda: ctx.resolver.forget_film(film_id))
        ctx.after_commit.append(ctx.resolver.mark_stale)
    return Reply(
        blocks=(Notice(f"Updated {film_label(film)}."), film_card(ctx.session, film, None))
    )


def film_remove(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    film = resolve_film(ctx, str(args["film"]), arg="film", related=True)
    rows = film_queries.film_rows(ctx.session, film.id)
    upcoming = [s for s in rows.showtimes if s.starts_at > ctx.now and not s.cancelled]
    losses = _film_losses(rows, len(upcoming))
    label = f"{film_label(film)} (#{film.id})"
    # Anything that names the film (a review, a member's rating, a screening, even a past one)
    # is lost with it: only a film nothing names goes without confirmation.
    if losses and not args.get("confirm"):
        refuse_unless_confirmed(
            ctx,
            args,
            "confirm",
            f"Removing {label} also deletes {_and(losses)}.",
        )
    before = {
        "id": film.id,
        **audit.snapshot_film(film),
        # What goes with the film, so the entry can say exactly what was lost.
        "reviews": [{"id": r.id, **audit.snapshot_review(r)} for r in rows.reviews],
        "showtimes": [{"id": s.id, **audit.snapshot_showtime(s)} for s in rows.showtimes],
        "member_ratings": rows.member_ratings,
        "watchlist_entries": rows.watchlist_entries,
        "not_interested": rows.not_interested,
        "subscriptions": rows.subscription_ids,
    }
    film_id = film.id
    film_queries.delete_film(ctx.session, film, rows)
    audit.record(ctx.session, ctx.actor, ctx.now, "film remove", "film", film_id, before, None)
    ctx.after_commit.append(lambda: ctx.resolver.forget_film(film_id))
    ctx.after_commit.append(ctx.resolver.mark_stale)
    text = f"Removed {label} from the catalogue"
    text += f", with {_and(losses)}." if losses else "; nothing else named it."
    if upcoming:
        # The screenings go with the film, so there is nothing left to send a cancellation for.
        text += " Its upcoming screenings are gone without cancellation alerts."
    return Reply.notice(text)


def _film_losses(rows: film_queries.FilmRows, upcoming: int) -> list[str]:
    def ids(items: list[int]) -> str:
        shown = ", ".join(f"#{i}" for i in items[:10])
        return shown + (f" and {len(items) - 10} more" if len(items) > 10 else "")

    out = []
    if rows.reviews:
        out.append(f"{_n(len(rows.reviews), 'review')} ({ids([r.id for r in rows.reviews])})")
    if rows.showtimes:
        when = f"{upcoming} upcoming" if upcoming else "none upcoming"
        shown = ids([s.id for s in rows.showtimes])
        out.append(f"{_n(len(rows.showtimes), 'screening')} ({shown}; {when})")
    if rows.subscription_ids:
        subs = _n(len(rows.subscription_ids), "channel alert subscription")
        out.append(f"{subs} to it ({ids(rows.subscription_ids)})")
    for count, what in (
        (rows.member_ratings, "member rating"),
        (rows.watchlist_entries, "watchlist entry"),
        (rows.not_interested, "“not interested” mark"),
    ):
        if count:
            out.append(_n(count, what))
    return out


def _n(count: int, noun: str) -> str:
    if count == 1:
        return f"1 {noun}"
    plural = noun[:-1] + "ies" if noun.endswith("entry") else noun + "s"
    return f"{count} {plural}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _film_fields(base: FilmFields, args: dict[str, ArgValue]) -> FilmFields:
    if "title" in args:
        if not normalize(str(args["title"])):
            raise UserError("A title needs at least one letter or digit.")
        base.title = str(args["title"])
    if "year" in args:
        year = int_arg(args, "year")
        if not YEAR_MIN <= year <= YEAR_MAX:
            raise UserError(f"{year} is not a plausible release year ({YEAR_MIN}–{YEAR_MAX}).")
        base.year = year
    if "runtime" in args:
        runtime = int_arg(args, "runtime")
        if not 1 <= runtime <= 1500:
            raise UserError(f"A runtime of {runtime} minutes is out of range (1–1500).")
        base.runtime_minutes = runtime
    for name in ("directors", "cast", "genres", "countries", "languages"):
        if name in args:
            setattr(base, name, split_list(str(args[name])))
    if "alt_titles" in args:
        base.alt_titles = split_list(str(args["alt_titles"]), "|")
    if "original_title" in args:
        base.original_title = str(args["original_title"]) or None
    if "synopsis" in args:
        base.synopsis = str(args["synopsis"]) or None
    return base
