"""The `audit` command: the moderators' actions, a page at a time, and one entry in full."""

from __future__ import annotations

from bot import audit
from bot.args import int_arg
from bot.context import Context, UserError
from bot.paging import page_info, page_window
from bot.types import ArgValue, Choice, Choices, Notice, Reply, Table, Text
from storage import audit_queries
from storage.models_audit import AuditEntry

AUDIT_PER_PAGE = 10


def audit_log(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    if args.get("entry") is not None:
        return _audit_entry(ctx, int_arg(args, "entry"))
    _, total = audit_queries.recent_audit(ctx.session, 0, 0)
    if total == 0:
        return Reply(blocks=(Notice("No moderator actions yet."),), ephemeral=True)
    page, offset, pages = page_window(args, total, AUDIT_PER_PAGE)
    rows, _ = audit_queries.recent_audit(ctx.session, offset, AUDIT_PER_PAGE)
    table = Table(
        heading="Recent moderator actions",
        columns=("When (UTC)", "Who", "Action", "What", "Change"),
        rows=tuple(
            (f"{e.at:%Y-%m-%d %H:%M}", e.actor_name, e.action, _what(e), audit.summary(e))
            for e in rows
        ),
    )
    # The table's cells are short on every platform; each entry has a full view.
    full = Choices(
        "Every value before and after:",
        tuple(
            Choice(f"Entry #{e.id}: {e.action}, {_what(e)}", "audit", {"entry": e.id}) for e in rows
        ),
    )
    return Reply(blocks=(table, full), ephemeral=True, page=page_info(ctx, args, page, pages))


def _what(e: AuditEntry) -> str:
    if e.entity_id is None:  # an import: the entry counts many rows
        return f"{e.entity}s"
    return f"{e.entity} #{e.entity_id}"


def _audit_entry(ctx: Context, entry_id: int) -> Reply:
    e = audit_queries.get_audit_entry(ctx.session, entry_id)
    if e is None:
        raise UserError(f"There is no audit entry #{entry_id}.")
    head = f"Audit entry #{e.id}: {e.action}, {_what(e)}, by {e.actor_name}"
    head += f" at {e.at:%Y-%m-%d %H:%M} UTC"
    return Reply(blocks=(Text("\n".join([head, *audit.details(e)])),), ephemeral=True)
