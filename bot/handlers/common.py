"""Helpers shared by handlers: resolving a film the way every command does, and paging."""

from __future__ import annotations

from math import ceil

from bot.cards import film_label
from bot.context import Context, UserError
from bot.normalize import normalize
from bot.types import ArgValue, Choice, Choices, ErrorNotice, PageInfo, Reply, Role
from storage import repo
from storage.models import Film


class NeedsChoice(Exception):
    """Resolution ended in a reply (choices or "not found") instead of a film."""

    def __init__(self, reply: Reply) -> None:
        super().__init__("needs a choice")
        self.reply = reply


def resolve_film(
    ctx: Context, text: str, *, arg: str, keep: dict[str, ArgValue] | None = None
) -> Film:
    """The film `text` names, or raise with the reply to show instead.

    Read commands answer an ambiguity with `Choices` that re-invoke the same command with the
    film's number; write commands refuse and list the candidates, because re-sending a whole
    review through a button would not fit the platforms' limits.
    """
    res = ctx.resolver.resolve(ctx.session, text)
    if res.film_id is not None:
        film = repo.get_film(ctx.session, res.film_id)
        if film is not None:
            return film
    writes = ctx.spec.min_role > Role.MEMBER
    if res.choices:
        films = repo.get_films(ctx.session, res.choices)
        ordered = [films[f] for f in res.choices if f in films]
        prompt = f"“{res.query}” could be several films. Which one?"
        if writes:
            listing = "; ".join(f"{film_label(f)} = #{f.id}" for f in ordered)
            raise UserError(
                f"{prompt} Name it by number or add the year ({arg}=#{ordered[0].id}). "
                f"Candidates: {listing}. Nothing was changed."
            )
        options = tuple(
            Choice(
                label=film_label(f),
                command=ctx.spec.name,
                args={**(keep or {}), arg: f"#{f.id}"},
                description=_people(f),
            )
            for f in ordered
        )
        raise NeedsChoice(Reply(blocks=(Choices(prompt, options),), ephemeral=True))
    message = f"No film found for “{res.query or text}”."
    if res.year:
        message = f"No film found for “{res.query}” from {res.year}."
    # A name rather than a title ("ostlund"): offer that person's films.
    people = repo.films_by_person(ctx.session, normalize(res.query or text), 10)
    if people and not writes:
        films = repo.get_films(ctx.session, list(dict.fromkeys(f for f, _, _ in people)))
        options = tuple(
            Choice(
                label=film_label(films[f]),
                command=ctx.spec.name,
                args={**(keep or {}), arg: f"#{f}"},
                description=f"{'dir.' if role == 'director' else 'with'} {person}",
            )
            for f, person, role in people
            if f in films
        )
        names = sorted({person for _, person, _ in people})
        raise NeedsChoice(
            Reply(
                blocks=(
                    ErrorNotice(f"{message} It matches {', '.join(names[:3])}:"),
                    Choices("Films with them", options),
                ),
                ephemeral=True,
            )
        )
    if res.suggestions:
        films = repo.get_films(ctx.session, res.suggestions)
        names = [film_label(films[f]) for f in res.suggestions if f in films]
        if writes:
            raise UserError(f"{message} Did you mean: {', '.join(names)}?")
        options = tuple(
            Choice(
                label=film_label(films[f]),
                command=ctx.spec.name,
                args={**(keep or {}), arg: f"#{f}"},
                description=_people(films[f]),
            )
            for f in res.suggestions
            if f in films
        )
        raise NeedsChoice(
            Reply(
                blocks=(ErrorNotice(message), Choices("Did you mean one of these?", options)),
                ephemeral=True,
            )
        )
    raise UserError(message + " Try `search` with a word of the title or a name.")


def _people(film: Film) -> str | None:
    directors = [c.person.name for c in film.credits if c.role == "director"]
    return f"dir. {', '.join(directors[:2])}" if directors else None


def page_window(args: dict[str, ArgValue], total: int, per_page: int) -> tuple[int, int, int]:
    """(page, offset, page_count) for the requested page; refuses pages that don't exist."""
    pages = max(1, ceil(total / per_page))
    page = int(args.get("page") or 1)
    if page < 1 or page > pages:
        raise UserError(f"There {'is' if pages == 1 else 'are'} {pages} page(s); no page {page}.")
    return page, (page - 1) * per_page, pages


def page_info(ctx: Context, args: dict[str, ArgValue], page: int, pages: int) -> PageInfo | None:
    if pages <= 1:
        return None
    base = {k: v for k, v in args.items() if k != "page"}
    return PageInfo(command=ctx.spec.name, args=base, page=page, page_count=pages)
