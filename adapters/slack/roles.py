"""Who is asking, from Slack's facts: workspace admins and owners, configured users and groups.

The adapter only maps facts to a `Role`; what each role may do is the core's business.

- workspace admin or owner (users.info `is_admin` / `is_owner`) → ADMIN
- listed in SLACK_MOD_USER_IDS, or a member of a group in SLACK_MOD_USERGROUP_IDS → MODERATOR
- anyone else → MEMBER

The user groups a person is in (one `usergroups.list` per workspace, with their members) go
to the core as `Actor.groups`, as Discord's role ids do: a community's `settings set
moderators @film-mods` names a group, and the core checks it.

Slack lookups are cached for a short while: a request must be answered within 3 seconds, and a
person's standing rarely changes from one minute to the next.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.types import Actor, Role

log = logging.getLogger(__name__)

CACHE_SECONDS = 60.0
# A lookup must not eat Slack's 3-second window: past this, the user counts as what the
# configured lists alone say (never more), and the answer is not cached.
LOOKUP_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class SlackUser:
    display_name: str | None
    is_admin: bool


class RoleResolver:
    def __init__(
        self,
        client: AsyncWebClient,
        mod_user_ids: Iterable[str] = (),
        mod_usergroup_ids: Iterable[str] = (),
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        lookup_timeout: float = LOOKUP_TIMEOUT_SECONDS,
    ) -> None:
        self._client = client
        self._mod_users = frozenset(mod_user_ids)
        self._mod_groups = frozenset(mod_usergroup_ids)
        self._ttl = cache_seconds
        self._clock = clock
        self._timeout = lookup_timeout
        self._users: dict[str, tuple[float, SlackUser]] = {}
        # When the workspace's groups were read, and each member's groups.
        self._groups: tuple[float, dict[str, tuple[str, ...]]] | None = None
        self._groups_lock = asyncio.Lock()

    async def actor(self, user_id: str, fallback_name: str) -> Actor:
        """The `Actor` for a Slack user, with their role, groups and a readable name."""
        user = await self._user(user_id)
        groups = (await self._memberships()).get(user_id, ())
        if user.is_admin:
            role = Role.ADMIN
        elif user_id in self._mod_users or self._mod_groups.intersection(groups):
            role = Role.MODERATOR
        else:
            role = Role.MEMBER
        name = user.display_name or fallback_name or user_id
        return Actor("slack", user_id, name, role, groups=groups)

    async def _user(self, user_id: str) -> SlackUser:
        cached = self._users.get(user_id)
        if cached and self._clock() - cached[0] < self._ttl:
            return cached[1]
        try:
            response = await asyncio.wait_for(self._client.users_info(user=user_id), self._timeout)
            data: dict[str, Any] = response.get("user") or {}
        except TimeoutError:
            log.warning("users.info timed out for %s; not treated as an admin", user_id)
            return SlackUser(None, False)
        except SlackApiError as exc:
            # Missing `users:read` or a deleted user: nobody becomes admin by accident.
            log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
            data = {}
        profile = data.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or data.get("name")
        user = SlackUser(name or None, bool(data.get("is_admin") or data.get("is_owner")))
        self._users[user_id] = (self._clock(), user)
        return user

    async def _memberships(self) -> dict[str, tuple[str, ...]]:
        # One refresh at a time: a burst of requests shares one lookup.
        async with self._groups_lock:
            if self._groups and self._clock() - self._groups[0] < self._ttl:
                return self._groups[1]
            try:
                response = await asyncio.wait_for(
                    self._client.usergroups_list(include_users=True), self._timeout
                )
            except TimeoutError:
                # Keep the last known members rather than demote everyone for a slow call.
                log.warning("usergroups.list timed out")
                return self._groups[1] if self._groups else {}
            except SlackApiError as exc:
                # No `usergroups:read`, or a plan without user groups: nobody is in a group.
                log.warning("usergroups.list failed: %s", exc.response.get("error"))
                response = None
            found: dict[str, list[str]] = {}
            for group in (response.get("usergroups") if response else None) or ():
                for member in group.get("users") or ():
                    found.setdefault(str(member), []).append(str(group.get("id")))
            self._groups = (self._clock(), {m: tuple(sorted(g)) for m, g in found.items()})
            return self._groups[1]
