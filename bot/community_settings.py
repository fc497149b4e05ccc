"""A community's settings: who moderates it, its time zone and home city, its alert defaults.

Stored as JSON on the community (storage/models_communities.py); read and checked here. The
environment (`DISCORD_MOD_ROLE_IDS`, `SLACK_MOD_*`) still names moderators for a single
self-hosted community; these add to it, per community.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.alerts.rules import RuleError, parse_digest_time, parse_leads, parse_zone
from bot.types import Actor, Role

MAX_MODERATORS = 50
HOME_CITY_MAX = 100

# `settings set <key> …`: each key and what it takes, as shown by `settings`.
KEYS = {
    "moderators": (
        "Discord: role or user mentions (or ids); Slack: user ids (U…) or user group ids "
        "(S…); comma-separated; `none` clears"
    ),
    "timezone": "an IANA zone, e.g. Europe/Copenhagen",
    "city": "the home city `showtimes` lists when no place is named; `none` clears",
    "reminder": "the default reminder lead for new subscriptions, e.g. 60 or 2h",
    "digest": "the default digest time for new subscriptions, HH:MM",
}

# Discord: <@&role> a role, <@user> or <@!user> a user. Slack: <!subteam^S…> a user group,
# <@U…> a user (with an optional |name). Bare ids are taken as roles on Discord, users on Slack.
_DISCORD_ROLE = re.compile(r"<@&(\d{5,25})>")
_DISCORD_USER = re.compile(r"<@!?(\d{5,25})>")
_SLACK_GROUP = re.compile(r"<!subteam\^([A-Z0-9]{2,30})(?:\|[^>]*)?>")
_SLACK_USER = re.compile(r"<@([UW][A-Z0-9]{2,30})(?:\|[^>]*)?>")
_BARE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class SettingsInputError(ValueError):
    """A value `settings set` cannot take; the message is for people."""


@dataclass(frozen=True)
class CommunitySettings:
    # "discord:group:<role id>", "slack:group:<user group id>", "<platform>:user:<user id>"
    moderators: tuple[str, ...] = ()
    timezone: str | None = None
    home_city: str | None = None
    reminder_minutes: int | None = None
    digest_time: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, raw: dict[str, Any] | None) -> CommunitySettings:
        raw = raw or {}
        moderators = raw.get("moderators") or ()
        return cls(
            moderators=tuple(str(m) for m in moderators if isinstance(m, str)),
            timezone=raw.get("timezone") if isinstance(raw.get("timezone"), str) else None,
            home_city=raw.get("home_city") if isinstance(raw.get("home_city"), str) else None,
            reminder_minutes=raw.get("reminder_minutes")
            if isinstance(raw.get("reminder_minutes"), int)
            else None,
            digest_time=raw.get("digest_time") if isinstance(raw.get("digest_time"), str) else None,
        )

    def dump(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.moderators:
            out["moderators"] = list(self.moderators)
        for key in ("timezone", "home_city", "reminder_minutes", "digest_time"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    def role_for(self, actor: Actor) -> Role:
        """MODERATOR when the settings name the person or one of their groups."""
        if f"{actor.platform}:user:{actor.user_id}" in self.moderators:
            return Role.MODERATOR
        if any(f"{actor.platform}:group:{g}" in self.moderators for g in actor.groups):
            return Role.MODERATOR
        return Role.MEMBER

    def with_value(self, key: str, value: str, platform: str) -> CommunitySettings:
        """These settings with `key` set from `value` as typed; SettingsInputError if it can't."""
        from dataclasses import replace

        text = value.strip()
        clear = text.lower() in {"none", "off", "-", ""}
        try:
            if key == "moderators":
                return replace(self, moderators=() if clear else parse_moderators(text, platform))
            if key == "timezone":
                return replace(self, timezone=None if clear else parse_zone(text))
            if key == "city":
                if len(text) > HOME_CITY_MAX:
                    raise SettingsInputError(f"A city name is at most {HOME_CITY_MAX} characters.")
                return replace(self, home_city=None if clear else text)
            if key == "reminder":
                return replace(self, reminder_minutes=None if clear else parse_leads(text)[0])
            if key == "digest":
                return replace(self, digest_time=None if clear else parse_digest_time(text))
        except RuleError as exc:
            raise SettingsInputError(str(exc)) from exc
        raise SettingsInputError(f"There is no setting “{key[:30]}”. Settings: {', '.join(KEYS)}.")

    def shown(self, key: str) -> str:
        if key == "moderators":
            return ", ".join(moderator_label(m) for m in self.moderators) or "none set"
        if key == "timezone":
            return self.timezone or "not set (each cinema's own zone; UTC for digests)"
        if key == "city":
            return self.home_city or "not set"
        if key == "reminder":
            return f"{self.reminder_minutes} minutes" if self.reminder_minutes else "60 minutes"
        if key == "digest":
            return self.digest_time or "09:00"
        return ""


def parse_moderators(text: str, platform: str) -> tuple[str, ...]:
    found: list[str] = []
    for part in (p.strip() for p in re.split(r"[,\s]+", text) if p.strip()):
        entry = _moderator(part, platform)
        if entry is None:
            raise SettingsInputError(
                f"“{part[:40]}” is not a role, a user group or a user. {_HOW[platform == 'slack']}"
            )
        if entry not in found:
            found.append(entry)
    if len(found) > MAX_MODERATORS:
        raise SettingsInputError(f"At most {MAX_MODERATORS} moderator roles and users.")
    return tuple(found)


# Slack sends a slash command's @mentions as plain text (the manifest's `should_escape: false`),
# so there moderators are named by id.
_HOW = (
    "Mention them (@Role, @someone) or give their ids, comma-separated.",
    "Give Slack user ids (U…, “Copy member ID” in a profile) or user group ids (S…), "
    "comma-separated.",
)


def _moderator(part: str, platform: str) -> str | None:
    for pattern, kind, on in (
        (_DISCORD_ROLE, "group", "discord"),
        (_DISCORD_USER, "user", "discord"),
        (_SLACK_GROUP, "group", "slack"),
        (_SLACK_USER, "user", "slack"),
    ):
        match = pattern.fullmatch(part)
        if match:
            return f"{on}:{kind}:{match.group(1)}"
    if _BARE.fullmatch(part):
        if platform == "discord":
            return f"discord:group:{part}"
        if platform == "slack" and part.startswith("S"):
            return f"slack:group:{part}"
        return f"{platform}:user:{part}"
    return None


def moderator_label(entry: str) -> str:
    """How a stored moderator entry is shown: plainly, so a reply never pings anyone."""
    platform, kind, ident = (entry.split(":", 2) + ["", ""])[:3]
    what = {"group": "role" if platform == "discord" else "user group"}.get(kind, "user")
    return f"{platform.capitalize()} {what} {ident}"
