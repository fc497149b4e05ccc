"""The one list of Marquee's commands.

Every adapter builds its platform registration from `COMMANDS` (Discord slash commands, Slack
slash commands, the console's help), and tests check each platform against it, so a command
added here cannot be forgotten on one platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.types import Role


class ParamKind(Enum):
    TEXT = "text"  # free text
    TITLE = "title"  # a film title, resolved by the core; adapters may autocomplete it
    RATING = "rating"  # stars, 0.5 to 5 in half steps
    INT = "int"
    BOOL = "bool"
    WHEN = "when"  # a date, a range or a local date-time; parsed by the core
    # An attached file; adapters pass its text as an AttachedFile (bot.types). Only platforms
    # that can carry a file offer it (Discord); elsewhere the core says where to send it.
    FILE = "file"


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind
    description: str
    required: bool = False
    max_length: int | None = None
    # Long free text: adapters show it as a paragraph field in forms.
    long: bool = False


@dataclass(frozen=True)
class CommandSpec:
    name: str  # words separated by one space: "review add"
    description: str  # one line, at most 100 characters (Discord's limit)
    params: tuple[Param, ...] = ()
    min_role: Role = Role.MEMBER
    # Hidden commands exist for the adapters' buttons (paging, picking a choice) and are not
    # offered in help or registered as their own slash commands.
    hidden: bool = False

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.name.split(" "))

    @property
    def slug(self) -> str:
        """A single-token name for platforms without spaces in command names: "review-add"."""
        return "-".join(self.words)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def primary(self) -> Param | None:
        """The parameter that bare text after the command fills ("/review Second Victims")."""
        return self.params[0] if self.params else None


TITLE_MAX = 200
HEADLINE_MAX = 150
# Slack's section text is limited to 3,000 characters and Discord's embed description to 4,096:
# a review body that fits both renders whole everywhere.
BODY_MAX = 3000
QUERY_MAX = 200

_page = Param("page", ParamKind.INT, "Page number")

# The facts `film add` and `film edit` both take, after the title.
_FILM_DETAILS = (
    Param("year", ParamKind.INT, "Release year"),
    Param("directors", ParamKind.TEXT, "Directors, comma-separated", max_length=500),
    Param("cast", ParamKind.TEXT, "Cast, comma-separated", max_length=1000),
    Param("genres", ParamKind.TEXT, "Genres, comma-separated", max_length=300),
    Param("countries", ParamKind.TEXT, "Countries, comma-separated", max_length=300),
    Param("languages", ParamKind.TEXT, "Languages, comma-separated", max_length=300),
    Param("runtime", ParamKind.INT, "Runtime in minutes"),
    Param("original_title", ParamKind.TEXT, "Original title", max_length=TITLE_MAX),
    Param("alt_titles", ParamKind.TEXT, "Other titles, separated by |", max_length=1000),
    Param("synopsis", ParamKind.TEXT, "Synopsis", max_length=BODY_MAX, long=True),
)

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("help", "What Marquee can do", (Param("command", ParamKind.TEXT, "A command"),)),
    CommandSpec(
        "review",
        "The community's reviews of a film",
        (
            Param("title", ParamKind.TITLE, "Film title", required=True, max_length=TITLE_MAX),
            Param("spoilers", ParamKind.BOOL, "Show spoiler-flagged reviews in full"),
            _page,
        ),
    ),
    CommandSpec(
        "film",
        "A film's card: year, people, genres, rating, next screening",
        (Param("title", ParamKind.TITLE, "Film title", required=True, max_length=TITLE_MAX),),
    ),
    CommandSpec(
        "showtimes",
        "Upcoming screenings, by film, cinema or city, in the cinema's local time",
        (
            Param("query", ParamKind.TEXT, "Film, cinema or city", max_length=QUERY_MAX),
            Param("when", ParamKind.WHEN, "today, tomorrow, this week, 2025-07-25 or a..b"),
            _page,
        ),
    ),
    CommandSpec(
        "search",
        "Find films by title, person or genre",
        (
            Param("text", ParamKind.TEXT, "Words to look for", required=True, max_length=QUERY_MAX),
            _page,
        ),
    ),
    CommandSpec(
        "export",
        "A film's or event's upcoming screenings as a calendar (.ics)",
        (Param("query", ParamKind.TEXT, "Film or event", required=True, max_length=QUERY_MAX),),
    ),
    CommandSpec(
        "review add",
        "Add a review (moderators)",
        (
            Param("film", ParamKind.TITLE, "Film title", required=True, max_length=TITLE_MAX),
            Param("rating", ParamKind.RATING, "Stars, 0.5 to 5", required=True),
            Param("headline", ParamKind.TEXT, "Headline", required=True, max_length=HEADLINE_MAX),
            Param(
                "body", ParamKind.TEXT, "Review text", required=True, max_length=BODY_MAX, long=True
            ),
            Param("spoiler", ParamKind.BOOL, "The text reveals the plot"),
            Param("author", ParamKind.TEXT, "Byline, if not yours", max_length=80),
        ),
        min_role=Role.MODERATOR,
    ),
    CommandSpec(
        "review edit",
        "Edit a review (moderators)",
        (
            Param("review", ParamKind.INT, "Review number", required=True),
            Param("rating", ParamKind.RATING, "Stars, 0.5 to 5"),
            Param("headline", ParamKind.TEXT, "Headline", max_length=HEADLINE_MAX),
            Param("body", ParamKind.TEXT, "Review text", max_length=BODY_MAX, long=True),
            Param("spoiler", ParamKind.BOOL, "The text reveals the plot"),
            Param("version", ParamKind.INT, "The version you edited (refused if it changed)"),
        ),
        min_role=Role.MODERATOR,
    ),
    CommandSpec(
        "review remove",
        "Remove a review (moderators)",
        (Param("review", ParamKind.INT, "Review number", required=True),),
        min_role=Role.MODERATOR,
    ),
    CommandSpec(
        "film add",
        "Add a film to the catalogue (moderators)",
        (
            Param("title", ParamKind.TEXT, "Title", required=True, max_length=TITLE_MAX),
            *_FILM_DETAILS,
        ),
        min_role=Role.MODERATOR,
    ),
    CommandSpec(
        "film edit",
        "Edit a film (moderators)",
        (
            Param("film", ParamKind.TITLE, "Film to edit", required=True, max_length=TITLE_MAX),
            Param("title", ParamKind.TEXT, "New title", max_length=TITLE_MAX),
            *_FILM_DETAILS,
        ),
        min_role=Role.MODERATOR,
    ),
    CommandSpec(
        "showtime add",
        "Add a screening (moderators)",
        (
            Param("film", ParamKind.TITLE, "Film title", required=True, max_length=TITLE_MAX),
            Param("cinema", ParamKind.TEXT, "Cinema name", required=True, max_length=200),
            Param("starts", ParamKind.WHEN, "Local start, 2025-07-25 18:30", required=True),
            Param("event", ParamKind.TEXT, "Festival or event", max_length=200),
            Param("format", ParamKind.TEXT, "Format or notes (35mm, subtitled)", max_length=200),
            Param("ticket", ParamKind.TEXT, "Ticket link", max_length=500),
        ),
        min_role=Role.MODERATOR,
    ),
    CommandSpec(
        "showtime remove",
        "Remove a screening (moderators)",
        (Param("showtime", ParamKind.INT, "Screening number", required=True),),
        min_role=Role.MODERATOR,
    ),
    CommandSpec(
        "audit",
        "Recent moderator actions (moderators)",
        (_page,),
        min_role=Role.MODERATOR,
    ),
    CommandSpec(
        "import showtimes",
        "Import screenings from an attached .ics or CSV file (moderators)",
        (
            Param("file", ParamKind.FILE, "An iCalendar (.ics) or CSV listing", required=True),
            Param("event", ParamKind.TEXT, "Put every screening in this festival", max_length=200),
            Param("remove_missing", ParamKind.BOOL, "Cancel earlier imports' screenings not in it"),
        ),
        min_role=Role.MODERATOR,
    ),
    CommandSpec(
        "alerts subscribe",
        "Showtime alerts in this channel: new screenings, reminders, digests (moderators)",
        (
            Param(
                "target",
                ParamKind.TEXT,
                "Film, cinema, event or city to follow (film:…, city:…), or all",
                required=True,
                max_length=QUERY_MAX,
            ),
            Param(
                "kinds",
                ParamKind.TEXT,
                "new, reminder, digest (default new, reminder)",
                max_length=60,
            ),
            Param(
                "leads", ParamKind.TEXT, "Reminder minutes before, e.g. 60 or 15,120", max_length=60
            ),
            Param(
                "digest", ParamKind.TEXT, "Digest local time, HH:MM (default 09:00)", max_length=10
            ),
            Param(
                "zone",
                ParamKind.TEXT,
                "Time zone for the digest, e.g. Europe/Copenhagen",
                max_length=64,
            ),
        ),
        min_role=Role.MODERATOR,
    ),
    CommandSpec("alerts list", "This channel's showtime alert subscriptions"),
    CommandSpec(
        "alerts remove",
        "Stop a showtime alert subscription (moderators)",
        (Param("subscription", ParamKind.INT, "Subscription number", required=True),),
        min_role=Role.MODERATOR,
    ),
    CommandSpec(
        "watch",
        "Add a film to your watchlist: a direct message when it gets a new screening",
        (
            Param("title", ParamKind.TITLE, "Film title", required=True, max_length=TITLE_MAX),
            Param(
                "cities", ParamKind.TEXT, "Only in these cities, comma-separated", max_length=300
            ),
        ),
    ),
    CommandSpec("watchlist", "The films on your watchlist"),
    CommandSpec(
        "unwatch",
        "Remove a film from your watchlist",
        (Param("title", ParamKind.TITLE, "Film title", required=True, max_length=TITLE_MAX),),
    ),
    # Recommendations (bot/recommend/).
    CommandSpec(
        "rate",
        "Rate a film, 0.5 to 5 stars: it shapes your recommendations",
        (
            Param("title", ParamKind.TITLE, "Film title", required=True, max_length=TITLE_MAX),
            # Optional so one line of text works ("rate Second Victims 4.5"); refused if absent.
            Param("score", ParamKind.RATING, "Stars, 0.5 to 5 in half steps"),
        ),
    ),
    CommandSpec(
        "recommend",
        "Films for you, optionally by genre, mood, era or country (drama tense nordic)",
        (
            Param("genre", ParamKind.TEXT, "A genre, or several words", max_length=QUERY_MAX),
            Param(
                "mood",
                ParamKind.TEXT,
                "tense, funny, feel-good, dark, romantic, ...",
                max_length=100,
            ),
            Param("era", ParamKind.TEXT, "1970s, 90s, classic, recent, ...", max_length=100),
            Param(
                "country", ParamKind.TEXT, "A country, adjective or region (nordic)", max_length=100
            ),
            _page,
        ),
    ),
    CommandSpec(
        "recommend like",
        "Films like one you love, each with the reason",
        (
            Param("title", ParamKind.TITLE, "Film title", required=True, max_length=TITLE_MAX),
            _page,
        ),
    ),
    CommandSpec(
        "recommend showing",
        "What's on in the coming days, best for you first",
        (
            Param("city", ParamKind.TEXT, "City or cinema", max_length=200),
            Param("days", ParamKind.INT, "How many days ahead (default 7)"),
            _page,
        ),
    ),
    CommandSpec(
        "not interested",
        "Never recommend this film to me again",
        (Param("title", ParamKind.TITLE, "Film title", required=True, max_length=TITLE_MAX),),
    ),
)

_BY_NAME = {c.name: c for c in COMMANDS}


def find_command(name: str) -> CommandSpec | None:
    return _BY_NAME.get(" ".join(name.strip().lower().split()))


def match_command(words: list[str]) -> tuple[CommandSpec, list[str]] | None:
    """The longest command name at the start of `words`, and the words left over."""
    for n in (3, 2, 1):
        spec = _BY_NAME.get(" ".join(w.lower() for w in words[:n])) if len(words) >= n else None
        if spec:
            return spec, words[n:]
    return None
