"""Resolving a film the way every command does: one film, choices to pick from, or a refusal."""

from __future__ import annotations

from bot.args import ArgError, coerce_args
from bot.cards import film_label
from bot.context import Context, UserError
from bot.normalize import normalize
from bot.people import films_by_person
from bot.resolve import film_number, split_year
from bot.textargs import ArgSyntaxError, CommandReading, command_line, command_readings, parse_args
from bot.types import ArgValue, Choice, Choices, ErrorNotice, Reply, Role
from bot.types import film_label as label_of
from storage import film_queries
from storage.models_catalogue import Film

# Characters that some platform reads as markup or a mention: <!channel>, @everyone, *bold*, ...
MARKUP_CHARACTERS = frozenset("<>@&|*_~`[]")


class NeedsChoice(Exception):
    """Resolution ended in a reply (choices or "not found") instead of a film."""

    def __init__(self, reply: Reply) -> None:
        super().__init__("needs a choice")
        self.reply = reply


def resolve_film(
    ctx: Context,
    text: str,
    *,
    arg: str,
    keep: dict[str, ArgValue] | None = None,
    related: bool = False,
) -> Film:
    """The film `text` names, or raise with the reply to show instead.

    `related`: load its titles, people and genres with it (a film card, an edit's audit
    snapshot); most commands name the film only, and anything else still loads on first use.

    Read commands answer an ambiguity with `Choices` that re-invoke the same command with the
    film's number; write commands refuse and list the candidates, because re-sending a whole
    review through a button would not fit the platforms' limits.
    """
    readings = command_readings(text, role=ctx.actor.role)
    number = film_number(text)
    if number is not None and not readings:
        # Loaded at once, not probed first and loaded after: a round trip fewer for the
        # commonest reference (every autocomplete pick and choice button sends one).
        film = film_queries.get_film(ctx.session, number, related=related)
        if film is not None:
            return film
    res = ctx.resolver.resolve(ctx.session, text)
    if readings:
        _ask_command_or_film(ctx, text, readings, arg=arg, keep=keep)
    if res.film_id is not None:
        film = film_queries.get_film(ctx.session, res.film_id, related=related)
        if film is not None:
            return film
    writes = ctx.spec.min_role > Role.MEMBER
    if res.choices:
        films = film_queries.get_films(ctx.session, res.choices, people=True)
        ordered = [films[f] for f in res.choices if f in films]
        prompt = f"“{res.query}” could be several films. Which one?"
        if writes:
            listing = "; ".join(f"{film_label(f)} = #{f.id}" for f in ordered)
            raise UserError(
                f"{prompt} Name it by number or add the year ({arg}=#{ordered[0].id}). "
                f"Candidates: {listing}. Nothing was changed.",
                param=arg,
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
    people = films_by_person(ctx.session, ctx.resolver.people, normalize(res.query or text), 10)
    if people and not writes:
        ids = list(dict.fromkeys(f for f, _, _ in people))
        films = film_queries.get_films(ctx.session, ids, related=False)
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
        films = film_queries.get_films(ctx.session, res.suggestions, people=True)
        names = [film_label(films[f]) for f in res.suggestions if f in films]
        if writes:
            raise UserError(f"{message} Did you mean: {', '.join(names)}?", param=arg)
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
                blocks=(ErrorNotice(message, arg), Choices("Did you mean one of these?", options)),
                ephemeral=True,
            )
        )
    raise UserError(message + " Try `search` with a word of the title or a name.", param=arg)


def _ask_command_or_film(
    ctx: Context,
    text: str,
    readings: list[CommandReading],
    *,
    arg: str,
    keep: dict[str, ArgValue] | None,
) -> None:
    """Raise the question when a title starts with a command's words ("film review Arrival").

    A command's whole name is always asked about, even when a film has that title too; a word
    of a sub-command ("showtimes add Arrival") only when no film has exactly that title, so
    "Like Someone in Love" stays a film.
    """
    title, year = split_year(text)
    exact = film_queries.films_with_norm(ctx.session, normalize(title), year)
    if not any(r.full_name for r in readings) and exact:
        return
    films = film_queries.get_films(ctx.session, exact, related=False)
    titled = [films[f] for f in exact if f in films]
    commands = [_command_choice(ctx, r, keep) for r in readings]
    if ctx.spec.min_role > Role.MEMBER:
        lines = " or ".join(f"`{command_line(c.command, c.args)}`" for c in commands)
        also = "".join(f" The film {film_label(f)} is {arg}=#{f.id}." for f in titled)
        raise UserError(
            f"“{text}” starts with a command's name, so it is not taken for a title. "
            f"For the command: {lines}.{also} Nothing was changed.",
            param=arg,
        )
    options = [
        Choice(
            label=film_label(f),
            command=ctx.spec.name,
            args={**(keep or {}), arg: f"#{f.id}"},
            description=f"the film, for {ctx.spec.name}",
        )
        for f in titled
    ]
    options += commands
    prompt = f"“{text}” starts with a command's name. Which did you mean?"
    raise NeedsChoice(Reply(blocks=(Choices(prompt, tuple(options)),), ephemeral=True))


def _command_choice(
    ctx: Context, reading: CommandReading, keep: dict[str, ArgValue] | None
) -> Choice:
    """The command a reading names, ready to run, or its help when the text does not fit it."""
    spec = reading.spec
    label = f"the command {spec.name}"
    if spec.name == "help" and not reading.rest:
        # "review help": help about the command the person was typing.
        args: dict[str, ArgValue] = {"command": ctx.spec.name}
        return Choice(label=f"help for {ctx.spec.name}", command="help", args=args)
    try:
        args = parse_args(spec, reading.rest)
        for name, value in (keep or {}).items():
            if spec.param(name) is not None:
                args.setdefault(name, value)
        coerce_args(spec, args)
    except (ArgSyntaxError, ArgError):
        return Choice(label=label, command="help", args={"command": spec.name})
    return Choice(label=label, command=spec.name, args=args, description=reading.rest or None)


def _people(film: Film) -> str | None:
    directors = [c.person.name for c in film.credits if c.role == "director"]
    return f"dir. {', '.join(directors[:2])}" if directors else None


def film_reference(ctx: Context, film_id: int, title: str, year: int | None) -> str:
    """How a command the core offers names a film: by its label ("Solaris (1972)"), which a
    reader can check against the card, when typing it back finds this film and no other and
    is not read as a command; otherwise by its number ("#36")."""
    label = label_of(title, year)
    # A title carrying markup ("<!channel> Night") is named by number, so no command Marquee
    # offers carries a member's markup, not even inside a button's value.
    if MARKUP_CHARACTERS.intersection(label) or command_readings(label, role=Role.ADMIN):
        return f"#{film_id}"
    typed_back = ctx.resolver.resolve(ctx.session, label)
    if typed_back.film_id != film_id or typed_back.choices:
        return f"#{film_id}"
    return label
