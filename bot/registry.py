"""The one list of Marquee's commands.

Every adapter builds its platform registration from `COMMANDS` (Discord slash commands, Slack
slash commands, the console's help), and tests check each platform against it, so a command
added here cannot be forgotten on one platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.types import Role
from storage import limits


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


# Stored values' limits come from storage/limits.py, which also sizes the columns.
TITLE_MAX = limits.TITLE_MAX
HEADLINE_MAX = limits.HEADLINE_MAX
BODY_MAX = limits.BODY_MAX
# What a member types to find something (never stored as typed).
QUERY_MAX = 200
# The longest date or range anyone types ("2025-07-24 18:30..2025-08-13 23:00" is 33).
WHEN_MAX = 60
# A comma-separated list's whole text; each name in it is checked against its own limit.
NAMES_MAX = 1000
LIST_MAX = 300

_page = Param("page", ParamKind.INT, "Page number")

# The facts `film add` and `film edit` both take, after the title.
_FILM_DETAILS = (
    Param("year", ParamKind.INT, "Release year"),
    Param("directors", ParamKind.TEXT, "Directors, comma-separated", max_length=NAMES_MAX),
    Param("cast", ParamKind.TEXT, "Cast, comma-separated", max_length=NAMES_MAX),
    Param("genres", ParamKind.TEXT, "Genres, comma-separated", max_length=LIST_MAX),
    Param("countries", ParamKind.TEXT, "Countries, comma-separated", max_length=LIST_MAX),
    Param("languages", ParamKind.TEXT, "Languages, comma-separated", max_length=LIST_MAX),
    Param("runtime", ParamKind.INT, "Runtime in minutes"),
    Param("original_title", ParamKind.TEXT, "Original title", max_length=TITLE_MAX),
    Param("alt_titles", ParamKind.TEXT, "Other titles, separated by |", max_length=NAMES_MAX),
    Param("synopsis", ParamKind.TEXT, "Synopsis", max_length=BODY_MAX, long=True),
)

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "help",
        "What Marquee can do",
        (Param("command", ParamKind.TEXT, "A command", max_length=QUERY_MAX),),
    ),
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
            Param(
                "when",
                ParamKind.WHEN,
                "today, tomorrow, this week, 2025-07-25 or a..b",
                max_length=WHEN_MAX,
            ),
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
            Param(
                "author", ParamKind.TEXT, "Byline, if not yours", max_length=limits.AUTHOR_NAME_MAX
            ),
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
            Param("again", ParamKind.BOOL, "Add it even though a film with this title exists"),
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
        "film remove",
        "Remove a film with its reviews and screenings (moderators)",
        (
            Param("film", ParamKind.TITLE, "Film to remove", required=True, max_length=TITLE_MAX),
            Param("confirm", ParamKind.BOOL, "Yes, remove its reviews and screenings too"),
        ),
        min_role=Role.MODERATOR,
    ),
    CommandSpec(
        "showtime add",
        "Add a screening (moderators)",
        (
            Param("film", ParamKind.TITLE, "Film title", required=True, max_length=TITLE_MAX),
            Param(
                "cinema",
                ParamKind.TEXT,
                "Cinema name",
                required=True,
                max_length=limits.CINEMA_NAME_MAX,
            ),
            Param(
                "starts",
                ParamKind.WHEN,
                "Local start, 2025-07-25 18:30",
                required=True,
                max_length=WHEN_MAX,
            ),
            Param("event", ParamKind.TEXT, "Festival or event", max_length=limits.EVENT_NAME_MAX),
            Param(
                "format",
                ParamKind.TEXT,
                "Format or notes (35mm, subtitled)",
                max_length=limits.FORMAT_MAX,
            ),
            Param("ticket", ParamKind.TEXT, "Ticket link", max_length=limits.TICKET_URL_MAX),
            Param("past", ParamKind.BOOL, "Yes, it starts in the past (a record, no alerts)"),
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
        (Param("entry", ParamKind.INT, "One entry in full, every value before and after"), _page),
        min_role=Role.MODERATOR,
    ),
    CommandSpec(
        "import showtimes",
        "Import screenings from an attached .ics or CSV file (moderators)",
        (
            Param("file", ParamKind.FILE, "An iCalendar (.ics) or CSV listing", required=True),
            Param(
                "event",
                ParamKind.TEXT,
                "Put every screening in this festival",
                max_length=limits.EVENT_NAME_MAX,
            ),
            Param(
                "remove_missing",
                ParamKind.BOOL,
                "Cancel this source's upcoming screenings the file no longer lists",
            ),
            Param(
                "source",
                ParamKind.TEXT,
                "Name of this listing (default: the calendar's or the file's name)",
                max_length=100,
            ),
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
                max_length=limits.ALERT_TARGET_INPUT_MAX,
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
                max_length=limits.ZONE_MAX,
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
                "cities",
                ParamKind.TEXT,
                "Only in these cities, comma-separated",
                max_length=LIST_MAX,
            ),
        ),
    ),
    CommandSpec("watchlist", "The films on your watchlist"),
    CommandSpec(
        "unwatch",
        "Remove a film from your watchlist",
        (Param("title", ParamKind.TITLE, "Film title", required=True, max_length=TITLE_MAX),),
    ),
    # The community this server or workspace belongs to (bot/handlers/community.py).
    CommandSpec("settings", "This community's settings (admins)", min_role=Role.ADMIN),
    CommandSpec(
        "settings set",
        "Change a setting: moderators, timezone, city, reminder, digest (admins)",
        (
            Param(
                "key",
                ParamKind.TEXT,
                "moderators, timezone, city, reminder or digest",
                required=True,
                # Typed as one line the value comes with it (`settings set city Perth`).
                max_length=LIST_MAX,
            ),
            Param(
                "value",
                ParamKind.TEXT,
                "The new value; none clears it",
                max_length=LIST_MAX,
            ),
        ),
        min_role=Role.ADMIN,
    ),
    CommandSpec("community", "Which community this is, and the spaces it spans"),
    CommandSpec(
        "community link",
        "A one-time code that lets another server or workspace join this community (admins)",
        min_role=Role.ADMIN,
    ),
    CommandSpec(
        "community join",
        "Join the community a code from `community link` names (admins)",
        (Param("code", ParamKind.TEXT, "The code", required=True, max_length=40),),
        min_role=Role.ADMIN,
    ),
    CommandSpec(
        "community unlink",
        "Take this server or workspace out of the community it shares (admins)",
        min_role=Role.ADMIN,
    ),
    CommandSpec(
        "community use",
        "In direct messages: act in another of your communities",
        (Param("name", ParamKind.TEXT, "The community's name", required=True, max_length=100),),
    ),
    CommandSpec(
        "community export",
        "Everything this community owns, counted and handed over as a zip file (admins)",
        min_role=Role.ADMIN,
    ),
    CommandSpec(
        "community delete",
        "Delete everything this community owns (admins)",
        (Param("confirm", ParamKind.BOOL, "Yes, delete all of it"),),
        min_role=Role.ADMIN,
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
            Param("city", ParamKind.TEXT, "City or cinema", max_length=QUERY_MAX),
            Param("days", ParamKind.INT, "How many days ahead (default 7)"),
            _page,
        ),
    ),
    CommandSpec(
        "not interested",
        "Never recommend this film to me again",
        (Param("title", ParamKind.TITLE, "Film title", required=True, max_length=TITLE_MAX),),
    ),
    CommandSpec(
        "interested",
        "Recommend this film to me again (undoes not interested)",
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
