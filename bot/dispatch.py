"""Command name → handler. A test checks that every registry command has one."""

from __future__ import annotations

from collections.abc import Callable

from bot.context import Context
from bot.handlers import (
    alerts,
    community,
    export,
    imports,
    moderation_audit,
    moderation_films,
    moderation_reviews,
    moderation_showtimes,
    reading,
    recommend,
    recommend_feedback,
)
from bot.types import ArgValue, Reply

Handler = Callable[[Context, dict[str, ArgValue]], Reply]

HANDLERS: dict[str, Handler] = {
    "help": reading.help_,
    "review": reading.review,
    "film": reading.film,
    "showtimes": reading.showtimes,
    "search": reading.search,
    "export": export.export,
    "review add": moderation_reviews.review_add,
    "review edit": moderation_reviews.review_edit,
    "review remove": moderation_reviews.review_remove,
    "film add": moderation_films.film_add,
    "film edit": moderation_films.film_edit,
    "film remove": moderation_films.film_remove,
    "showtime add": moderation_showtimes.showtime_add,
    "showtime remove": moderation_showtimes.showtime_remove,
    "audit": moderation_audit.audit_log,
    "import showtimes": imports.import_showtimes_file,
    "alerts subscribe": alerts.alerts_subscribe,
    "alerts list": alerts.alerts_list,
    "alerts remove": alerts.alerts_remove,
    "watch": alerts.watch,
    "watchlist": alerts.watchlist,
    "unwatch": alerts.unwatch,
    "settings": community.settings,
    "settings set": community.settings_set,
    "community": community.community,
    "community link": community.community_link,
    "community join": community.community_join,
    "community unlink": community.community_unlink,
    "community use": community.community_use,
    "community export": community.community_export,
    "community delete": community.community_delete,
    "rate": recommend_feedback.rate,
    "recommend": recommend.recommend,
    "recommend like": recommend.recommend_like,
    "recommend showing": recommend.recommend_showing,
    "not interested": recommend_feedback.not_interested,
    "interested": recommend_feedback.interested,
}
