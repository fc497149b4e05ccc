"""The whole schema, as SQLAlchemy 2.x typed models. Alembic migrations create it; see migrations/.

The tables live in modules by concern (`models_catalogue`, `models_screenings`,
`models_members`, `models_alerts`, `models_audit`, `models_slack` for Slack installations, on
`models_base`). Importing this module registers every one of them on `Base.metadata`, which is
why Alembic's env.py and anything that compares or creates the whole schema take `Base` from
here. The table names are re-exported for
callers that still import them from here; new code imports the concern module.
"""

from __future__ import annotations

from storage.models_alerts import AlertCursor, AlertOutbox, Subscription, SubscriptionLead
from storage.models_audit import AuditEntry
from storage.models_base import NAMING_CONVENTION, Base, UTCDateTime
from storage.models_catalogue import Credit, Film, FilmGenre, FilmTitle, Person, Review
from storage.models_communities import Community, CommunityMember, LinkCode, Space
from storage.models_members import MemberRating, NotInterested, WatchlistItem
from storage.models_screenings import Cinema, Event, EventCinema, Showtime
from storage.models_slack import slack_installations  # noqa: F401  (registers the Slack tables)

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "UTCDateTime",
    "Film",
    "FilmTitle",
    "Person",
    "Credit",
    "FilmGenre",
    "Review",
    "Cinema",
    "Event",
    "EventCinema",
    "Showtime",
    "MemberRating",
    "WatchlistItem",
    "NotInterested",
    "Subscription",
    "SubscriptionLead",
    "AlertOutbox",
    "AlertCursor",
    "AuditEntry",
    "Community",
    "Space",
    "CommunityMember",
    "LinkCode",
]
