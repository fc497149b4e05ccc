"""`settings`, `settings set` and `community …`: a community's own settings, and the spaces
(servers, workspaces) it spans.

Linking: an admin runs `community link` and gets a one-time code, valid for LINK_MINUTES; an
admin of another space runs `community join <code>` there, and that space's commands act in
the first community from then on. `community unlink` takes a space back out (to the community
it came from, or a new empty one). Every step is audit-logged in the communities concerned.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import timedelta

from bot import audit
from bot.community_export import ZIP_MIME, community_files, community_zip, zip_name
from bot.community_settings import KEYS, SettingsInputError
from bot.context import Context, UserError
from bot.handlers.moderation_confirm import refuse_unless_confirmed
from bot.types import ArgValue, Notice, Reply, ReplyFile, Table
from storage import communities
from storage.models_communities import Space

LINK_MINUTES = 10
# Letters and digits nobody misreads (no 0/O, 1/I/L): the code is typed by hand.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 10


def settings(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    current = ctx.here.settings
    rows = tuple((key, current.shown(key), how) for key, how in KEYS.items())
    return Reply(
        blocks=(
            Table(f"Settings of {ctx.here.name}", ("setting", "value", "takes"), rows),
            Notice("Change one with `settings set <setting> <value>`."),
        ),
        ephemeral=True,
    )


def settings_set(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    key = str(args["key"]).strip()
    value = args.get("value")
    if value is None and " " in key:
        # Typed as one line (`settings set city Copenhagen`): the first word names the setting.
        key, value = key.split(None, 1)
    key = key.lower()
    if value is None:
        raise UserError(
            f"`settings set {key[:20]}` needs a value (`none` clears it).", param="value"
        )
    value = str(value)
    before = ctx.here.settings
    try:
        after = before.with_value(key, value, ctx.actor.platform)
    except SettingsInputError as exc:
        raise UserError(str(exc), param="value" if key in KEYS else "key") from exc
    communities.save_settings(ctx.session, ctx.community_id, after.dump())
    audit.record(
        ctx.session,
        ctx.actor,
        ctx.now,
        "settings set",
        "community",
        ctx.community_id,
        {key: before.shown(key)},
        {key: after.shown(key)},
    )
    return Reply.notice(f"{key} is now: {after.shown(key)}.")


def community(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    spaces = communities.spaces_of(ctx.session, ctx.community_id)
    rows = tuple(
        (
            space.platform,
            space.name or space.external_id,
            "left " + space.left_at.date().isoformat() if space.left_at else "in",
        )
        for space in spaces
        if not space.external_id.startswith("dm:")
    )
    return Reply(
        blocks=(
            Table(
                f"Community {ctx.community_id}: {ctx.here.name}",
                ("platform", "space", "bot"),
                rows,
            ),
        ),
        ephemeral=True,
    )


def community_link(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    _refuse_in_dm(ctx)
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    expires = ctx.now + timedelta(minutes=LINK_MINUTES)
    communities.add_link_code(ctx.session, ctx.community_id, code, ctx.actor.user_id, expires)
    audit.record(
        ctx.session,
        ctx.actor,
        ctx.now,
        "community link",
        "community",
        ctx.community_id,
        None,
        {"name": f"a link code, valid until {expires.isoformat(timespec='minutes')}"},
    )
    return private(
        f"An admin of the other server or workspace runs `community join {code}` there within "
        f"{LINK_MINUTES} minutes; it then shares this community's reviews, ratings, lists, "
        "alerts and settings. The code works once."
    )


def community_join(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    _refuse_in_dm(ctx)
    target = communities.take_link_code(ctx.session, str(args["code"]), ctx.now)
    if target is None:
        raise UserError(
            "That code is wrong, used or expired. Nothing was changed. Ask for a new one "
            "(`community link` in the other space).",
            param="code",
        )
    if target == ctx.community_id:
        raise UserError("This space is in that community already. Nothing was changed.")
    space = communities.move_space(
        ctx.session, ctx.channel.platform, ctx.channel.workspace_id, target
    )
    if space is None:  # every space that ran a command has a row
        raise UserError("This space is not known yet. Nothing was changed.")
    joined = communities.get_community(ctx.session, target)
    name = joined.name if joined else str(target)
    _log_move(ctx, space, ctx.community_id, target, "community join")
    return Reply.notice(
        f"This space is now part of {name}: its commands read and write that community's data. "
        f"What it had before stays in its old community; `community unlink` goes back to it."
    )


def community_unlink(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    _refuse_in_dm(ctx)
    space = communities.find_space(ctx.session, ctx.channel.platform, ctx.channel.workspace_id)
    others = [
        s
        for s in communities.spaces_of(ctx.session, ctx.community_id)
        if space is not None and s.id != space.id and not s.external_id.startswith("dm:")
    ]
    if space is None or not others:
        raise UserError("This space shares its community with no other. Nothing was changed.")
    left = ctx.community_id
    back = communities.unlink_space(ctx.session, space, ctx.now)
    _log_move(ctx, space, left, back.id, "community unlink")
    return Reply.notice(
        f"This space is on its own again, in {back.name}; the community it left keeps its data."
    )


def community_use(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    """Direct messages act in the community used last: pick another by name."""
    wanted = str(args["name"]).strip().casefold()
    mine = communities.member_communities(ctx.session, ctx.actor.platform, ctx.actor.user_id)
    match = [m for m in mine if m.name.casefold() == wanted]
    if not match:
        names = ", ".join(m.name for m in mine[:10]) or "none yet"
        raise UserError(f"You are in no community called that. Yours: {names}.", param="name")
    communities.member_seen(
        ctx.session,
        match[0].community_id,
        ctx.actor.platform,
        ctx.actor.user_id,
        ctx.now,
        force=True,
    )
    return private(f"Your direct messages now act in {match[0].name}.")


def community_export(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    """What the community owns, counted, with all of it attached as one zip. The adapter
    delivers the file; where the platform cannot take it, it shows the operator's command."""
    files = community_files(ctx.session, ctx.community_id)
    rows = tuple((table, str(n)) for table, n in files.counts.items())
    name = zip_name(ctx.community_id)
    attached = ReplyFile(
        name=name,
        data=community_zip(files, ctx.community_id, ctx.now),
        mime=ZIP_MIME,
        instead=(
            "Marquee's operator can write the same files with "
            f"`marquee export community {ctx.community_id} --output FOLDER`."
        ),
    )
    return Reply(
        blocks=(
            Table(f"What {ctx.here.name} owns", ("table", "rows"), rows),
            Notice(
                f"The export is {name}: all of it as JSON (community-{ctx.community_id}.json) "
                f"and its screenings as iCalendar (community-{ctx.community_id}.ics)."
            ),
        ),
        ephemeral=True,
        files=(attached,),
    )


def community_delete(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    _refuse_in_dm(ctx)
    if not args.get("confirm"):
        refuse_unless_confirmed(
            ctx,
            args,
            "confirm",
            f"This deletes every review, rating, list, alert, listing, setting and audit entry "
            f"of {ctx.here.name}, for every space in it.",
        )
    name = ctx.here.name
    communities.delete_community(ctx.session, ctx.community_id)
    return Reply.notice(
        f"{name} is deleted with everything it owned. This space starts afresh, empty, the next "
        "time someone uses Marquee here."
    )


def _log_move(ctx: Context, space: Space, left: int, joined: int, action: str) -> None:
    """A space moving between communities is in both communities' audit logs."""
    where = {"name": f"space {space.platform}:{space.external_id}"}
    for community_id, before, after in ((left, where, None), (joined, None, where)):
        audit.record(
            ctx.session,
            ctx.actor,
            ctx.now,
            action,
            "community",
            joined,
            before,
            after,
            community_id=community_id,
        )


def private(text: str) -> Reply:
    """A notice only the asker sees (a link code must not be shown to the channel)."""
    return replace(Reply.notice(text), ephemeral=True)


def _refuse_in_dm(ctx: Context) -> None:
    if ctx.here.direct:
        raise UserError("Run that in a server or workspace: a direct message has none.")
