"""The core: one `Marquee` answers every adapter's `Invocation` with a `Reply`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from rapidfuzz import process
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bot import community
from bot.args import ArgError, coerce_args
from bot.context import Context, UserError
from bot.dispatch import HANDLERS
from bot.film_lookup import NeedsChoice, film_reference
from bot.follow_ups import with_follow_ups
from bot.normalize import normalize
from bot.recommend.index import RecommendationIndex
from bot.registry import COMMANDS, CommandSpec, find_command
from bot.resolve import TitleResolver, split_year
from bot.types import (
    ChannelRef,
    ErrorNotice,
    Failure,
    Invocation,
    Notice,
    Reply,
    film_label,
)
from storage import communities, film_queries
from storage.busy import BUSY_MESSAGE, is_busy
from storage.community_scope import CommunityWriteRefused
from storage.db import READ_ONLY_MESSAGE, Database, ReadOnlyError

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# The one sentence for a failure on Marquee's side, here and in the adapters' catch-all.
INTERNAL_ERROR = "Something went wrong on Marquee's side."


def utc_now() -> datetime:
    return datetime.now(UTC)


class Marquee:
    """Thread-safe: each call opens its own unit of work; the two in-memory indexes (titles and
    recommendations) are this object's, each with its own lock, and reach handlers through the
    Context."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock = utc_now,
        title_index_dir: Path | None = None,
        operators: frozenset[str] = frozenset(),
        shared_rebuilds: Path | None = None,
    ) -> None:
        """`shared_rebuilds`: a folder where processes of this host that serve the same
        database take turns rebuilding the recommendation index (the core pool's workers)."""
        self.db = db
        self.clock = clock
        # "platform:user_id" of the people who run this Marquee (MARQUEE_OPERATORS).
        self.operators = operators
        # The title index is saved in `title_index_dir` between runs (None: rebuilt each start).
        self.resolver = TitleResolver(saved_at=title_index_dir)
        self.recommendations = RecommendationIndex(db.session, shared=shared_rebuilds)

    def warm_up(self, *, prune: bool = True) -> None:
        """Load the title and person indexes now rather than on the first question, and (the
        serving process, once a start) clear the communities whose grace period ran out."""
        with self.db.session() as session:
            self.resolver.refresh(session)
            self.resolver.people.refresh(session)
        if prune:
            self.prune_left_communities()

    def handle(self, inv: Invocation) -> Reply:
        spec = find_command(inv.command)
        if spec is None:
            names = [c.name for c in COMMANDS if not c.hidden]
            near = process.extractOne(inv.command, names, score_cutoff=60)
            hint = f" Did you mean `{near[0]}`?" if near else " Try `help`."
            return Reply.error(f"There is no command “{inv.command[:60]}”.{hint}")
        reply, ctx = self._answer(spec, inv)
        if ctx is not None:
            for hook in ctx.after_commit:
                hook()
        return reply

    def _answer(
        self, spec: CommandSpec, inv: Invocation, *, retry: bool = True
    ) -> tuple[Reply, Context | None]:
        """Run the command in one unit of work: its reply, and its context when it committed
        (whose `after_commit` hooks then run). A connection the database dropped (a
        PostgreSQL restart) fails the unit of work, which rolled back, and it runs once more
        on a new connection: the pool does not ping each connection before use."""
        try:
            with self.db.session() as session:
                here = community.enter(
                    session,
                    inv.actor,
                    inv.channel,
                    self.clock(),
                    operators=self.operators,
                    writable=not self.db.read_only,
                )
                reply, ctx = self._run(session, here, spec, inv)
                # Last, so that on SQLite the write lock it takes is held only until the
                # commit just after: taken first, it was held for the whole command and two
                # core processes queued behind each other (bench_load).
                community.record_visit(session, here, self.clock())
        except CommunityWriteRefused as exc:
            return Reply.error(
                "That belongs to the shared catalogue, which only Marquee's operators change. "
                "Nothing was changed."
                if exc.shared
                else "That is not this community's. Nothing was changed."
            ), None
        except UserError as exc:
            return Reply.error(str(exc), exc.param), None
        except NeedsChoice as choice:
            return choice.reply, None
        except StaleDataError:
            return Reply.error(
                "Someone changed that at the same moment. Nothing was changed; try again."
            ), None
        except ReadOnlyError:
            return Reply.error(READ_ONLY_MESSAGE), None
        except OperationalError as exc:
            if exc.connection_invalidated and retry:
                log.warning("command %r: the database connection was lost; again", spec.name)
                return self._answer(spec, inv, retry=False)
            if not is_busy(exc):
                log.exception("command %r failed", spec.name)
                return _our_failure(f"{INTERNAL_ERROR} Nothing was changed."), None
            # Another writer held the lock past busy_timeout: a moment later it will work.
            log.warning("command %r: database busy (%s)", spec.name, exc.orig)
            return _our_failure(BUSY_MESSAGE, outcome="busy"), None
        except Exception:
            log.exception("command %r failed", spec.name)
            return _our_failure(f"{INTERNAL_ERROR} Nothing was changed."), None
        return reply, ctx

    def _run(
        self, session: Session, here: community.Here, spec: CommandSpec, inv: Invocation
    ) -> tuple[Reply, Context | None]:
        """The command itself, in `here`'s community: its reply, and its context when a
        handler ran."""
        if here.actor.role < spec.min_role:
            return Reply.error(
                f"`{spec.name}` is for {spec.min_role.name.lower()}s and you are a "
                f"{here.actor.role.name.lower()} here. Nothing was changed."
            ), None
        try:
            args = coerce_args(spec, inv.args)
        except ArgError as exc:
            return Reply.error(str(exc), exc.param), None
        ctx = Context(
            session=session,
            actor=here.actor,
            channel=inv.channel,
            now=self.clock(),
            spec=spec,
            resolver=self.resolver,
            recommendations=self.recommendations,
            here=here,
        )
        reply = HANDLERS[spec.name](ctx, args)
        reply = with_follow_ups(reply, partial(film_reference, ctx))
        return _with_dm_note(reply, here), ctx

    def space_joined(self, platform: str, workspace_id: str, name: str) -> None:
        """The bot was added to a server or installed in a workspace: its community exists
        from now (a new one, or its old one if it comes back within the grace period)."""
        with self.db.session() as session:
            communities.space_community(session, platform, workspace_id, name, self.clock())
            if name:
                communities.name_space(session, platform, workspace_id, name)

    def space_left(self, platform: str, workspace_id: str) -> None:
        """The bot was removed: the space's data stays for the grace period
        (`communities.GRACE`), then `prune_left_communities` removes it."""
        with self.db.session() as session:
            communities.space_left(session, platform, workspace_id, self.clock())

    def spaces_present(
        self, platform: str, present: Mapping[str, str], mine: Callable[[str], bool]
    ) -> tuple[list[str], list[str]]:
        """What a platform says the bot is in now (id → name), after a time away: a space
        added meanwhile is joined, and one of this process's (`mine`: its shards') that is
        no longer there was left while nobody listened. New spaces are joined in the order
        given (the first may claim a database's one community). The ids joined and left."""
        if self.db.read_only:
            return [], []
        with self.db.session() as session:
            known = communities.active_space_ids(session, platform)
            joined = [i for i in present if i not in known]
            left = sorted(i for i in known - set(present) if mine(i))
            for external_id in joined:
                communities.space_community(
                    session, platform, external_id, present[external_id], self.clock()
                )
            for external_id in left:
                communities.space_left(session, platform, external_id, self.clock())
        return joined, left

    def prune_left_communities(self) -> int:
        """Delete the communities every space of which left over `GRACE` ago; how many."""
        if self.db.read_only:
            return 0
        with self.db.session() as session:
            gone = communities.communities_left_before(session, self.clock() - communities.GRACE)
            for community_id in gone:
                communities.delete_community(session, community_id)
        return len(gone)

    def complete_titles(
        self, text: str, limit: int = 25, where: ChannelRef | None = None
    ) -> list[tuple[str, str]]:
        """Autocomplete: (label, value) pairs, value "#<film id>", best first: the shared
        catalogue's films and the local films of `where`'s community."""
        title, year = split_year(text)
        norm = normalize(title)
        if not norm:
            return []
        try:
            return self._complete(norm, year, limit, where)
        except OperationalError as exc:
            if not exc.connection_invalidated:
                raise
            return self._complete(norm, year, limit, where)  # as `_answer` does

    def _complete(
        self, norm: str, year: int | None, limit: int, where: ChannelRef | None
    ) -> list[tuple[str, str]]:
        with self.db.session() as session:
            community.look_from(session, where, self.clock(), not self.db.read_only)
            ranked = self.resolver.ranked(session, norm, year, limit=limit)
            films = film_queries.get_films(session, [f for f, _ in ranked], related=False)
            out = []
            for film_id, _score in ranked:
                film = films.get(film_id)
                if film is not None:
                    out.append((film_label(film.title, film.year)[:100], f"#{film.id}"))
            return out


def _with_dm_note(reply: Reply, here: community.Here) -> Reply:
    """A direct message says which community it acted in."""
    note = here.dm_note
    if note is None or reply.failure is not None:
        return reply
    return replace(reply, blocks=(*reply.blocks, Notice(note)))


def _our_failure(text: str, outcome: Failure = "error") -> Reply:
    """An error that is ours, not the asker's: `Reply.failure` says so, so logs and metrics
    count it apart from refusals."""
    return Reply(blocks=(ErrorNotice(text),), ephemeral=True, failure=outcome)
