"""Which community a command acts in, and what the asker may do there.

A server, workspace or console name is a space, and each space belongs to one community (made
the first time the space uses Marquee). A Discord direct message has no server: it acts in the
community the member used Marquee in most recently, and says so; a member in several is told
how to switch (`community use`). Nothing here names a community the member is not in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.community_settings import CommunitySettings
from bot.types import Actor, ChannelRef, Role
from storage import communities
from storage.community_scope import Scope, set_scope
from storage.models_communities import Community

# A Discord interaction outside a server (bot/adapters: adapters/discord/invocation.py).
DIRECT_MESSAGE = "dm"


@dataclass(frozen=True)
class Here:
    community_id: int
    name: str
    settings: CommunitySettings
    actor: Actor  # with the role the community's settings give them
    operator: bool
    # In a direct message: which community it acts in, and the others the member may pick.
    direct: bool = False
    others: tuple[str, ...] = ()
    # The asker's visit, recorded at the end of the command's unit of work (`record_visit`):
    # None when nothing needs writing.
    visit: communities.Visit | None = None

    @property
    def dm_note(self) -> str | None:
        if not self.direct:
            return None
        note = f"In {self.name}'s community."
        if self.others:
            names = ", ".join(f"`community use {n}`" for n in self.others[:5])
            note += f" You are in others too: {names} switches."
        return note


def enter(
    session: Session,
    actor: Actor,
    channel: ChannelRef,
    now: datetime,
    *,
    operators: frozenset[str],
    writable: bool = True,
) -> Here:
    """Find (or make) the community for `channel`, scope `session` to it, and say who the
    asker is there. The asker's visit is not written here but by `record_visit` at the end
    of the command. `writable` False (a read-only database): nothing is recorded."""
    operator = actor.operator or f"{actor.platform}:{actor.user_id}" in operators
    if channel.workspace_id == DIRECT_MESSAGE:
        here = _direct(session, actor, operator, now, writable)
    elif writable:
        visit = communities.visit(
            session, channel.platform, channel.workspace_id, (actor.platform, actor.user_id), now
        )
        here = _here(visit.community_id, visit.community_name, visit.settings, actor, operator)
        if communities.needs_recording(visit, now):
            here = replace(here, visit=visit)
    else:
        community = _space_community(
            session, channel.platform, channel.workspace_id, "", now, writable
        )
        here = _here(community.id, community.name, community.settings, actor, operator)
    set_scope(session, Scope(here.community_id, operator=operator))
    return here


def record_visit(session: Session, here: Here, now: datetime) -> None:
    """Remember that the asker used Marquee in `here`'s community (where their direct
    messages act). A command refused by an exception rolls it back with everything else."""
    if here.visit is not None:
        communities.visited(session, here.visit, here.actor.platform, here.actor.user_id, now)


def _here(
    community_id: int, name: str, settings: dict[str, Any] | None, actor: Actor, operator: bool
) -> Here:
    loaded = CommunitySettings.load(settings)
    role = max(actor.role, loaded.role_for(actor))
    return Here(community_id, name, loaded, replace(actor, role=role), operator)


def _direct(session: Session, actor: Actor, operator: bool, now: datetime, writable: bool) -> Here:
    """A direct message acts where the member was last seen; one with no community of their
    own gets a personal one (their DM space), so nothing of anyone else's shows."""
    mine = communities.member_communities(session, actor.platform, actor.user_id)
    if mine:
        community = communities.get_community(session, mine[0].community_id)
        assert community is not None  # a membership's community is a foreign key
    else:
        community = _space_community(
            session,
            actor.platform,
            f"{DIRECT_MESSAGE}:{actor.user_id}",
            actor.display_name,
            now,
            writable,
        )
    return Here(
        community.id,
        community.name,
        CommunitySettings.load(community.settings),
        # In a DM nobody moderates: roles belong to a server.
        replace(actor, role=Role.MEMBER),
        operator,
        direct=True,
        others=tuple(m.name for m in mine[1:]),
    )


def _space_community(
    session: Session,
    platform: str,
    external_id: str,
    name: str,
    now: datetime,
    writable: bool,
) -> Community:
    """The space's community (made on first use when the database can be written)."""
    if writable:
        return communities.space_community(session, platform, external_id, name, now)
    # A read-only database records no new space: an unknown one reads the oldest community
    # (a read-only copy serves one community).
    found = communities.find_space(session, platform, external_id)
    community = communities.get_community(
        session, found.community_id if found else communities.first_community(session)
    )
    if community is None:
        raise LookupError("the database has no community")
    return community


def look_from(session: Session, channel: ChannelRef | None, now: datetime, writable: bool) -> None:
    """Scope `session` (autocomplete) to `channel`'s community, making the space on first use
    as a command would; without a channel (or in a DM) it sees the shared catalogue only."""
    community_id = NO_COMMUNITY
    if channel is not None and channel.workspace_id != DIRECT_MESSAGE:
        community_id = _space_community(
            session, channel.platform, channel.workspace_id, "", now, writable
        ).id
    set_scope(session, Scope(community_id))


# No community has this id: a scope naming it sees shared rows only.
NO_COMMUNITY = 0
