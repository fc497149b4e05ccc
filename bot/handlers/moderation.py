"""Moderator commands. Each write records an audit entry in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlparse

from bot import audit
from bot.cards import film_card, film_label, review_card, showtime_item
from bot.catalogue import FilmFields, apply_fields, create_film, fields_of
from bot.context import Context, UserError
from bot.handlers.common import page_info, page_window, resolve_film
from bot.normalize import normalize, split_list
from bot.timefmt import zone
from bot.types import ArgValue, Notice, Reply, ShowtimeList, Table
from bot.when import WhenError, parse_local_datetime
from storage import repo
from storage.models import Review, Showtime

AUDIT_PER_PAGE = 10
YEAR_MIN, YEAR_MAX = 1870, 2100


def review_add(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    film = resolve_film(ctx, str(args["film"]), arg="film")
    review = Review(
        film_id=film.id,
        author_name=str(args.get("author") or ctx.actor.display_name),
        author_platform=ctx.actor.platform,
        author_user_id=ctx.actor.user_id,
        rating_halves=round(float(args["rating"]) * 2),  # type: ignore[arg-type]
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
            review_card(review, film, reveal=True),
        ),
        meta={"review_id": review.id},
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
        review.rating_halves = round(float(changes["rating"]) * 2)  # type: ignore[arg-type]
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
        blocks=(Notice(f"Review #{review.id} updated."), review_card(review, film, reveal=True))
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
    review = repo.get_review(ctx.session, int(args["review"]))  # type: ignore[arg-type]
    if review is None:
        raise UserError(f"There is no review #{args['review']}.")
    return review


def film_add(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    fields = _film_fields(FilmFields(title=""), args)
    existing = repo.films_with_norm(ctx.session, normalize(fields.title), fields.year)
    if existing and fields.year is not None:
        raise UserError(
            f"{fields.title} ({fields.year}) is already in the catalogue as #{existing[0]}."
        )
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
        meta={"film_id": film.id},
    )


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


def _film_fields(base: FilmFields, args: dict[str, ArgValue]) -> FilmFields:
    if "title" in args:
        if not normalize(str(args["title"])):
            raise UserError("A title needs at least one letter or digit.")
        base.title = str(args["title"])
    if "year" in args:
        year = int(args["year"])  # type: ignore[arg-type]
        if not YEAR_MIN <= year <= YEAR_MAX:
            raise UserError(f"{year} is not a plausible release year ({YEAR_MIN}–{YEAR_MAX}).")
        base.year = year
    if "runtime" in args:
        runtime = int(args["runtime"])  # type: ignore[arg-type]
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
    cinemas = repo.cinemas_matching(ctx.session, normalize(str(args["cinema"])))
    if not cinemas:
        known = ", ".join(c.name for c in repo.all_cinemas(ctx.session)[:15]) or "none yet"
        raise UserError(f"No cinema called “{args['cinema']}”. Known cinemas: {known}.")
    if len(cinemas) > 1:
        raise UserError(
            f"“{args['cinema']}” could be {', '.join(c.name for c in cinemas[:8])}. Be more exact."
        )
    cinema = cinemas[0]
    tz = zone(cinema.timezone)
    try:
        local = parse_local_datetime(str(args["starts"]), ctx.now.astimezone(tz).date())
    except WhenError as exc:
        raise UserError(str(exc)) from exc
    starts_at = _local_to_utc(local, cinema.timezone)
    event_id = None
    if args.get("event"):
        events = repo.events_matching(ctx.session, normalize(str(args["event"])))
        if len(events) != 1:
            raise UserError(f"No single event matches “{args['event']}”.")
        event_id = events[0].id
    ticket = str(args["ticket"]) if args.get("ticket") else None
    if ticket and (urlparse(ticket).scheme not in ("http", "https") or not urlparse(ticket).netloc):
        raise UserError("A ticket link must be an http(s) address.")
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
    return Reply(
        blocks=(
            Notice(f"Screening #{showtime.id} added."),
            ShowtimeList(f"{film_label(film)} at {cinema.name}", (item,)),
        ),
        meta={"showtime_id": showtime.id},
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
    showtime = repo.get_showtime(ctx.session, int(args["showtime"]))  # type: ignore[arg-type]
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
    _, total = repo.recent_audit(ctx.session, 0, 0)
    if total == 0:
        return Reply(blocks=(Notice("No moderator actions yet."),), ephemeral=True)
    page, offset, pages = page_window(args, total, AUDIT_PER_PAGE)
    rows, _ = repo.recent_audit(ctx.session, offset, AUDIT_PER_PAGE)
    table = Table(
        heading="Recent moderator actions",
        columns=("When (UTC)", "Who", "Action", "What", "Change"),
        rows=tuple(
            (
                f"{e.at:%Y-%m-%d %H:%M}",
                e.actor_name,
                e.action,
                f"{e.entity} #{e.entity_id}",
                _change_summary(e.before, e.after),
            )
            for e in rows
        ),
    )
    return Reply(blocks=(table,), ephemeral=True, page=page_info(ctx, args, page, pages))


def _change_summary(before: dict | None, after: dict | None) -> str:
    if before is None and after is not None:
        return "created: " + _short(after.get("headline") or after.get("title") or "")
    if after is None or before is None:
        return "removed" if after is None else "created"
    changed = [k for k in after if before.get(k) != after.get(k) and k != "version"]
    return "changed " + ", ".join(changed) if changed else "no change"


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
