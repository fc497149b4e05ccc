"""Paging: which slice of a result a command shows, and the `PageInfo` that moves through it."""

from __future__ import annotations

from math import ceil

from bot.context import Context, UserError
from bot.types import ArgValue, PageInfo


def page_window(args: dict[str, ArgValue], total: int, per_page: int) -> tuple[int, int, int]:
    """(page, offset, page_count) for the requested page; refuses pages that don't exist."""
    pages = max(1, ceil(total / per_page))
    raw = args.get("page")
    page = int(raw) if isinstance(raw, int | float | str) and raw else 1
    if page < 1 or page > pages:
        raise UserError(f"There {'is' if pages == 1 else 'are'} {pages} page(s); no page {page}.")
    return page, (page - 1) * per_page, pages


def page_info(ctx: Context, args: dict[str, ArgValue], page: int, pages: int) -> PageInfo | None:
    if pages <= 1:
        return None
    base = {k: v for k, v in args.items() if k != "page"}
    return PageInfo(command=ctx.spec.name, args=base, page=page, page_count=pages)
