"""Command name → handler. A test checks that every registry command has one."""

from __future__ import annotations

from collections.abc import Callable

from bot.context import Context
from bot.handlers import moderation, reading
from bot.types import ArgValue, Reply

Handler = Callable[[Context, dict[str, ArgValue]], Reply]

HANDLERS: dict[str, Handler] = {
    "help": reading.help_,
    "review": reading.review,
    "film": reading.film,
    "showtimes": reading.showtimes,
    "search": reading.search,
    "review add": moderation.review_add,
    "review edit": moderation.review_edit,
    "review remove": moderation.review_remove,
    "film add": moderation.film_add,
    "film edit": moderation.film_edit,
    "showtime add": moderation.showtime_add,
    "showtime remove": moderation.showtime_remove,
    "audit": moderation.audit_log,
}
