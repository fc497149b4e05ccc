"""Every text limit Marquee has, declared once.

The schema (storage/models.py) sizes its columns from these, and the core (bot/registry.py,
bot/catalogue.py, bot/audit.py) checks input against the same names, so a value the core
accepts always fits its column: PostgreSQL refuses an over-long value where SQLite silently
keeps it, and that difference must never reach a user as "Something went wrong".

Lengths are in characters (PostgreSQL's VARCHAR(n) counts characters, not bytes).
"""

from __future__ import annotations

# --- Films --------------------------------------------------------------------------------
TITLE_MAX = 200  # a film's title, original title and each alternative title
PERSON_NAME_MAX = 200  # a director's or cast member's name
GENRE_MAX = 40  # one genre ("drama"); stored lower-case
EXTERNAL_ID_MAX = 40  # an id in an outside catalogue (IMDb's tconst)
# Slack's section text is limited to 3,000 characters and Discord's embed description to
# 4,096: a review body or synopsis that fits both renders whole everywhere. Stored as TEXT.
BODY_MAX = 3000
# A year as a film label shows it after a title: "Solaris (1972)".
YEAR_SUFFIX_MAX = len(" (2100)")

# --- Normal forms ---------------------------------------------------------------------------
# bot/normalize.py transliterates to ASCII, which can lengthen text a lot: a CJK character
# becomes up to 9 letters ("zhuang"), an emoji up to 42 (":woman_mechanic_…:"). Every normal
# form is cut to NORM_MAX, in `normalize` itself, so what is stored and what a lookup computes
# are the same string, and the column always holds it. 4× a title keeps every realistic
# title whole (CJK averages about 3 letters a character) and fits a PostgreSQL index entry.
NORM_MAX = 4 * TITLE_MAX

# --- Reviews ----------------------------------------------------------------------------------
HEADLINE_MAX = 150
AUTHOR_NAME_MAX = 80  # a review's byline

# --- Cinemas, events, screenings -------------------------------------------------------------
CINEMA_NAME_MAX = 200
CITY_MAX = 100
ADDRESS_MAX = 300
EVENT_NAME_MAX = 200  # a festival or season
FORMAT_MAX = 200  # "35mm, subtitled"
TICKET_URL_MAX = 500
SHOWTIME_UID_MAX = 255  # the calendar UID (or CSV key) a screening was imported under
SOURCE_MAX = 255  # which import put a screening there
ZONE_MAX = 64  # an IANA time zone name

# --- Who and where ----------------------------------------------------------------------------
PLATFORM_MAX = 20  # "discord", "slack", "console", "cli", "file"
USER_ID_MAX = 64  # a platform's user id (Discord snowflake, Slack U…, the console's name)
WORKSPACE_ID_MAX = 64  # a Slack team or Discord guild id
CHANNEL_ID_MAX = 64
# A platform display name as the audit log and a default byline keep it. Platforms allow
# longer names than this (and nobody typed them into Marquee), so they are shortened, not
# refused.
ACTOR_NAME_MAX = AUTHOR_NAME_MAX

# --- Alerts -----------------------------------------------------------------------------------
# What a subscription follows, as text: a film label ("Title (1972)"), an event's or
# cinema's name, or a city's normal form. Wide enough for the longest of each.
ALERT_TARGET_TEXT_MAX = max(TITLE_MAX + YEAR_SUFFIX_MAX, EVENT_NAME_MAX, CINEMA_NAME_MAX, NORM_MAX)
# What a moderator may type to name a target: a prefix and the longest of those names.
ALERT_TARGET_INPUT_MAX = len("cinema:") + max(
    TITLE_MAX + YEAR_SUFFIX_MAX, EVENT_NAME_MAX, CINEMA_NAME_MAX, CITY_MAX
)
# The same target as one key: "film:12", "city:<normal form>", "all".
ALERT_TARGET_KEY_MAX = len("cinema:") + ALERT_TARGET_TEXT_MAX
DIGEST_TIME_MAX = len("HH:MM")
PAUSED_REASON_MAX = 200

# --- Audit ------------------------------------------------------------------------------------
AUDIT_ACTION_MAX = 40  # "review add", "import showtimes", ...
AUDIT_ENTITY_MAX = 20  # review | film | showtime | subscription | ...


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis, for values nobody typed into Marquee
    (a platform's display name): better a shortened name in the audit log than a failed write.
    """
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# Communities (storage/models_communities.py)
COMMUNITY_NAME_MAX = 100  # a community's name: its first server's or workspace's name
SPACE_NAME_MAX = 100
LINK_CODE_MAX = 64  # a linking code's hash (hex SHA-256)
