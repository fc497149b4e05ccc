"""Moderator commands. Each write records an audit entry in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NoReturn

from bot import audit
from bot.args import float_arg, int_arg
from bot.cards import film_card, film_label, review_card, showtime_item
from bot.catalogue import FilmFields, apply_fields, create_film, fields_of
from bot.context import Context, UserError
from bot.film_lookup import resolve_film
from bot.links import is_web_url
from bot.normalize import normalize, split_list
from bot.paging import page_info, page_window
from bot.places import one_cinema
from bot.textargs import command_line
from bot.timefmt import local_text, zone
from bot.types import (
    ArgValue,
    Choice,
    Choices,
    Created,
    Notice,
    Reply,
    ShowtimeList,
    Table,
    Text,
)
from bot.types import film_label as name_film
from bot.when import WhenError, parse_local_datetime
from storage import repo
from storage.limits import AUTHOR_NAME_MAX, shorten
from storage.models import AuditEntry, Review, Showtime

AUDIT_PER_PAGE = 10
YEAR_MIN, YEAR_MAX = 1870, 2100
# Beyond this length a refusal names the confirming option rather than the whole command.
CONFIRM_LINE_MAX = 300


def _refuse_unless_confirmed(
    ctx: Context, args: dict[str, ArgValue], option: str, message: str
) -> NoReturn:
    """Refuse (nothing is written), naming the same command with `option` set to yes.

    The command is a backticked mention, which each adapter writes the way its platform types
    it (`/film add …` on the console, `/film-add title:… again:True` on Discord), so it runs
    as printed everywhere.
    """
    again = {p.name: args[p.name] for p in ctx.spec.params if p.name in args}
    again[option] = True
    line = command_line(ctx.spec.name, again)
    how = f"`{line}`" if len(line) <= CONFIRM_LINE_MAX else f"the same command with {option}=yes"
    raise UserError(f"{message} Nothing was changed. If you are sure: {how}.")


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
    review = repo.get_review(ctx.session, int_arg(args, "review"))
    if review is None:
        raise UserError(f"There is no review #{args['review']}.")
    return review


def film_add(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    fields = _film_fields(FilmFields(title=""), args)
    existing = repo.films_with_norm(ctx.session, normalize(fields.title))
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
    films = repo.get_films(ctx.session, existing)
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
    _refuse_unless_confirmed(ctx, args, "again", message)


def film_edit(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    film = resolve_film(ctx, str(args["film"]), arg="film")
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
    film = resolve_film(ctx, str(args["film"]), arg="film")
    rows = repo.film_rows(ctx.session, film.id)
    upcoming = [s for s in rows.showtimes if s.starts_at > ctx.now and not s.cancelled]
    losses = _film_losses(rows, len(upcoming))
    label = f"{film_label(film)} (#{film.id})"
    # Anything that names the film (a review, a member's rating, a screening, even a past one)
    # is lost with it: only a film nothing names goes without confirmation.
    if losses and not args.get("confirm"):
        _refuse_unless_confirmed(
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
    repo.delete_film(ctx.session, film, rows)
    audit.record(ctx.session, ctx.actor, ctx.now, "film remove", "film", film_id, before, None)
    ctx.after_commit.append(lambda: ctx.resolver.forget_film(film_id))
    ctx.after_commit.append(ctx.resolver.mark_stale)
    text = f"Removed {label} from the catalogue"
    text += f", with {_and(losses)}." if losses else "; nothing else named it."
    if upcoming:
        # The screenings go with the film, so there is nothing left to send a cancellation for.
        text += " Its upcoming screenings are gone without cancellation alerts."
    return Reply.notice(text)


def _film_losses(rows: repo.FilmRows, upcoming: int) -> list[str]:
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


def showtime_add(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    film = resolve_film(ctx, str(args["film"]), arg="film")
    cinema = one_cinema(ctx.session, str(args["cinema"]))  # forgiving, aliases; never guesses
    tz = zone(cinema.timezone)
    try:
        local = parse_local_datetime(str(args["starts"]), ctx.now.astimezone(tz).date())
    except WhenError as exc:
        raise UserError(str(exc)) from exc
    starts_at = _local_to_utc(local, cinema.timezone)
    same = repo.scheduled_showtime_at(ctx.session, film.id, cinema.id, starts_at)
    if same is not None:
        raise UserError(
            f"Screening #{same.id} is already {film_label(film)} at {cinema.name}, "
            f"{local_text(starts_at, cinema.timezone)}. Nothing was added."
        )
    if starts_at <= ctx.now and not args.get("past"):
        _refuse_unless_confirmed(
            ctx,
            args,
            "past",
            f"{local_text(starts_at, cinema.timezone)} is in the past at {cinema.name} "
            f"(it is now {local_text(ctx.now, cinema.timezone)} there): was that a typo?",
        )
    event_id = None
    if args.get("event"):
        events = repo.events_matching(ctx.session, normalize(str(args["event"])))
        if len(events) != 1:
            raise UserError(f"No single event matches “{args['event']}”.")
        event_id = events[0].id
    ticket = str(args["ticket"]) if args.get("ticket") else None
    if ticket and not is_web_url(ticket):
        raise UserError(
            "A ticket link must be a full http(s) address such as https://tickets.example/42, "
            "with spaces and other special characters percent-encoded."
        )
    showtime = Showtime(
        film_id=film.id,
        cinema_id=cinema.id,
        event_id=event_id,
        starts_at=starts_at,
        format=str(args["format"]) if args.get("format") else None,
        ticket_url=ticket,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(showtime)
    ctx.session.flush()
    ctx.session.refresh(showtime)
    audit.record(
        ctx.session,
        ctx.actor,
        ctx.now,
        "showtime add",
        "showtime",
        showtime.id,
        None,
        audit.snapshot_showtime(showtime),
    )
    item = showtime_item(showtime)
    past = " (in the past: a record only, no alerts go out)" if starts_at <= ctx.now else ""
    return Reply(
        blocks=(
            Notice(f"Screening #{showtime.id} added{past}."),
            ShowtimeList(f"{film_label(film)} at {cinema.name}", (item,)),
        ),
        created=Created("showtime", showtime.id),
    )


def _local_to_utc(local: datetime, tz_name: str) -> datetime:
    """A cinema's wall-clock time to UTC; refuses times that don't exist there (DST gap)."""
    tz = zone(tz_name)
    aware = local.replace(tzinfo=tz)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != local:
        raise UserError(
            f"{local:%Y-%m-%d %H:%M} does not exist in {tz_name}: the clocks skip it "
            "(daylight saving). Pick another time."
        )
    return aware.astimezone(UTC)


def showtime_remove(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    showtime = repo.get_showtime(ctx.session, int_arg(args, "showtime"))
    if showtime is None or showtime.cancelled:
        raise UserError(f"There is no scheduled screening #{args['showtime']}.")
    before = audit.snapshot_showtime(showtime)
    # Cancelled rather than deleted, so alerts can tell subscribers it is off.
    showtime.cancelled = True
    showtime.updated_at = ctx.now
    audit.record(
        ctx.session,
        ctx.actor,
        ctx.now,
        "showtime remove",
        "showtime",
        showtime.id,
        before,
        audit.snapshot_showtime(showtime),
    )
    when = showtime_item(showtime).local_time
    return Reply.notice(
        f"Screening #{showtime.id} ({film_label(showtime.film)}, {when} "
        f"at {showtime.cinema.name}) cancelled."
    )


def audit_log(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    if args.get("entry") is not None:
        return _audit_entry(ctx, int_arg(args, "entry"))
    _, total = repo.recent_audit(ctx.session, 0, 0)
    if total == 0:
        return Reply(blocks=(Notice("No moderator actions yet."),), ephemeral=True)
    page, offset, pages = page_window(args, total, AUDIT_PER_PAGE)
    rows, _ = repo.recent_audit(ctx.session, offset, AUDIT_PER_PAGE)
    table = Table(
        heading="Recent moderator actions",
        columns=("When (UTC)", "Who", "Action", "What", "Change"),
        rows=tuple(
            (f"{e.at:%Y-%m-%d %H:%M}", e.actor_name, e.action, _what(e), audit.summary(e))
            for e in rows
        ),
    )
    # The table's cells are short on every platform; each entry has a full view.
    full = Choices(
        "Every value before and after:",
        tuple(
            Choice(f"Entry #{e.id}: {e.action}, {_what(e)}", "audit", {"entry": e.id}) for e in rows
        ),
    )
    return Reply(blocks=(table, full), ephemeral=True, page=page_info(ctx, args, page, pages))


def _what(e: AuditEntry) -> str:
    if e.entity_id is None:  # an import: the entry counts many rows
        return f"{e.entity}s"
    return f"{e.entity} #{e.entity_id}"


def _audit_entry(ctx: Context, entry_id: int) -> Reply:
    e = repo.get_audit_entry(ctx.session, entry_id)
    if e is None:
        raise UserError(f"There is no audit entry #{entry_id}.")
    head = f"Audit entry #{e.id}: {e.action}, {_what(e)}, by {e.actor_name}"
    head += f" at {e.at:%Y-%m-%d %H:%M} UTC"
    return Reply(blocks=(Text("\n".join([head, *audit.details(e)])),), ephemeral=True)
