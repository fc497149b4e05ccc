"""Every unit of work sees one community's data, structurally.

A session carries a `Scope` (in `Session.info`). While it names a community, every ORM
statement — SELECT, UPDATE and DELETE, relationship loads included — gets that community's
criteria on every community table it touches (`with_loader_criteria`), and the flush stamps
new rows with the community and refuses changes to rows of another community or to shared
rows the scope may not change. A query written without a thought for communities is
therefore still scoped; `tests/test_community_isolation.py` checks the SQL every command runs.

Sessions without a scope are the system's own (the alert scheduler and delivery, index
builds, backups, the command-line importer): they see everything and write shared rows.
A statement can opt out of the filter with `execution_options(every_community=True)`: the
shared title index, built once for all communities, does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import event, func, or_
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from storage.models_communities import CommunityListing, CommunityOwned

EVERY_COMMUNITY = "every_community"


# A scope naming no community sees the shared rows only; an operator's writes in it are shared
# (the command-line import for every community).
SHARED_ONLY = 0


@dataclass(frozen=True)
class Scope:
    community_id: int
    # An operator (who runs the bot) may change the shared catalogue; their films are shared.
    operator: bool = False


class CommunityWriteRefused(Exception):
    """A change to a row this unit of work's community does not own."""

    def __init__(self, shared: bool) -> None:
        super().__init__("shared row" if shared else "another community's row")
        self.shared = shared


def set_scope(session: Session, scope: Scope | None) -> None:
    session.info["scope"] = scope


def scope_of(session: Session) -> Scope | None:
    scope = session.info.get("scope")
    return scope if isinstance(scope, Scope) else None


def owned_here(session: Session, column: Any) -> Any:
    """A condition for rows the session's community itself owns (not the shared ones it also
    sees): what an import may update or cancel. Without a scope: the shared rows."""
    community = community_of(session)
    return column.is_(None) if community is None else column == community


def community_of(session: Session) -> int | None:
    """The community new rows of this session belong to (None: shared)."""
    scope = scope_of(session)
    if scope is None or scope.community_id == SHARED_ONLY:
        return None
    return scope.community_id


def install(sessions: sessionmaker[Session]) -> None:
    """Scope every session `sessions` makes."""
    bind = sessions.kw.get("bind")
    sqlite = bind is not None and bind.dialect.name == "sqlite"

    def filter_statement(state: ORMExecuteState) -> None:
        _filter_statement(state, sqlite=sqlite)

    event.listen(sessions, "do_orm_execute", filter_statement)
    event.listen(sessions, "before_flush", _check_flush)


def _filter_statement(state: ORMExecuteState, *, sqlite: bool) -> None:
    scope = scope_of(state.session)
    if scope is None or state.is_column_load or state.is_relationship_load:
        # Relationship and column loads inherit the criteria of the statement that loaded
        # their parent.
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get(EVERY_COMMUNITY):
        return
    writes = state.is_update or state.is_delete
    shared_visible = not writes or scope.operator
    state.statement = state.statement.options(
        *_criteria(scope.community_id, shared_visible=shared_visible, sqlite=sqlite)
    )


@lru_cache(maxsize=1024)
def _criteria(cid: int, *, shared_visible: bool, sqlite: bool) -> tuple[Any, Any]:
    """The two loader criteria of a community's statements, made once per community and kind:
    building them (and SQLAlchemy's analysis of their lambdas) for every statement was a
    third of a simple SELECT's cost. They hold no state, so statements share them."""
    if not shared_visible:
        listing = lambda cls: cls.community_id == cid  # noqa: E731
    elif sqlite:
        # The same rows as the OR below, in a form no index can serve. SQLite (without
        # ANALYZE statistics) reads `community_id = ? OR community_id IS NULL` as selective and
        # walks ix_film_community_id through every shared film instead of the query's own
        # index: a title-prefix lookup took 60 ms instead of 0.1 ms at 100,000 films, and
        # `max(film.id)` scanned them all. Shared rows are most of a listing table, so that
        # index never narrows a read that may see them.
        listing = lambda cls: func.coalesce(cls.community_id, cid) == cid  # noqa: E731
    else:
        # PostgreSQL's planner has statistics and keeps the OR off the index when it matches
        # most rows, and uses it when it does not (many communities' own screenings).
        listing = lambda cls: or_(cls.community_id == cid, cls.community_id.is_(None))  # noqa: E731
    return (
        with_loader_criteria(
            CommunityOwned,
            lambda cls: cls.community_id == cid,
            include_aliases=True,
        ),
        with_loader_criteria(CommunityListing, listing, include_aliases=True),
    )


def _check_flush(session: Session, _context: Any, _instances: Any) -> None:
    scope = scope_of(session)
    if scope is None:
        return
    cid = scope.community_id
    for obj in session.new:
        if isinstance(obj, CommunityOwned):
            if obj.community_id is None:
                obj.community_id = cid
            elif obj.community_id != cid:
                raise CommunityWriteRefused(shared=False)
        elif isinstance(obj, CommunityListing) and obj.community_id is None:
            # An operator's new film joins the shared catalogue; everything else is local.
            if not (scope.operator and (_is_catalogue(obj) or cid == SHARED_ONLY)):
                obj.community_id = cid
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, CommunityOwned | CommunityListing):
            owner = obj.community_id
            if owner is None and not scope.operator:
                raise CommunityWriteRefused(shared=True)
            if owner is not None and owner != cid:
                raise CommunityWriteRefused(shared=False)


def _is_catalogue(obj: object) -> bool:
    return getattr(obj, "__tablename__", None) == "film"
