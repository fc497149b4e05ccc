"""The values that cross the boundary between the adapters and the core.

Adapters build an `Invocation` from a platform event and render the `Reply` the core returns.
The core owns the content of a reply; each adapter owns its markup. Every block is a frozen
dataclass so adapters can dispatch on type and fail loudly on one they do not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Literal


class Role(IntEnum):
    """Ordered privilege levels; the adapter maps platform facts to one, the core decides."""

    MEMBER = 1
    MODERATOR = 2
    ADMIN = 3

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.strip().upper()]
        except KeyError as exc:
            known = ", ".join(r.name.lower() for r in cls)
            raise ValueError(f"unknown role {text!r}; known roles: {known}") from exc


@dataclass(frozen=True)
class Actor:
    """Who is asking. `role` is what the adapter derived from the platform's facts."""

    platform: str
    user_id: str
    display_name: str
    role: Role = Role.MEMBER
    # The platform's groups the person is in (Discord role ids, Slack user group ids): a
    # community's `settings` may name some of them as its moderators.
    groups: tuple[str, ...] = ()
    # Whoever runs this Marquee (the adapter knows: Discord's application owner, the console's
    # user); `MARQUEE_OPERATORS` names more. Operators may change the shared catalogue.
    operator: bool = False


@dataclass(frozen=True)
class ChannelRef:
    """Where to answer or post alerts; storable as three strings."""

    platform: str
    workspace_id: str
    channel_id: str


@dataclass(frozen=True)
class AttachedFile:
    """A file a person attached to a command, as text (adapters decode it as UTF-8)."""

    name: str  # the file name as sent, e.g. "festival.ics"; it tells the format
    text: str


ArgValue = str | int | float | bool | AttachedFile | None


@dataclass(frozen=True)
class Invocation:
    """One command, already parsed by the adapter. Arg values may be strings: the core coerces."""

    command: str
    args: dict[str, ArgValue]
    actor: Actor
    channel: ChannelRef


# ---------------------------------------------------------------------------------------------
# Reply blocks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Notice:
    """A short confirmation ("Review added")."""

    text: str


@dataclass(frozen=True)
class ErrorNotice:
    """Something the user must fix; the reply that carries it changed nothing."""

    text: str
    # The parameter the fault is in, when it is in one: a form shows the text under that field.
    param: str | None = None


ActionStyle = Literal["primary", "secondary", "danger"]
# How the answer to a chosen action is shown: in place of the message that offered it, as a new
# message below it, or as a message only the one who chose it sees.
Opens = Literal["replace", "new", "private"]


@dataclass(frozen=True)
class Action:
    """A follow-up the core offers with a reply: a button on Discord and Slack, a command to
    type in the console. Choosing it runs `command` with `args` as whoever chose it, with that
    person's own role, so an action can never do more than its chooser could type."""

    label: str
    command: str
    args: dict[str, ArgValue]
    opens: Opens = "private"
    style: ActionStyle = "secondary"


def film_label(title: str, year: int | None) -> str:
    """The one way a film is named to users: "Title (Year)", or the bare title without a year."""
    return f"{title} ({year})" if year else title


@dataclass(frozen=True)
class FilmCard:
    film_id: int
    title: str
    year: int | None
    original_title: str | None = None
    alternative_titles: tuple[str, ...] = ()
    directors: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    runtime_minutes: int | None = None
    synopsis: str | None = None
    community_rating: float | None = None  # mean of reviews and member ratings, 0.5-5 stars
    rating_count: int = 0
    review_count: int = 0
    next_showtime: ShowtimeItem | None = None
    actions: tuple[Action, ...] = ()  # follow-ups about this film ("Reviews")

    @property
    def label(self) -> str:
        return film_label(self.title, self.year)


@dataclass(frozen=True)
class ReviewCard:
    review_id: int
    film_id: int
    film_title: str
    film_year: int | None
    author: str
    rating: float  # stars, 0.5 to 5 in half steps
    headline: str
    body: str
    spoiler: bool
    published_at: datetime  # UTC
    version: int = 1
    # True when the reader asked to see spoilers; adapters still hide the body behind their
    # platform's spoiler markup or a button when this is False and `spoiler` is True.
    spoiler_revealed: bool = False
    # True for moderators: show `version`, which `review edit … version=` names so that an
    # edit made meanwhile by someone else is refused instead of overwritten.
    version_shown: bool = False
    # What shows the hidden text of a spoiler review, when it is hidden.
    reveal: Action | None = None


@dataclass(frozen=True)
class ShowtimeItem:
    showtime_id: int
    film_id: int
    film_title: str
    film_year: int | None
    cinema: str
    city: str
    starts_at: datetime  # UTC, timezone-aware
    timezone: str  # the cinema's IANA zone
    local_time: str  # starts_at rendered in the cinema's zone, e.g. "Fri 25 Jul 2025, 18:30"
    event: str | None = None
    format: str | None = None
    ticket_url: str | None = None
    demo: bool = False
    cancelled: bool = False


@dataclass(frozen=True)
class ShowtimeList:
    heading: str
    items: tuple[ShowtimeItem, ...]


@dataclass(frozen=True)
class Choice:
    """One option of a disambiguation; choosing it re-invokes `command` with `args`."""

    label: str
    command: str
    args: dict[str, ArgValue]
    description: str | None = None


@dataclass(frozen=True)
class Choices:
    prompt: str
    options: tuple[Choice, ...]


@dataclass(frozen=True)
class Table:
    """Rows of short cells (audit log, search results)."""

    heading: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class CommandUsage:
    """One command as help lists it. How it is typed is the adapter's to show: `/review add`
    in the console, `/review-add` on Discord, `/marquee review add` on Slack."""

    name: str  # the registry name, "review add"
    params: tuple[tuple[str, bool], ...]  # (parameter name, required), in order
    description: str


@dataclass(frozen=True)
class CommandList:
    heading: str
    commands: tuple[CommandUsage, ...]
    footer: str | None = None


Block = (
    Text
    | Notice
    | ErrorNotice
    | FilmCard
    | ReviewCard
    | ShowtimeList
    | Choices
    | Table
    | CommandList
)


@dataclass(frozen=True)
class PageInfo:
    """Paging data: re-invoke `command` with `args` plus `page=n` to move."""

    command: str
    args: dict[str, ArgValue]
    page: int  # 1-based
    page_count: int

    def args_for(self, page: int) -> dict[str, ArgValue]:
        return {**self.args, "page": page}


@dataclass(frozen=True)
class Created:
    """What a write command made, by kind and number, for callers that go on to use it."""

    kind: Literal["film", "review", "showtime", "subscription"]
    id: int


@dataclass(frozen=True)
class Imported:
    """Rows an import wrote, by what they were (e.g. {"showtimes added": 40}), for metrics."""

    kind: str  # "showtimes", "films", "reviews"
    rows: dict[str, int]


@dataclass(frozen=True)
class Delivery:
    """How a batch of alerts must be posted."""

    key: str  # the batch's idempotency key: a re-sent batch carries the same one
    alert_ids: tuple[int, ...]
    direct: bool = False  # the channel id is then a member's id: post to their DMs
    # The batch was claimed before by a worker that did not finish it, so the platform may
    # already hold it: a notifier whose platform has no idempotency key looks before posting.
    resend: bool = False


@dataclass(frozen=True)
class ReplyFile:
    """A file a reply hands to the asker (a community's export). Each adapter delivers it its
    platform's way; when the platform will not take it (too large, refused), the adapter says
    why and shows `instead`, which tells the person how else to get the same data."""

    name: str  # a plain file name, "community-3.zip"; adapters still sanitise it
    data: bytes
    mime: str  # e.g. "application/zip"
    instead: str = ""


# "error" and "busy" (the database was locked) mark a failure on our side, so logs and metrics
# count it apart from a refusal the asker must fix.
Failure = Literal["error", "busy"]


@dataclass(frozen=True)
class Reply:
    blocks: tuple[Block, ...]
    ephemeral: bool = False
    page: PageInfo | None = None
    # Facts about the reply that callers use but nobody reads: what it created, which
    # showtimes it exported, what an import wrote, how to deliver it, whose failure it is.
    created: Created | None = None
    exported: tuple[int, ...] = ()
    imported: Imported | None = None
    delivery: Delivery | None = None
    failure: Failure | None = None
    # Files for the asker, delivered beside the message (an attachment, an upload, a saved file).
    files: tuple[ReplyFile, ...] = ()

    @property
    def is_error(self) -> bool:
        return any(isinstance(b, ErrorNotice) for b in self.blocks)

    @classmethod
    def error(cls, text: str, param: str | None = None) -> Reply:
        return cls(blocks=(ErrorNotice(text, param),), ephemeral=True)

    @classmethod
    def notice(cls, text: str, *more: Block) -> Reply:
        return cls(blocks=(Notice(text), *more))
