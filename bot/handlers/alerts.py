"""Handlers: `alerts subscribe|list|remove` for channels; `watch`, `watchlist`, `unwatch`."""

from __future__ import annotations

from typing import Any

from bot import audit
from bot.alerts.rules import (
    RuleError,
    next_local_time,
    parse_digest_time,
    parse_kinds,
    parse_leads,
    parse_zone,
)
from bot.args import int_arg
from bot.cards import film_label
from bot.context import Context, UserError
from bot.film_lookup import resolve_film
from bot.normalize import normalize
from bot.types import ArgValue, Created, Notice, Reply, Table
from storage import alert_subscriptions, film_queries, place_queries
from storage.models_alerts import Subscription
from storage.models_members import WatchlistItem

ALL_WORDS = {"all", "everything", "*"}
PREFIXES = ("film", "cinema", "event", "city")


class _Target:
    def __init__(self, kind: str, target_id: int | None, text: str | None, label: str, tz: str):
        self.kind, self.id, self.text, self.label, self.tz = kind, target_id, text, label, tz


def _resolve_target(ctx: Context, raw: str) -> _Target:
    """`all`, `film:…`, `cinema:…`, `event:…`, `city:…`, or a bare name tried in that order:
    an event, a cinema, a city (exact names), else a film title resolved like everywhere."""
    text = raw.strip()
    if normalize(text) in ALL_WORDS or text == "*":
        return _Target("all", None, None, "everything", "UTC")
    kind = None
    head, sep, rest = text.partition(":")
    if sep and head.strip().lower() in PREFIXES:
        kind, text = head.strip().lower(), rest.strip()
    if not text:
        raise UserError("Say what to follow, e.g. `alerts subscribe city:Perth`.")
    norm = normalize(text)
    if kind in (None, "event"):
        events = (
            place_queries.events_matching(ctx.session, norm) if kind else _exact_events(ctx, norm)
        )
        if len(events) == 1:
            event = events[0]
            zones = {c.timezone for c in event.cinemas}
            return _Target("event", event.id, event.name, event.name, _one(zones))
        if kind:
            raise UserError(_none_or_many("event", text, [e.name for e in events]))
    if kind in (None, "cinema"):
        cinemas = place_queries.cinemas_matching(ctx.session, norm)
        if not kind:
            cinemas = [c for c in cinemas if c.norm == norm]
        if len(cinemas) == 1:
            c = cinemas[0]
            return _Target("cinema", c.id, c.name, f"{c.name}, {c.city}", c.timezone)
        if kind:
            known = [c.name for c in (cinemas or place_queries.all_cinemas(ctx.session))]
            raise UserError(_none_or_many("cinema", text, known, many=bool(cinemas)))
    if kind in (None, "city"):
        in_city = place_queries.cinemas_in_city(ctx.session, norm)
        if in_city:
            return _Target("city", None, norm, in_city[0].city, _one({c.timezone for c in in_city}))
        if kind:
            cities = sorted({c.city for c in place_queries.all_cinemas(ctx.session)})
            raise UserError(
                f"No cinema is in a city called “{text[:60]}”. Cities: {', '.join(cities[:15])}."
            )
    film = resolve_film(ctx, text, arg="target")
    return _Target("film", film.id, film_label(film), film_label(film), "UTC")


def _exact_events(ctx: Context, norm: str) -> list[Any]:
    return [e for e in place_queries.events_matching(ctx.session, norm) if e.norm == norm]


def _one(zones: set[str]) -> str:
    return next(iter(zones)) if len(zones) == 1 else "UTC"


def _none_or_many(what: str, text: str, names: list[str], *, many: bool | None = None) -> str:
    many = bool(names) if many is None else many
    if many:
        return f"“{text[:60]}” could be {', '.join(names[:8])}. Be more exact. Nothing was stored."
    listing = ", ".join(names[:15]) or "none yet"
    return f"No {what} called “{text[:60]}”. Known: {listing}. Nothing was stored."


def _describe(sub: Subscription, label: str) -> str:
    parts = []
    if "new" in sub.kinds:
        parts.append("new screenings")
    if "reminder" in sub.kinds:
        leads = ", ".join(str(m) for m in sub.reminder_leads_minutes)
        parts.append(f"reminders {leads} min before")
    if "digest" in sub.kinds:
        parts.append(f"a digest at {sub.digest_local_time} {sub.timezone}")
    return f"{label}: {'; '.join(parts)}"


def _label(ctx: Context, sub: Subscription) -> str:
    if sub.target_kind == "city":
        cinemas = place_queries.cinemas_in_city(ctx.session, sub.target_text or "")
        return f"city {cinemas[0].city if cinemas else sub.target_text}"
    if sub.target_kind == "all":
        return "everything"
    return f"{sub.target_kind} {sub.target_text}"


def _snapshot(sub: Subscription) -> dict[str, Any]:
    return {
        "channel": f"{sub.platform}:{sub.workspace_id}:{sub.channel_id}",
        "target": f"{sub.target_kind}:{sub.target_text or ''}",
        "kinds": list(sub.kinds),
        "leads": list(sub.reminder_leads_minutes),
        "digest": sub.digest_local_time,
        "timezone": sub.timezone,
    }


def alerts_subscribe(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    try:
        kinds = parse_kinds(_text(args.get("kinds")))
        # What the command leaves out, the community's settings give (bot/community_settings.py).
        defaults = ctx.here.settings
        leads_text = _text(args.get("leads")) or (
            str(defaults.reminder_minutes) if defaults.reminder_minutes else None
        )
        leads = parse_leads(leads_text) if "reminder" in kinds else ()
        digest_text = _text(args.get("digest")) or defaults.digest_time
        digest = parse_digest_time(digest_text) if "digest" in kinds else None
        zone_text = str(args["zone"]) if args.get("zone") else defaults.timezone
        zone_arg = parse_zone(zone_text) if zone_text else None
    except RuleError as exc:
        raise UserError(f"{exc} Nothing was stored.") from exc
    if args.get("leads") and "reminder" not in kinds:
        raise UserError("Lead times need the reminder kind (kinds=reminder). Nothing was stored.")
    if args.get("digest") and "digest" not in kinds:
        raise UserError("A digest time needs the digest kind (kinds=digest). Nothing was stored.")
    target = _resolve_target(ctx, str(args["target"]))
    channel = ctx.channel
    existing = next(
        (
            s
            for s in alert_subscriptions.channel_subscriptions(
                ctx.session, channel.platform, channel.workspace_id, channel.channel_id
            )
            if s.target_kind == target.kind
            and s.target_id == target.id
            and (target.kind != "city" or s.target_text == target.text)
        ),
        None,
    )
    before = _snapshot(existing) if existing else None
    sub = existing or Subscription(
        community_id=ctx.community_id,
        platform=channel.platform,
        workspace_id=channel.workspace_id,
        channel_id=channel.channel_id,
        target_kind=target.kind,
        target_id=target.id,
        target_text=target.text,
        created_by=ctx.actor.user_id,
        created_at=ctx.now,
    )
    sub.kinds = list(kinds)
    sub.reminder_leads_minutes = list(leads)
    sub.digest_local_time = digest
    sub.timezone = zone_arg or target.tz
    sub.next_digest_at = next_local_time(digest, sub.timezone, ctx.now) if digest else None
    sub.paused, sub.paused_reason = False, None
    if existing is None:
        ctx.session.add(sub)
    ctx.session.flush()
    alert_subscriptions.set_leads(ctx.session, sub, leads)
    audit.record(
        ctx.session,
        ctx.actor,
        ctx.now,
        "alerts subscribe",
        "subscription",
        sub.id,
        before,
        _snapshot(sub),
    )
    verb = "Updated" if existing else "Subscribed this channel to"
    note = ""
    if digest and not zone_arg and sub.timezone == "UTC" and target.kind in ("film", "all"):
        note = " (digest times are UTC; add zone=Area/City to change)"
    return Reply(
        blocks=(Notice(f"{verb} {_describe(sub, target.label)}{note}. Subscription #{sub.id}."),),
        created=Created("subscription", sub.id),
    )


def alerts_list(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    channel = ctx.channel
    subs = alert_subscriptions.channel_subscriptions(
        ctx.session, channel.platform, channel.workspace_id, channel.channel_id
    )
    if not subs:
        return Reply.notice(
            "This channel has no alert subscriptions. A moderator can add one with "
            "`alerts subscribe`."
        )
    rows = tuple(
        (
            f"#{s.id}",
            _describe(s, _label(ctx, s)),
            f"paused: {s.paused_reason}" if s.paused else "active",
        )
        for s in subs
    )
    return Reply(
        blocks=(Table("Alert subscriptions in this channel", ("#", "alerts", "status"), rows),)
    )


def alerts_remove(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    channel = ctx.channel
    number = int_arg(args, "subscription")
    sub = ctx.session.get(Subscription, number)
    if (
        sub is None
        or sub.community_id != ctx.community_id
        or (sub.platform, sub.workspace_id, sub.channel_id)
        != (channel.platform, channel.workspace_id, channel.channel_id)
    ):
        raise UserError(f"This channel has no alert subscription #{number}. See `alerts list`.")
    before = _snapshot(sub)
    label = _label(ctx, sub)
    alert_subscriptions.delete_subscription_alerts(ctx.session, sub)
    ctx.session.delete(sub)
    audit.record(
        ctx.session, ctx.actor, ctx.now, "alerts remove", "subscription", number, before, None
    )
    return Reply.notice(f"Subscription #{number} ({label}) removed; its pending alerts with it.")


def _text(value: ArgValue) -> str | None:
    return None if value is None else str(value)


def _cities(ctx: Context, raw: ArgValue) -> list[str]:
    if not raw:
        return []
    names = [c.strip() for c in str(raw).split(",") if c.strip()]
    out = []
    for name in names:
        cinemas = place_queries.cinemas_in_city(ctx.session, normalize(name))
        if not cinemas:
            cities = sorted({c.city for c in place_queries.all_cinemas(ctx.session)})
            raise UserError(
                f"No cinema is in a city called “{name[:60]}”. Cities: "
                f"{', '.join(cities[:15])}. Nothing was stored."
            )
        out.append(cinemas[0].city)
    return sorted(set(out))


def watch(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    film = resolve_film(ctx, str(args["title"]), arg="title", keep=dict(args))
    cities = _cities(ctx, args.get("cities"))
    actor = ctx.actor
    item = alert_subscriptions.watch_item(ctx.session, actor.platform, actor.user_id, film.id)
    if item is None:
        item = WatchlistItem(
            community_id=ctx.community_id,
            platform=actor.platform,
            user_id=actor.user_id,
            film_id=film.id,
            added_at=ctx.now,
        )
        ctx.session.add(item)
    item.cities = cities
    item.workspace_id = ctx.channel.workspace_id
    where = f" in {', '.join(cities)}" if cities else ""
    return Reply(
        blocks=(
            Notice(
                f"{film_label(film)} is on your watchlist: you'll get a direct message when it "
                f"gets a new screening{where}."
            ),
        ),
        ephemeral=True,
    )


def unwatch(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    film = resolve_film(ctx, str(args["title"]), arg="title")
    actor = ctx.actor
    item = alert_subscriptions.watch_item(ctx.session, actor.platform, actor.user_id, film.id)
    if item is None:
        raise UserError(f"{film_label(film)} is not on your watchlist. See `watchlist`.")
    ctx.session.delete(item)
    return Reply(
        blocks=(Notice(f"{film_label(film)} removed from your watchlist."),), ephemeral=True
    )


def watchlist(ctx: Context, args: dict[str, ArgValue]) -> Reply:
    items = alert_subscriptions.watchlist(ctx.session, ctx.actor.platform, ctx.actor.user_id)
    if not items:
        return Reply(
            blocks=(Notice("Your watchlist is empty. Add a film with `watch <title>`."),),
            ephemeral=True,
        )
    films = film_queries.get_films(ctx.session, [i.film_id for i in items])
    rows = tuple(
        (film_label(films[i.film_id]), ", ".join(i.cities) or "anywhere")
        for i in items
        if i.film_id in films
    )
    return Reply(
        blocks=(Table("Your watchlist (remove with `unwatch <title>`)", ("film", "cities"), rows),),
        ephemeral=True,
    )
