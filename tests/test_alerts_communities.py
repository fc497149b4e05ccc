"""Alerts never cross communities: a community's channels and members hear of its own
screenings and of shared ones (community NULL), never of another community's.

Two Discord-like servers, guild-A and guild-B, talk to one core: guild-A arrives first and
claims the demo's community (its films, cinemas and screenings), guild-B gets a new, empty
one. Both follow the same film, which the operator first moves into the shared catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from bot.types import Actor, ChannelRef, ErrorNotice, Notice, Reply, Role, ShowtimeList, Table
from storage.models import AlertOutbox, Cinema, Film, Showtime, Subscription, SubscriptionLead
from storage.models_communities import Space
from tests.backend import MEMBER, MODERATOR, SayBot
from tests.test_alerts import Alerts, added_id, lists

T0 = datetime(2025, 7, 20, 2, 0, tzinfo=UTC)
FILM = "Second Victims"
IN_A = ChannelRef("test", "guild-A", "chan-a")
IN_B = ChannelRef("test", "guild-B", "chan-b")
BO = Actor("test", "u-bo", "Bo Member", Role.MEMBER)


@dataclass
class Two:
    alerts: Alerts
    a: SayBot  # a moderator in guild-A's channel
    b: SayBot  # a moderator in guild-B's channel
    community_a: int
    community_b: int

    def at(self, moment: datetime) -> list[tuple[ChannelRef, Reply]]:
        return self.alerts.at(moment)


def _community(alerts: Alerts, workspace: str) -> int:
    with alerts.core.db.session() as s:
        found = s.scalar(select(Space.community_id).where(Space.external_id == workspace))
    assert found is not None
    return found


def two_communities(db_url: str, **subscribe: str) -> Two:
    """Both channels follow FILM, or what `subscribe` says; the first tick has run."""
    alerts = Alerts(db_url, T0)
    with alerts.core.db.session() as s:  # a system session: the operator shares the film
        s.execute(update(Film).where(Film.title == FILM).values(community_id=None))
    a = SayBot(alerts.core, actor=MODERATOR, channel=IN_A)
    b = SayBot(alerts.core, actor=MODERATOR, channel=IN_B)
    args = subscribe or {"target": f"film:{FILM}", "kinds": "new, reminder", "leads": "60"}
    for bot in (a, b):  # guild-A first: it claims the demo's community
        reply = bot.ask("alerts subscribe", **args)
        assert isinstance(reply.blocks[0], Notice), reply
    two = Two(alerts, a, b, _community(alerts, "guild-A"), _community(alerts, "guild-B"))
    assert two.community_a != two.community_b
    # The demo's screenings are guild-A's: announced there, never in guild-B.
    assert all(channel == IN_A for channel, _ in two.at(T0 + timedelta(minutes=1)))
    return two


def _shared_cinema(two: Two) -> int:
    """A cinema every community lists (community NULL), as the CLI importer makes."""
    with two.alerts.core.db.session() as s:  # a system session: no community scope
        cinema = Cinema(
            name="Shared Screen",
            norm="shared screen",
            city="Perth",
            city_norm="perth",
            timezone="Australia/Perth",
        )
        s.add(cinema)
        s.flush()
        assert cinema.community_id is None
        return cinema.id


def _cinema_of(two: Two, community: int) -> int:
    with two.alerts.core.db.session() as s:
        cinema = Cinema(
            community_id=community,
            name="Bo's Bio",
            norm="bo's bio",
            city="Perth",
            city_norm="perth",
            timezone="Australia/Perth",
        )
        s.add(cinema)
        s.flush()
        return cinema.id


def _shared_showtime(two: Two, cinema_id: int, starts_at: datetime) -> int:
    with two.alerts.core.db.session() as s:
        film = s.scalar(select(Film.id).where(Film.title == FILM))
        assert film is not None
        now = two.alerts.now
        st = Showtime(
            film_id=film, cinema_id=cinema_id, starts_at=starts_at, created_at=now, updated_at=now
        )
        s.add(st)
        s.flush()
        assert st.community_id is None
        return st.id


def _outbox(two: Two, showtime_id: int) -> set[tuple[str, str, int]]:
    """(kind, channel, community) of every alert about the screening."""
    with two.alerts.core.db.session() as s:
        rows = s.execute(
            select(AlertOutbox.kind, AlertOutbox.channel_id, AlertOutbox.community_id).where(
                AlertOutbox.showtime_id == showtime_id
            )
        )
        return {(r[0], r[1], r[2]) for r in rows}


def _channels(posts: list[tuple[ChannelRef, Reply]]) -> set[ChannelRef]:
    return {channel for channel, _ in posts}


def test_a_communitys_screening_alerts_only_its_own_channel(db_url: str) -> None:
    two = two_communities(db_url)
    st = added_id(
        two.a.ask(
            "showtime add", film=FILM, cinema="Luna Leederville", starts="2025-08-01 20:30"
        )  # 12:30 UTC
    )
    posts = two.at(T0 + timedelta(minutes=2))
    assert _channels(posts) == {IN_A} and lists(posts, "New screenings") == [st]
    reminder = two.at(datetime(2025, 8, 1, 11, 30, tzinfo=UTC))
    assert _channels(reminder) == {IN_A} and lists(reminder, "Starting soon") == [st]
    a = two.community_a
    assert _outbox(two, st) == {("new", "chan-a", a), ("reminder", "chan-a", a)}
    # And the other way round: guild-B's screening at its own cinema is guild-B's alone.
    _cinema_of(two, two.community_b)
    theirs = added_id(
        two.b.ask("showtime add", film=FILM, cinema="Bo's Bio", starts="2025-08-02 20:30")
    )
    posts = two.at(datetime(2025, 8, 1, 11, 31, tzinfo=UTC))
    assert _channels(posts) == {IN_B} and lists(posts, "New screenings") == [theirs]
    reminder = two.at(datetime(2025, 8, 2, 11, 30, tzinfo=UTC))
    assert _channels(reminder) == {IN_B} and lists(reminder, "Starting soon") == [theirs]
    b = two.community_b
    assert _outbox(two, theirs) == {("new", "chan-b", b), ("reminder", "chan-b", b)}
    two.alerts.core.db.dispose()


def test_a_shared_screening_alerts_both_communities(db_url: str) -> None:
    two = two_communities(db_url)
    cinema = _shared_cinema(two)
    st = _shared_showtime(two, cinema, datetime(2025, 8, 1, 12, 30, tzinfo=UTC))
    posts = two.at(T0 + timedelta(minutes=2))
    assert _channels(posts) == {IN_A, IN_B}
    assert lists(posts, "New screenings") == [st, st]  # once in each channel
    reminder = two.at(datetime(2025, 8, 1, 11, 30, tzinfo=UTC))
    assert _channels(reminder) == {IN_A, IN_B}
    assert lists(reminder, "Starting soon") == [st, st]
    a, b = two.community_a, two.community_b
    assert _outbox(two, st) == {
        ("new", "chan-a", a),
        ("new", "chan-b", b),
        ("reminder", "chan-a", a),
        ("reminder", "chan-b", b),
    }
    two.alerts.core.db.dispose()


def test_a_shared_screening_at_a_communitys_cinema_stays_in_that_community(db_url: str) -> None:
    """The cinema decides too: guild-B cannot see guild-A's cinema, so it hears nothing of a
    screening there, even one with no community of its own."""
    two = two_communities(db_url)
    with two.alerts.core.db.session() as s:
        luna = s.scalar(select(Cinema.id).where(Cinema.name == "Luna Leederville"))
    assert luna is not None
    st = _shared_showtime(two, luna, datetime(2025, 8, 1, 12, 30, tzinfo=UTC))
    posts = two.at(T0 + timedelta(minutes=2))
    assert _channels(posts) == {IN_A} and lists(posts, "New screenings") == [st]
    reminder = two.at(datetime(2025, 8, 1, 11, 30, tzinfo=UTC))
    assert _channels(reminder) == {IN_A}
    two.alerts.core.db.dispose()


def test_watchlists_hear_only_of_their_communitys_and_shared_screenings(db_url: str) -> None:
    two = two_communities(db_url)
    mia_in_a = two.a.as_(MEMBER)
    bo_in_b = SayBot(two.alerts.core, actor=BO, channel=IN_B)
    mia_in_b = SayBot(two.alerts.core, actor=MEMBER, channel=IN_B)
    for bot in (mia_in_a, bo_in_b, mia_in_b):
        assert isinstance(bot.ask("watch", title=FILM).blocks[0], Notice)
    # Each community lists its own watchlist: Mia's two items are one in each.
    for bot in (mia_in_a, mia_in_b):
        shown = bot.ask("watchlist").blocks[0]
        assert isinstance(shown, Table) and len(shown.rows) == 1
    mia_dm_a = ChannelRef("test", "guild-A", MEMBER.user_id)
    bo_dm = ChannelRef("test", "guild-B", BO.user_id)
    # The demo's screenings of the film (guild-A's, still inside the change overlap) reach
    # Mia in guild-A only.
    demo = two.at(T0 + timedelta(minutes=2))
    assert _channels(demo) == {mia_dm_a}
    st = added_id(
        two.a.ask("showtime add", film=FILM, cinema="Luna on SX", starts="2025-07-28 20:00")
    )
    posts = two.at(T0 + timedelta(minutes=10))  # past the overlap: the demo's are told
    assert _channels(posts) == {IN_A, mia_dm_a}
    assert lists(posts, "New screenings of films on your watchlist") == [st]
    shared = _shared_showtime(two, _shared_cinema(two), datetime(2025, 8, 1, 12, 30, tzinfo=UTC))
    posts = two.at(T0 + timedelta(minutes=11))
    dms = [(ch, r) for ch, r in posts if ch.channel_id in (MEMBER.user_id, BO.user_id)]
    # Mia watches in both communities and hears of the shared screening once.
    assert sorted(ch.channel_id for ch, _ in dms) == sorted([MEMBER.user_id, BO.user_id])
    assert bo_dm in _channels(dms)
    assert lists(dms, "New screenings of films on your watchlist") == [shared, shared]
    two.alerts.core.db.dispose()


def test_digests_list_only_the_communitys_and_shared_screenings(db_url: str) -> None:
    two = two_communities(
        db_url, target="all", kinds="digest", digest="09:00", zone="Australia/Perth"
    )
    ours = added_id(
        two.a.ask("showtime add", film=FILM, cinema="Luna Leederville", starts="2025-08-01 20:30")
    )
    shared = _shared_showtime(two, _shared_cinema(two), datetime(2025, 8, 1, 12, 0, tzinfo=UTC))
    two.at(datetime(2025, 8, 1, 0, 59, tzinfo=UTC))
    digests = two.at(datetime(2025, 8, 1, 1, 0, tzinfo=UTC))  # 09:00 in Perth
    by_channel = {ch: lists([(ch, r)], "Coming up") for ch, r in digests}
    assert set(by_channel) == {IN_A, IN_B}
    assert ours in by_channel[IN_A] and shared in by_channel[IN_A]
    assert by_channel[IN_B] == [shared]  # nothing of guild-A's, the demo's included
    with two.alerts.core.db.session() as s:
        kept = {
            (r[0], r[1])
            for r in s.execute(
                select(AlertOutbox.channel_id, AlertOutbox.community_id).where(
                    AlertOutbox.kind == "digest"
                )
            )
        }
    assert kept == {("chan-a", two.community_a), ("chan-b", two.community_b)}
    two.alerts.core.db.dispose()


def test_subscriptions_and_leads_carry_their_community_and_stay_in_it(db_url: str) -> None:
    two = two_communities(db_url)
    with two.alerts.core.db.session() as s:
        subs = dict(list(s.execute(select(Subscription.channel_id, Subscription.community_id))))
        leads = dict(
            list(s.execute(select(SubscriptionLead.channel_id, SubscriptionLead.community_id)))
        )
        a_sub = s.scalar(select(Subscription.id).where(Subscription.channel_id == "chan-a"))
    assert subs == leads == {"chan-a": two.community_a, "chan-b": two.community_b}
    listed = two.b.ask("alerts list").blocks[0]
    assert isinstance(listed, Table) and len(listed.rows) == 1
    # guild-B cannot remove guild-A's subscription by its number.
    refused = two.b.ask("alerts remove", subscription=a_sub)
    assert isinstance(refused.blocks[0], ErrorNotice)
    assert two.alerts.count(Subscription) == 2
    two.alerts.core.db.dispose()


def test_a_channel_with_subscriptions_of_two_communities_gets_a_digest_from_each(
    db_url: str,
) -> None:
    """A space that joined another community keeps the subscriptions it made before: each
    community's digest lists that community's screenings (and shared ones), under its own key."""
    every = {"target": "all", "kinds": "digest", "digest": "09:00", "zone": "Australia/Perth"}
    two = two_communities(db_url, **every)
    ours = added_id(
        two.a.ask("showtime add", film=FILM, cinema="Luna Leederville", starts="2025-08-01 20:30")
    )
    with two.alerts.core.db.session() as s:  # guild-A's channel, as guild-B's community had it
        older = s.get_one(Subscription, s.scalar(select(func.min(Subscription.id))))
        s.add(
            Subscription(
                community_id=two.community_b,
                platform=older.platform,
                workspace_id=older.workspace_id,
                channel_id=older.channel_id,
                target_kind="all",
                kinds=["digest"],
                reminder_leads_minutes=[],
                digest_local_time="09:00",
                timezone="Australia/Perth",
                next_digest_at=older.next_digest_at,
                created_by="u-mod",
                created_at=T0,
            )
        )
    two.at(datetime(2025, 8, 1, 0, 59, tzinfo=UTC))
    digests = two.at(datetime(2025, 8, 1, 1, 0, tzinfo=UTC))
    # Both go out in one message to the channel (a batch), as two lists.
    in_a = [
        [item.showtime_id for item in block.items]
        for ch, reply in digests
        if ch == IN_A
        for block in reply.blocks
        if isinstance(block, ShowtimeList) and block.heading.startswith("Coming up")
    ]
    assert len(in_a) == 2
    assert sorted(ours in listed for listed in in_a) == [False, True]
    with two.alerts.core.db.session() as s:
        keys = dict(
            list(
                s.execute(
                    select(AlertOutbox.community_id, AlertOutbox.dedupe_key).where(
                        AlertOutbox.kind == "digest", AlertOutbox.channel_id == "chan-a"
                    )
                )
            )
        )
    assert set(keys) == {two.community_a, two.community_b}
    assert keys[two.community_b].endswith(f"|k{two.community_b}")
    two.alerts.core.db.dispose()
