"""Communities, their spaces and members, and the codes that link spaces.

These functions run in a unit of work that has no community scope yet (they are how it finds
one), or in the community's own scope for its settings; none of them reads another community's
owned rows.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, bindparam, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import limits as L
from storage.models_communities import Community, CommunityMember, LinkCode, Space

# How long a community whose every space removed the bot keeps its data (a server re-adding the
# bot by mistake or after a dispute finds everything again); then it is deleted.
GRACE = timedelta(days=30)

# A member's "last seen" is written at most this often: a command should not write every time.
SEEN_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class Membership:
    community_id: int
    name: str
    last_seen_at: datetime


@dataclass(frozen=True)
class Visit:
    """What a command needs to know of where it was asked: the space's community and when
    the asker was last seen there (None: never)."""

    community_id: int
    community_name: str
    settings: dict[str, Any]
    last_seen_at: datetime | None


# Built once: every command runs it, and building it (and running it through the ORM session)
# cost more than the query itself, on SQLite 0.4 ms of the command's CPU.
_VISIT = (
    select(
        Space.id,
        Space.left_at,
        Community.id,
        Community.name,
        Community.settings,
        CommunityMember.last_seen_at,
    )
    .join(Community, Community.id == Space.community_id)
    .outerjoin(
        CommunityMember,
        and_(
            CommunityMember.community_id == Space.community_id,
            CommunityMember.platform == bindparam("member_platform"),
            CommunityMember.user_id == bindparam("user_id"),
        ),
    )
    .where(Space.platform == bindparam("platform"), Space.external_id == bindparam("external_id"))
)


def visit(
    session: Session,
    platform: str,
    external_id: str,
    member: tuple[str, str],
    now: datetime,
) -> Visit:
    """The community of `platform`/`external_id` and `member`'s last visit there, read as
    plain columns in one statement (the command path: ORM entities for the space, community
    and member cost a tenth of a simple command); a space seen for the first time is made by
    `space_member`."""
    external_id = external_id[: L.WORKSPACE_ID_MAX]
    params = {
        "platform": platform,
        "external_id": external_id,
        "member_platform": member[0],
        "user_id": member[1][: L.USER_ID_MAX],
    }
    row = session.connection().execute(_VISIT, params).first()
    if row is None:
        community, known = space_member(session, platform, external_id, "", now, member)
        seen_at = known.last_seen_at if known is not None else None
        return Visit(community.id, community.name, dict(community.settings or {}), seen_at)
    space_id, left_at, community_id, name, settings, last_seen_at = row
    if left_at is not None:
        # The bot was added back within the grace period.
        session.execute(update(Space).where(Space.id == space_id).values(left_at=None))
    return Visit(community_id, name, dict(settings or {}), last_seen_at)


def needs_recording(visit: Visit, now: datetime) -> bool:
    """Whether `visited` would write: a first visit, or the last one `SEEN_EVERY` ago."""
    return visit.last_seen_at is None or now - visit.last_seen_at >= SEEN_EVERY


def visited(session: Session, visit: Visit, platform: str, user_id: str, now: datetime) -> None:
    """`member_seen` for the member `visit` was read for, as one statement on the session's
    connection: an upsert, not a read, a savepoint and an ORM flush (on PostgreSQL those
    were a fifth of a command's round trips)."""
    if not needs_recording(visit, now):
        return
    connection = session.connection()
    connection.execute(
        _seen_upsert(connection.dialect.name),
        {
            "community_id": visit.community_id,
            "platform": platform,
            "user_id": user_id[: L.USER_ID_MAX],
            "last_seen_at": now,
        },
    )


@functools.lru_cache(maxsize=4)
def _seen_upsert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # From a SELECT of the community, so that a command that deleted its own community
    # (`community delete`) records nobody in it rather than failing on the foreign key.
    seen_at = bindparam("last_seen_at", type_=CommunityMember.__table__.c.last_seen_at.type)
    statement = insert(CommunityMember).from_select(
        ["community_id", "platform", "user_id", "last_seen_at"],
        select(
            Community.id,
            bindparam("platform", type_=String()),
            bindparam("user_id", type_=String()),
            seen_at,
        ).where(Community.id == bindparam("community_id")),
    )
    return statement.on_conflict_do_update(
        index_elements=["community_id", "platform", "user_id"],
        set_={"last_seen_at": statement.excluded.last_seen_at},
        # Another process may have seen them later already; time never goes back.
        where=CommunityMember.last_seen_at < statement.excluded.last_seen_at,
    )


def space_community(
    session: Session, platform: str, external_id: str, name: str, now: datetime
) -> Community:
    """The community `platform`/`external_id` belongs to, making the space (and a community
    for it) on first use. The one community a database had before communities is claimed by
    the first space to arrive."""
    return space_member(session, platform, external_id, name, now)[0]


def space_member(
    session: Session,
    platform: str,
    external_id: str,
    name: str,
    now: datetime,
    member: tuple[str, str] | None = None,
) -> tuple[Community, CommunityMember | None]:
    """`space_community`, and `member`'s (platform, user id) row in that community when it has
    one, read in the same statement: every command asks for both (`member_seen`)."""
    external_id = external_id[: L.WORKSPACE_ID_MAX]
    for _attempt in range(3):
        found = _space_row(session, platform, external_id, member)
        if found is not None:
            space, community, row = found
            if space.left_at is not None:
                space.left_at = None  # the bot was added back within the grace period
            return community, row
        try:
            with session.begin_nested():
                return _new_space(session, platform, external_id, name, now), None
        except IntegrityError:
            # Another process made this space at the same moment: read theirs.
            continue
    raise RuntimeError(f"could not make the space {platform}:{external_id}")


def _space_row(
    session: Session, platform: str, external_id: str, member: tuple[str, str] | None
) -> tuple[Space, Community, CommunityMember | None] | None:
    """The space, its community and (outer-joined) `member`'s row there, in one statement."""
    query = (
        select(Space, Community)
        .join(Community, Community.id == Space.community_id)
        .where(Space.platform == platform, Space.external_id == external_id)
    )
    if member is not None:
        seen = and_(
            CommunityMember.community_id == Space.community_id,
            CommunityMember.platform == member[0],
            CommunityMember.user_id == member[1][: L.USER_ID_MAX],
        )
        query = query.add_columns(CommunityMember).outerjoin(CommunityMember, seen)
    # Two columns or three, by `member`: the row's static type cannot say which.
    row: Any = session.execute(query).first()
    if row is None:
        return None
    return row[0], row[1], row[2] if member is not None else None


def _new_space(
    session: Session, platform: str, external_id: str, name: str, now: datetime
) -> Community:
    if session.get_bind().dialect.name == "sqlite":
        # Take SQLite's write lock before reading: a read first would pin a snapshot that a
        # writer committing meanwhile makes stale, and the write after it would fail at once
        # instead of waiting its turn.
        session.execute(text("UPDATE community SET id = id WHERE 0 = 1"))
    waiting = session.scalars(
        select(Community).where(Community.awaiting_space.is_(True)).order_by(Community.id)
    ).first()
    community: Community | None = None
    if waiting is not None:
        # Claim it with a guarded UPDATE so two first spaces cannot both take it.
        claimed = session.execute(
            update(Community)
            .where(Community.id == waiting.id, Community.awaiting_space.is_(True))
            .values(awaiting_space=False)
            .execution_options(synchronize_session="fetch")
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            community = waiting
    if community is None:
        community = Community(
            name=L.shorten(name or f"{platform} {external_id}", L.COMMUNITY_NAME_MAX),
            settings={},
            created_at=now,
            awaiting_space=False,
        )
        session.add(community)
        session.flush()
    session.add(
        Space(
            platform=platform,
            external_id=external_id,
            name=L.shorten(name, L.SPACE_NAME_MAX),
            community_id=community.id,
            joined_at=now,
        )
    )
    session.flush()
    return community


def name_space(session: Session, platform: str, external_id: str, name: str) -> None:
    """Record a space's current name (a guild renamed, a workspace's name learnt)."""
    session.execute(
        update(Space)
        .where(Space.platform == platform, Space.external_id == external_id)
        .values(name=L.shorten(name, L.SPACE_NAME_MAX))
    )


def space_left(session: Session, platform: str, external_id: str, now: datetime) -> bool:
    """The bot was removed from a space: its community's data stays for the grace period."""
    result = session.execute(
        update(Space)
        .where(
            Space.platform == platform,
            Space.external_id == external_id,
            Space.left_at.is_(None),
        )
        .values(left_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def active_space_ids(session: Session, platform: str) -> set[str]:
    """The external ids of the platform's spaces the bot has not left."""
    query = select(Space.external_id).where(Space.platform == platform, Space.left_at.is_(None))
    return set(session.scalars(query))


def spaces_of(session: Session, community_id: int) -> list[Space]:
    return list(
        session.scalars(select(Space).where(Space.community_id == community_id).order_by(Space.id))
    )


def member_seen(
    session: Session,
    community_id: int,
    platform: str,
    user_id: str,
    now: datetime,
    *,
    force: bool = False,
) -> None:
    """Remember that `user_id` uses Marquee in this community (where their DMs may act)."""
    key = (community_id, platform, user_id[: L.USER_ID_MAX])
    member = session.get(CommunityMember, key)
    if member is None:
        try:
            with session.begin_nested():
                session.add(
                    CommunityMember(
                        community_id=key[0], platform=platform, user_id=key[2], last_seen_at=now
                    )
                )
        except IntegrityError:
            pass  # seen by another process at the same moment
    elif force or now - member.last_seen_at >= SEEN_EVERY:
        member.last_seen_at = now


def member_communities(session: Session, platform: str, user_id: str) -> list[Membership]:
    """The communities a member used Marquee in, most recently used first."""
    rows = session.execute(
        select(Community.id, Community.name, CommunityMember.last_seen_at)
        .join(CommunityMember, CommunityMember.community_id == Community.id)
        .where(CommunityMember.platform == platform, CommunityMember.user_id == user_id)
        .order_by(CommunityMember.last_seen_at.desc(), Community.id)
    ).all()
    return [Membership(r[0], r[1], r[2]) for r in rows]


def get_community(session: Session, community_id: int) -> Community | None:
    return session.get(Community, community_id)


def save_settings(session: Session, community_id: int, settings: dict[str, Any]) -> None:
    community = session.get(Community, community_id)
    if community is not None:
        # A new dict, so the JSON column sees the change.
        community.settings = dict(settings)


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def add_link_code(
    session: Session, community_id: int, code: str, created_by: str, expires_at: datetime
) -> None:
    session.add(
        LinkCode(
            code_hash=_hash(code),
            community_id=community_id,
            created_by=created_by[: L.USER_ID_MAX],
            expires_at=expires_at,
        )
    )


def take_link_code(session: Session, code: str, now: datetime) -> int | None:
    """The community a code links to, using the code up; None for a wrong, used or expired
    code. Expired codes are cleared on the way."""
    session.execute(delete(LinkCode).where(LinkCode.expires_at <= now))
    digest = _hash(code)
    community_id = session.scalar(select(LinkCode.community_id).where(LinkCode.code_hash == digest))
    if community_id is None:
        return None
    taken = session.execute(delete(LinkCode).where(LinkCode.code_hash == digest))
    return community_id if taken.rowcount == 1 else None  # type: ignore[attr-defined]


def move_space(
    session: Session, platform: str, external_id: str, to_community: int
) -> Space | None:
    """Put a space in another community, remembering where it was (for `community unlink`)."""
    space = session.scalars(
        select(Space).where(Space.platform == platform, Space.external_id == external_id)
    ).first()
    if space is None:
        return None
    space.previous_community_id = space.community_id
    space.community_id = to_community
    return space


def unlink_space(session: Session, space: Space, now: datetime) -> Community:
    """Take a space out of the community it shares: back to the one it came from when that
    still exists, else into a new, empty community of its own."""
    previous = (
        session.get(Community, space.previous_community_id)
        if space.previous_community_id is not None
        else None
    )
    if previous is None or previous.id == space.community_id:
        previous = Community(
            name=L.shorten(space.name or f"{space.platform} {space.external_id}", 100),
            settings={},
            created_at=now,
            awaiting_space=False,
        )
        session.add(previous)
        session.flush()
    space.community_id = previous.id
    space.previous_community_id = None
    return previous


def find_space(session: Session, platform: str, external_id: str) -> Space | None:
    return session.scalars(
        select(Space).where(Space.platform == platform, Space.external_id == external_id)
    ).first()


def delete_community(session: Session, community_id: int) -> None:
    """Everything the community owns goes with it (the foreign keys cascade); its spaces start
    afresh in a new community the next time they use Marquee."""
    session.execute(delete(Space).where(Space.community_id == community_id))
    session.execute(
        update(Space)
        .where(Space.previous_community_id == community_id)
        .values(previous_community_id=None)
    )
    session.execute(delete(Community).where(Community.id == community_id))


def communities_left_before(session: Session, cutoff: datetime) -> Sequence[int]:
    """Communities all of whose spaces left before `cutoff`: past the grace period."""
    rows = session.execute(
        select(Space.community_id, Space.left_at).order_by(Space.community_id)
    ).all()
    state: dict[int, bool] = {}
    for community_id, left_at in rows:
        gone = left_at is not None and left_at < cutoff
        state[community_id] = state.get(community_id, True) and gone
    return [c for c, gone in state.items() if gone]


def first_community(session: Session) -> int:
    """The oldest community: where a read-only copy of a one-community database answers a
    space it has not seen (it cannot record a new one)."""
    return session.scalar(select(Community.id).order_by(Community.id).limit(1)) or 0


def only_community(session: Session) -> int | None:
    """The database's community when it has exactly one."""
    ids = list(session.scalars(select(Community.id).order_by(Community.id).limit(2)))
    return ids[0] if len(ids) == 1 else None
