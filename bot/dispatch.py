"""Command name → handler. A test checks that every registry command has one."""

from __future__ import annotations

from collections.abc import Callable

from bot.context import Context
from bot.handlers import alerts, export, imports, moderation, reading, recommend
from bot.types import ArgValue, Reply

Handler = Callable[[Context, dict[str, ArgValue]], Reply]

HANDLERS: dict[str, Handler] = {
    "help": reading.help_,
    "review": reading.review,
    "film": reading.film,
    "showtimes": reading.showtimes,
    "search": reading.search,
    "export": export.export,
    "review add": moderation.review_add,
    "review edit": moderation.review_edit,
    "review remove": moderation.review_remove,
    "film add": moderation.film_add,
    "film edit": moderation.film_edit,
    "film remove": moderation.film_remove,
    "showtime add": moderation.showtime_add,
    "showtime remove": moderation.showtime_remove,
    "audit": moderation.audit_log,
    "import showtimes": imports.import_showtimes_file,
    "alerts subscribe": alerts.alerts_subscribe,
    "alerts list": alerts.alerts_list,
    "alerts remove": alerts.alerts_remove,
    "watch": alerts.watch,
    "watchlist": alerts.watchlist,
    "unwatch": alerts.unwatch,
    "rate": recommend.rate,
    "recommend": recommend.recommend,
    "recommend like": recommend.recommend_like,
    "recommend showing": recommend.recommend_showing,
    "not interested": recommend.not_interested,
    "interested": recommend.interested,
}
