"""Showtime alerts with a simulated clock: commands, scheduler, outbox and delivery."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.alerts.delivery import AlertDelivery
from bot.alerts.pacing import Pacer
from bot.alerts.rules import next_local_time
from bot.alerts.scheduler import AlertScheduler, TickReport
from bot.core import Marquee
from bot.demo import DEMO_COMMUNITY
from bot.notify import ChannelGone, RateLimited
from bot.types import Actor, ChannelRef, ErrorNotice, Notice, Reply, ShowtimeList, Table, Text
from storage import alert_outbox
from storage.models import (
    AlertCursor,
    AlertOutbox,
    AuditEntry,
    Showtime,
    Subscription,
    SubscriptionLead,
)
from tests.backend import MEMBER, MODERATOR, SayBot
from tests.conftest import make_core

FESTIVAL = "Hurtigruten Scandinavian Film Festival 2025"


class RecordingNotifier:
    """Records what would be posted; can be told to fail the next posts."""

    def __init__(self, platform: str = "test") -> None:
        self.platform = platform
        self.posts: list[tuple[ChannelRef, Reply]] = []
        self.failures: list[Exception] = []

    async def post(self, channel: ChannelRef, reply: Reply) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.posts.append((channel, reply))
        return f"m{len(self.posts)}"


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


class Alerts:
    """The core, the scheduler and the delivery loop sharing one simulated clock."""

    def __init__(self, url: str, now: datetime, platform: str = "test") -> None:
        self.now = now
        self.core: Marquee = make_core(url, now=now)
        self.core.clock = self.clock
        self.notifier = RecordingNotifier(platform)
        self.mono = FakeMonotonic()
        self.scheduler = AlertScheduler(self.core.db, self.clock)
        self.delivery = AlertDelivery(
            self.core.db,
            {platform: self.notifier},
            self.clock,
            pacer=Pacer(self.mono),
            sleep=self.mono.sleep,
        )
        self.channel = ChannelRef(platform, "workspace", "channel")
        # Moderators set alerts up; the bot speaks as one on the alerts' platform.
        self.bot = SayBot(self.core, actor=MODERATOR, channel=self.channel)

    def clock(self) -> datetime:
        return self.now

    def ask(self, command: str, actor: Actor = MODERATOR, **args: Any) -> Reply:
        """For tests/test_ops.py, which shares this harness; the tests here use `bot`."""
        return self.bot.ask(command, as_=actor, **args)

    def at(self, moment: datetime) -> list[tuple[ChannelRef, Reply]]:
        """Move the clock, tick, deliver; the posts this made."""
        self.mono.t += max(0.0, (moment - self.now).total_seconds())  # one passage of time
        self.now = moment
        before = len(self.notifier.posts)
        self.last_tick: TickReport = self.scheduler.tick()
        self.last_delivery = asyncio.run(self.delivery.run_once())
        return self.notifier.posts[before:]

    def count(self, model: type[Any]) -> int:
        with self.core.db.session() as s:
            return s.scalar(select(func.count()).select_from(model)) or 0


def lists(posts: list[tuple[ChannelRef, Reply]], heading: str) -> list[int]:
    """Showtime ids in the posts' lists whose heading starts with `heading`."""
    return [
        item.showtime_id
        for _, reply in posts
        for block in reply.blocks
        if isinstance(block, ShowtimeList) and block.heading.startswith(heading)
        for item in block.items
    ]


def added_id(reply: Reply) -> int:
    assert isinstance(reply.blocks[0], Notice), reply
    return int(reply.created.id)


@pytest.fixture
def alerts(tmp_path) -> Alerts:  # type: ignore[no-untyped-def]
    return Alerts(f"sqlite:///{tmp_path / 'alerts.db'}", datetime(2025, 7, 20, 2, 0, tzinfo=UTC))


def test_festival_announcement_reminder_and_digest_fire_once_on_time(db_url: str) -> None:
    a = Alerts(db_url, datetime(2025, 7, 20, 2, 0, tzinfo=UTC))
    reply = a.bot.ask(
        "alerts subscribe", target=FESTIVAL, kinds="new, reminder, digest", digest="09:00"
    )
    assert isinstance(reply.blocks[0], Notice), reply
    assert "Australia/Perth" in reply.blocks[0].text
    a.at(datetime(2025, 7, 20, 2, 1, tzinfo=UTC))  # first tick: nothing is new yet
    st = added_id(
        a.bot.ask(
            "showtime add",
            film="Second Victims",
            cinema="Luna Leederville",
            starts="2025-08-01 20:30",  # the demo has one at 18:30 already
            event="Hurtigruten",
        )
    )
    posts = a.at(datetime(2025, 7, 20, 2, 2, tzinfo=UTC))
    assert lists(posts, "New screenings") == [st]
    assert a.last_tick.enqueued == 1
    item = posts[0][1].blocks[0].items[0]  # type: ignore[union-attr]
    assert item.local_time == "Fri 1 Aug 2025, 20:30 AWST"
    assert a.at(datetime(2025, 7, 20, 2, 3, tzinfo=UTC)) == []  # once
    # The digest: 09:00 in Perth is 01:00 UTC, once, listing the coming days.
    assert lists(a.at(datetime(2025, 8, 1, 0, 59, tzinfo=UTC)), "Coming up") == []
    digest = a.at(datetime(2025, 8, 1, 1, 0, tzinfo=UTC))
    assert len(digest) == 1 and st in lists(digest, "Coming up in the next 3 days")
    assert lists(a.at(datetime(2025, 8, 1, 1, 1, tzinfo=UTC)), "Coming up") == []
    # 20:30 in Perth is 12:30 UTC; the reminder is due at 11:30 UTC, not a minute earlier.
    assert st not in lists(a.at(datetime(2025, 8, 1, 11, 29, tzinfo=UTC)), "Starting soon")
    assert lists(a.at(datetime(2025, 8, 1, 11, 30, tzinfo=UTC)), "Starting soon").count(st) == 1
    assert st not in lists(a.at(datetime(2025, 8, 1, 11, 31, tzinfo=UTC)), "Starting soon")
    with a.core.db.session() as s:
        kinds = list(s.scalars(select(AlertOutbox.kind).where(AlertOutbox.showtime_id == st)))
    assert sorted(kinds) == ["new", "reminder"]
    a.core.db.dispose()


def test_digest_times_follow_daylight_saving() -> None:
    def utc(*args: int) -> datetime:
        return datetime(*args, tzinfo=UTC)

    # Copenhagen springs forward on 30 March 2025: 09:00 is 08:00 UTC, then 07:00 UTC.
    assert next_local_time("09:00", "Europe/Copenhagen", utc(2025, 3, 29, 7)) == utc(2025, 3, 29, 8)
    assert next_local_time("09:00", "Europe/Copenhagen", utc(2025, 3, 29, 8)) == utc(2025, 3, 30, 7)
    # New York falls back on 2 November 2025: 09:00 is 13:00 UTC, then 14:00 UTC.
    assert next_local_time("09:00", "America/New_York", utc(2025, 11, 1, 13)) == utc(
        2025, 11, 2, 14
    )
    # Perth has no daylight saving: 09:00 is always 01:00 UTC.
    assert next_local_time("09:00", "Australia/Perth", utc(2025, 3, 29, 2)) == utc(2025, 3, 30, 1)
    assert next_local_time("09:00", "Australia/Perth", utc(2025, 11, 1, 2)) == utc(2025, 11, 2, 1)
    # 02:30 does not exist in Copenhagen on 30 March: it fires at 03:30 CEST (01:30 UTC).
    assert next_local_time("02:30", "Europe/Copenhagen", utc(2025, 3, 30, 0)) == utc(
        2025, 3, 30, 1, 30
    )
    # 01:30 happens twice in New York on 2 November: the digest goes once, at the first.
    first = next_local_time("01:30", "America/New_York", utc(2025, 11, 2, 0))
    assert first == utc(2025, 11, 2, 5, 30)
    assert next_local_time("01:30", "America/New_York", first) == utc(2025, 11, 3, 6, 30)


@pytest.mark.parametrize(
    ("cinema", "before", "at", "after_change"),
    [
        # Copenhagen: 09:00 CET = 08:00 UTC on the 29th, 09:00 CEST = 07:00 UTC on the 30th.
        (
            "Grand Teatret",
            datetime(2025, 3, 29, 8, tzinfo=UTC),
            None,
            datetime(2025, 3, 30, 7, tzinfo=UTC),
        ),
        # Perth: 01:00 UTC both days.
        (
            "Luna Leederville",
            datetime(2025, 3, 29, 1, tzinfo=UTC),
            None,
            datetime(2025, 3, 30, 1, tzinfo=UTC),
        ),
    ],
)
def test_scheduler_digest_across_the_change(
    tmp_path, cinema: str, before: datetime, at: None, after_change: datetime
) -> None:  # type: ignore[no-untyped-def]
    a = Alerts(f"sqlite:///{tmp_path / 'dst.db'}", datetime(2025, 3, 28, 12, tzinfo=UTC))
    assert isinstance(
        a.bot.ask("alerts subscribe", target=f"cinema:{cinema}", kinds="digest").blocks[0], Notice
    )
    minute = timedelta(minutes=1)
    for day_digest in (before, after_change):
        assert lists(a.at(day_digest - minute), "Coming up") == []
        posts = a.at(day_digest)
        assert [p for p in posts if any(isinstance(b, ShowtimeList) for b in p[1].blocks)]
        assert a.at(day_digest + minute) == []
    a.core.db.dispose()


def test_reminder_before_a_fall_back_fires_at_the_right_instant(alerts: Alerts) -> None:
    a = alerts
    a.bot.ask("alerts subscribe", target="cinema:Film Forum", kinds="reminder", leads="600")
    a.at(datetime(2025, 10, 30, 0, 0, tzinfo=UTC))
    # 09:00 EST on 2 November (after the change) is 14:00 UTC; ten hours before is 04:00 UTC,
    # which is still 00:00 EDT: the reminder must not drift by the hour the clocks go back.
    st = added_id(
        a.bot.ask("showtime add", film="Arrival", cinema="Film Forum", starts="2025-11-02 09:00")
    )
    assert st not in lists(a.at(datetime(2025, 11, 2, 3, 59, tzinfo=UTC)), "Starting soon")
    posts = a.at(datetime(2025, 11, 2, 4, 0, tzinfo=UTC))
    assert lists(posts, "Starting soon") == [st]
    item = posts[0][1].blocks[0].items[0]  # type: ignore[union-attr]
    assert item.local_time == "Sun 2 Nov 2025, 09:00 EST"


def _add_showtime(a: Alerts, film_id: int, cinema_id: int, starts_at: datetime) -> int:
    with a.core.db.session() as s:
        st = Showtime(
            film_id=film_id,
            cinema_id=cinema_id,
            starts_at=starts_at,
            created_at=a.now,
            updated_at=a.now,
        )
        s.add(st)
        s.flush()
        return st.id


def _ids(a: Alerts, title: str, cinema: str) -> tuple[int, int]:
    from storage.models import Cinema, Film

    with a.core.db.session() as s:
        film = s.scalar(select(Film.id).where(Film.title == title))
        cin = s.scalar(select(Cinema.id).where(Cinema.name == cinema))
    assert film and cin
    return film, cin


def test_after_downtime_ahead_reminders_go_late_and_passed_ones_are_dropped(
    alerts: Alerts, caplog: pytest.LogCaptureFixture
) -> None:
    a = alerts
    t = datetime(2025, 7, 21, 0, 0, tzinfo=UTC)
    a.bot.ask("alerts subscribe", target="cinema:Grand Teatret", kinds="reminder", leads="60")
    film, cinema = _ids(a, "Second Victims", "Grand Teatret")
    passed = _add_showtime(a, film, cinema, t + timedelta(minutes=90))  # due t+30m
    ahead = _add_showtime(a, film, cinema, t + timedelta(minutes=150))  # due t+90m
    a.at(t)
    # Down from t until t+120m: the first screening started at t+90m, the second is ahead.
    posts = a.at(t + timedelta(minutes=120))
    assert lists(posts, "Starting soon") == [ahead]
    notes = [b.text for _, r in posts for b in r.blocks if isinstance(b, Text)]
    assert any("late" in n and "30 minutes" in n for n in notes), notes
    assert a.last_tick.passed_dropped >= 1
    assert "dropped" in caplog.text
    with a.core.db.session() as s:
        assert not s.scalars(select(AlertOutbox).where(AlertOutbox.showtime_id == passed)).all()


def test_moves_and_cancellations_after_announcement_are_alerted(alerts: Alerts) -> None:
    a = alerts
    a.bot.ask("alerts subscribe", target="film:Second Victims", kinds="new")
    a.at(datetime(2025, 7, 20, 2, 1, tzinfo=UTC))
    st = added_id(
        a.bot.ask(
            "showtime add", film="Second Victims", cinema="Grand Teatret", starts="2025-07-30 20:00"
        )
    )
    assert lists(a.at(datetime(2025, 7, 20, 2, 2, tzinfo=UTC)), "New screenings") == [st]
    a.now = datetime(2025, 7, 20, 3, 0, tzinfo=UTC)
    with a.core.db.session() as s:
        s.execute(
            update(Showtime)
            .where(Showtime.id == st)
            .values(starts_at=datetime(2025, 7, 30, 19, 0, tzinfo=UTC), updated_at=a.now)
        )
    posts = a.at(datetime(2025, 7, 20, 3, 1, tzinfo=UTC))
    assert lists(posts, "Screenings moved") == [st]
    notes = [b.text for _, r in posts for b in r.blocks if isinstance(b, Text)]
    assert notes == ["Second Victims at Grand Teatret moved from Wed 30 Jul 2025, 20:00 CEST."]
    assert a.at(datetime(2025, 7, 20, 3, 2, tzinfo=UTC)) == []
    assert isinstance(a.bot.ask("showtime remove", showtime=st).blocks[0], Notice)
    assert lists(a.at(datetime(2025, 7, 20, 3, 3, tzinfo=UTC)), "Screenings cancelled") == [st]
    assert a.at(datetime(2025, 7, 20, 3, 4, tzinfo=UTC)) == []
    # Added and cancelled within one tick: never announced, so nothing to take back.
    gone = added_id(
        a.bot.ask(
            "showtime add", film="Second Victims", cinema="Grand Teatret", starts="2025-07-31 20:00"
        )
    )
    a.bot.ask("showtime remove", showtime=gone)
    assert a.at(datetime(2025, 7, 20, 3, 5, tzinfo=UTC)) == []


def test_bad_subscriptions_are_refused_and_store_nothing(alerts: Alerts) -> None:
    a = alerts
    before = (a.count(Subscription), a.count(SubscriptionLead), a.count(AuditEntry))
    cases = {
        "No film found": dict(target="zzqx nothing like it"),
        "No cinema called": dict(target="cinema:Nowhere Palace"),
        "No event called": dict(target="event:Nofest"),
        "No cinema is in a city": dict(target="city:Atlantis"),
        "out of range": dict(target="all", leads="2"),
        "out of range ": dict(target="all", leads="20000"),
        "not a lead time": dict(target="all", leads="soon"),
        "not a time of day": dict(target="all", kinds="digest", digest="25:61"),
        "not a time of day ": dict(target="all", kinds="digest", digest="noon"),
        "not a time zone": dict(target="all", kinds="digest", zone="Mars/Base"),
        "Unknown alert kind": dict(target="all", kinds="weekly"),
    }
    for expected, args in cases.items():
        reply = a.bot.ask("alerts subscribe", **args)
        assert isinstance(reply.blocks[0], ErrorNotice), (args, reply)
        assert expected.strip() in reply.blocks[0].text, (args, reply.blocks[0].text)
    member = a.bot.ask("alerts subscribe", as_=MEMBER, target="all")
    assert isinstance(member.blocks[0], ErrorNotice)
    bad_city = a.bot.ask("watch", as_=MEMBER, title="Second Victims", cities="Atlantis")
    assert "No cinema is in a city" in bad_city.blocks[0].text  # type: ignore[union-attr]
    remove = a.bot.ask("alerts remove", subscription=999)
    assert isinstance(remove.blocks[0], ErrorNotice)
    assert (a.count(Subscription), a.count(SubscriptionLead), a.count(AuditEntry)) == before


def test_subscriptions_are_listed_audited_and_removed(alerts: Alerts) -> None:
    a = alerts
    reply = a.bot.ask("alerts subscribe", target="city:perth", kinds="reminder", leads="15, 2h")
    sub = int(reply.created.id)
    listed = a.bot.ask("alerts list", as_=MEMBER)
    table = listed.blocks[0]
    assert isinstance(table, Table)
    assert table.rows == ((f"#{sub}", "city Perth: reminders 15, 120 min before", "active"),)
    # Subscribing the same target again updates it rather than adding a second one.
    a.bot.ask("alerts subscribe", target="city:Perth", kinds="new")
    assert a.count(Subscription) == 1 and a.count(SubscriptionLead) == 0
    with a.core.db.session() as s:  # an alert of this subscription waiting in the outbox
        row = {"dedupe_key": f"s{sub}|digest|2025-07-20", "kind": "digest", "direct": False}
        row |= {"community_id": s.get_one(Subscription, sub).community_id}
        row |= {"subscription_id": sub, "platform": "test", "workspace_id": "workspace"}
        row |= {"channel_id": "channel", "due_at": a.now, "status": "pending"}
        assert alert_outbox.enqueue(s, [row | {"attempts": 0, "created_at": a.now}]) == 1
    removed = a.bot.ask("alerts remove", subscription=sub)
    assert isinstance(removed.blocks[0], Notice)
    assert a.count(Subscription) == 0
    assert a.count(AlertOutbox) == 0  # its pending alerts went with it
    with a.core.db.session() as s:
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-3:] == ["alerts subscribe", "alerts subscribe", "alerts remove"]


def test_alerts_for_one_channel_in_one_tick_are_one_message(alerts: Alerts) -> None:
    a = alerts
    a.bot.ask("alerts subscribe", target="cinema:Grand Teatret", kinds="new")
    a.bot.ask("alerts subscribe", target="film:Second Victims", kinds="new")
    a.at(datetime(2025, 7, 20, 2, 1, tzinfo=UTC))
    ids = [
        added_id(
            a.bot.ask("showtime add", film=f, cinema="Grand Teatret", starts=f"2025-07-2{i} 20:00")
        )
        for i, f in enumerate(["Second Victims", "Arrival", "Another Round"], start=5)
    ]
    posts = a.at(datetime(2025, 7, 20, 2, 2, tzinfo=UTC))
    assert len(posts) == 1
    # Second Victims matches both subscriptions, and is still listed once.
    assert sorted(lists(posts, "New screenings")) == sorted(ids)


def test_watchlist_sends_direct_messages_for_chosen_cities(alerts: Alerts) -> None:
    a = alerts
    assert isinstance(
        a.bot.ask("watch", as_=MEMBER, title="secnd victims", cities="Copenhagen").blocks[0], Notice
    )
    shown = a.bot.ask("watchlist", as_=MEMBER).blocks[0]
    assert isinstance(shown, Table) and shown.rows == (("Second Victims (2025)", "Copenhagen"),)
    a.at(datetime(2025, 7, 20, 2, 1, tzinfo=UTC))
    perth = added_id(
        a.bot.ask(
            "showtime add", film="Second Victims", cinema="Luna on SX", starts="2025-07-28 20:00"
        )
    )
    cph = added_id(
        a.bot.ask(
            "showtime add", film="Second Victims", cinema="Grand Teatret", starts="2025-07-28 20:00"
        )
    )
    posts = a.at(datetime(2025, 7, 20, 2, 2, tzinfo=UTC))
    assert [
        (ch, lists([(ch, r)], "New screenings of films on your watchlist")) for ch, r in posts
    ] == [(ChannelRef("test", "workspace", MEMBER.user_id), [cph])]
    assert perth not in lists(posts, "New")
    assert isinstance(a.bot.ask("unwatch", as_=MEMBER, title="Second Victims").blocks[0], Notice)
    assert "empty" in a.bot.ask("watchlist", as_=MEMBER).blocks[0].text  # type: ignore[union-attr]


def _flood(a: Alerts, n: int) -> None:
    """`n` new screenings announced to one channel at once."""
    a.bot.ask("alerts subscribe", target="cinema:Grand Teatret", kinds="new")
    a.at(datetime(2025, 7, 20, 2, 1, tzinfo=UTC))  # announces the demo's screenings
    film, cinema = _ids(a, "Arrival", "Grand Teatret")
    for i in range(n):
        _add_showtime(a, film, cinema, datetime(2025, 7, 25, tzinfo=UTC) + timedelta(minutes=i))


def test_discord_channel_gets_at_most_five_messages_in_five_seconds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a = Alerts(
        f"sqlite:///{tmp_path / 'rl.db'}", datetime(2025, 7, 20, 2, 0, tzinfo=UTC), "discord"
    )
    _flood(a, 65)  # 7 messages of up to 10 alerts
    sent_at: list[float] = []
    real_post = a.notifier.post

    async def timed(channel: ChannelRef, reply: Reply) -> str:
        sent_at.append(a.mono.t)
        return await real_post(channel, reply)

    a.notifier.post = timed  # type: ignore[method-assign]
    posts = a.at(datetime(2025, 7, 20, 2, 2, tzinfo=UTC))
    assert len(posts) == 7 and len(lists(posts, "New screenings")) == 65
    start = sent_at[0]
    assert [round(t - start, 3) for t in sent_at] == [0, 0, 0, 0, 0, 5, 5]


def test_rate_limited_posts_wait_for_retry_after(alerts: Alerts) -> None:
    a = alerts
    _flood(a, 3)
    a.notifier.failures = [RateLimited(30.0)]
    assert a.at(datetime(2025, 7, 20, 2, 2, tzinfo=UTC)) == []
    assert a.last_delivery.released == 3
    assert a.at(datetime(2025, 7, 20, 2, 2, 20, tzinfo=UTC)) == []  # still inside Retry-After
    posts = a.at(datetime(2025, 7, 20, 2, 2, 31, tzinfo=UTC))
    assert len(lists(posts, "New screenings")) == 3


def test_lost_channel_is_reported_once_and_its_subscription_paused(
    alerts: Alerts, caplog: pytest.LogCaptureFixture
) -> None:
    a = alerts
    _flood(a, 2)
    a.notifier.failures = [ChannelGone("kicked")]
    a.at(datetime(2025, 7, 20, 2, 2, tzinfo=UTC))
    assert a.last_delivery.gone == [a.channel]
    assert caplog.text.count("cannot post to") == 1
    status = a.bot.ask("alerts list").blocks[0]
    assert isinstance(status, Table) and status.rows[0][2] == "paused: kicked"
    film, cinema = _ids(a, "Arrival", "Grand Teatret")
    _add_showtime(a, film, cinema, datetime(2025, 7, 26, tzinfo=UTC))
    assert a.at(datetime(2025, 7, 20, 2, 3, tzinfo=UTC)) == []
    assert a.last_tick.enqueued == 0 and a.last_delivery.gone == []
    assert caplog.text.count("cannot post to") == 1


def test_a_crashed_claim_is_resent_as_the_same_batch_after_its_lease(alerts: Alerts) -> None:
    a = alerts
    _flood(a, 3)
    a.now = datetime(2025, 7, 20, 2, 2, tzinfo=UTC)
    a.scheduler.tick()
    _, crashed, _ = a.delivery.prepare()  # claimed and batched, then the worker "died"
    assert len(crashed) == 1
    assert a.at(datetime(2025, 7, 20, 2, 3, tzinfo=UTC)) == []  # lease still held
    posts = a.at(datetime(2025, 7, 20, 2, 5, tzinfo=UTC))  # lease (2 min) expired
    assert len(posts) == 1 and a.last_delivery.resent_batches == 1
    assert posts[0][1].delivery.key == crashed[0].batch_key
    assert a.at(datetime(2025, 7, 20, 2, 9, tzinfo=UTC)) == []


async def deliver_festival_screening(
    url: str, channel: ChannelRef, notifier: Any
) -> tuple[int, Any, Marquee]:
    """A channel on `notifier`'s platform subscribes to the festival; a screening is added and
    delivered through that notifier. Returns (showtime id, delivery report, core)."""
    moments = iter(datetime(2025, 7, 20, 2, m, tzinfo=UTC) for m in range(60))
    now = next(moments)
    core = make_core(url, now=now)
    core.clock = lambda: now
    moderator = SayBot(core, actor=MODERATOR, channel=channel)
    moderator.ask("alerts subscribe", target=FESTIVAL, kinds="new")
    scheduler = AlertScheduler(core.db, lambda: now)
    now = next(moments)
    await asyncio.to_thread(scheduler.tick)
    reply = moderator.ask(
        "showtime add",
        film="Second Victims",
        # Luna Leederville already has the demo's 18:30 screening that day.
        cinema="Luna on SX",
        starts="2025-08-01 18:30",
        event="Hurtigruten",
    )
    now = next(moments)
    await asyncio.to_thread(scheduler.tick)
    delivery = AlertDelivery(core.db, {channel.platform: notifier}, lambda: now)
    return added_id(reply), await delivery.run_once(), core


def test_reminders_reach_every_kind_of_target_once_at_their_lead(db_url: str) -> None:
    """The scheduler matches reminders in one SQL statement per tick; on each backend it must
    find exactly the (subscription, screening, lead) triples a reader would list by hand."""
    from storage.models import Event, Film

    t = datetime(2025, 8, 1, 10, 30, tzinfo=UTC)  # 18:30 in Perth
    a = Alerts(db_url, t - timedelta(days=2))
    film, luna = _ids(a, "Second Victims", "Luna Leederville")
    with a.core.db.session() as s:
        other = s.scalar(select(Film.id).where(Film.id != film).order_by(Film.id).limit(1))
        festival = s.scalar(select(Event.id).where(Event.name == FESTIVAL))
    assert other and festival
    subs: dict[str, int] = {}
    for name, target, leads in [
        ("film", "film:Second Victims", "60"),
        ("cinema", "cinema:Luna Leederville", "15, 60"),
        ("city", "city:Perth", "30"),
        ("event", FESTIVAL, "60"),
        ("all", "all", "1440"),
        ("paused", "all", "60"),
    ]:
        a.bot.channel = ChannelRef("test", "workspace", name)
        reply = a.bot.ask("alerts subscribe", target=target, kinds="reminder", leads=leads)
        subs[name] = int(reply.created.id)
    first = _add_showtime(a, film, luna, t)
    second = _add_showtime(a, other, luna, t + timedelta(minutes=20))
    cancelled = _add_showtime(a, film, luna, t)
    with a.core.db.session() as s:
        alert_outbox.pause_channel(s, "test", "workspace", "paused", "lost access")
        s.execute(update(Showtime).where(Showtime.id == first).values(event_id=festival))
        s.execute(update(Showtime).where(Showtime.id == cancelled).values(cancelled=True))
    expected = {
        (subs["film"], first, 60),
        (subs["cinema"], first, 15),
        (subs["cinema"], first, 60),
        (subs["cinema"], second, 15),
        (subs["cinema"], second, 60),
        (subs["city"], first, 30),
        (subs["city"], second, 30),
        (subs["event"], first, 60),
        (subs["all"], first, 1440),
        (subs["all"], second, 1440),
    }
    starts = {first: t, second: t + timedelta(minutes=20)}
    due = sorted({starts[st] - timedelta(minutes=lead) for _, st, lead in expected})
    a.now = due[0] - timedelta(minutes=2)
    a.scheduler.tick()  # the first tick only sets the cursor
    enqueued = 0
    for moment in due:  # a tick a minute early finds nothing of this moment's
        for a.now in (moment - timedelta(minutes=1), moment):
            enqueued += a.scheduler.tick().enqueued
    assert enqueued == a.count(AlertOutbox) >= len(expected)  # the ticks counted what they wrote
    with a.core.db.session() as s:
        rows = s.execute(
            select(
                AlertOutbox.dedupe_key,
                AlertOutbox.subscription_id,
                AlertOutbox.showtime_id,
                AlertOutbox.lead_minutes,
                AlertOutbox.due_at,
                AlertOutbox.starts_at,
                AlertOutbox.created_at,
                AlertOutbox.channel_id,
            ).where(AlertOutbox.showtime_id.in_([first, second, cancelled]))
        ).all()
    assert {(r.subscription_id, r.showtime_id, r.lead_minutes) for r in rows} == expected
    assert len(rows) == len(expected)
    names = {v: k for k, v in subs.items()}
    for r in rows:
        start = starts[r.showtime_id]
        assert r.starts_at == start
        assert r.due_at == start - timedelta(minutes=r.lead_minutes)
        assert r.created_at == r.due_at  # found by the tick at its minute, not the one before
        assert r.channel_id == names[r.subscription_id]
        epoch = int(start.timestamp())
        assert r.dedupe_key == (
            f"{r.showtime_id}|reminder|{r.lead_minutes}|{epoch}|ctest:workspace:{r.channel_id}"
        )
    # A second scheduler going over the same minutes again adds nothing.
    with a.core.db.session() as s:
        s.execute(update(AlertCursor).values(at=due[0] - timedelta(minutes=1)))
    a.now = due[-1]
    assert a.scheduler.tick().enqueued == 0
    a.core.db.dispose()


def test_finished_alerts_are_pruned_once_no_tick_can_find_them_again(db_url: str) -> None:
    now = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
    a = Alerts(db_url, now)
    film, luna = _ids(a, "Second Victims", "Luna Leederville")
    past = _add_showtime(a, film, luna, now - timedelta(days=2))
    ahead = _add_showtime(a, film, luna, now + timedelta(days=10))
    day = timedelta(days=1)

    def row(key: str, kind: str, status: str, due: datetime, showtime: int | None) -> dict:
        starts = {past: now - 2 * day, ahead: now + 10 * day}.get(showtime)  # type: ignore[arg-type]
        return {
            "dedupe_key": key,
            "community_id": DEMO_COMMUNITY,
            "kind": kind,
            "status": status,
            "due_at": due,
            "showtime_id": showtime,
            "starts_at": starts,
            "subscription_id": None,
            "platform": "test",
            "workspace_id": "workspace",
            "channel_id": "channel",
            "direct": False,
            "attempts": 0,
            "created_at": due,
        }

    rows = [
        row("old reminder", "reminder", "sent", now - 9 * day, past),  # pruned
        row("old digest", "digest", "dropped", now - 9 * day, None),  # pruned
        row("old news, screening over", "new", "sent", now - 30 * day, past),  # pruned
        row("old news, screening ahead", "new", "sent", now - 30 * day, ahead),  # kept
        row("recent reminder", "reminder", "sent", now - 6 * day, past),  # kept: within a lead
        row("old but unsent", "reminder", "pending", now - 9 * day, past),  # kept
    ]
    with a.core.db.session() as s:
        assert alert_outbox.enqueue(s, rows) == len(rows)
    assert a.scheduler.prune(batch=1) == 3  # in batches, until none is left
    with a.core.db.session() as s:
        left = set(s.scalars(select(AlertOutbox.dedupe_key)))
    assert left == {"old news, screening ahead", "recent reminder", "old but unsent"}
    assert a.scheduler.prune() == 0
    a.core.db.dispose()


def test_the_alert_loop_prunes_now_and_then_outside_the_ticks(alerts: Alerts) -> None:
    from bot.alerts.delivery import run_forever

    calls: list[str] = []
    stop = asyncio.Event()
    # Read at the start, then before each housekeeping check (and after one that runs).
    clock = itertools.chain([0.0, 1.0, 2.0, 3601.0, 3602.0, 3603.0], itertools.repeat(3604.0))

    def tick() -> None:
        calls.append("tick")
        if calls.count("tick") == 4:
            stop.set()

    asyncio.run(
        run_forever(
            tick,
            alerts.delivery,
            interval=0,
            stop=stop,
            housekeeping=lambda: calls.append("prune"),
            monotonic=lambda: next(clock),
        )
    )
    assert calls == ["tick", "prune", "tick", "tick", "prune", "tick"]


def _repeats(posts: list[tuple[ChannelRef, Reply]]) -> list[int]:
    """Showtime ids listed more than once under one heading of one message."""
    repeated = []
    for _, reply in posts:
        for block in reply.blocks:
            if isinstance(block, ShowtimeList):
                ids = [item.showtime_id for item in block.items]
                repeated += sorted({i for i in ids if ids.count(i) > 1})
    return repeated


def test_a_channel_hears_of_a_screening_once_per_kind_however_many_subscriptions_match(
    db_url: str,
) -> None:
    """`all`, a film and a cinema in one channel all cover the same screening: one
    announcement, one reminder per lead, one digest listing it once; and the keys stay those
    a second scheduler (or a re-run tick) computes, so it adds nothing."""
    a = Alerts(db_url, datetime(2025, 7, 20, 2, 0, tzinfo=UTC))
    every = {"kinds": "new, reminder, digest", "digest": "09:00", "zone": "Australia/Perth"}
    for target, leads in (
        ("all", "60"),
        ("film:Second Victims", "15, 60"),
        ("cinema:Luna Leederville", "60"),
    ):
        assert not a.bot.ask("alerts subscribe", target=target, leads=leads, **every).is_error
    first = a.at(datetime(2025, 7, 20, 2, 1, tzinfo=UTC))
    assert _repeats(first) == []
    st = added_id(
        a.bot.ask(
            "showtime add",
            film="Second Victims",
            cinema="Luna Leederville",
            starts="2025-08-01 20:30",  # 12:30 UTC
        )
    )
    posts = a.at(datetime(2025, 7, 20, 2, 2, tzinfo=UTC))
    assert len(posts) == 1 and lists(posts, "New screenings") == [st]
    # The digest at 09:00 in Perth (01:00 UTC): three subscriptions due at once, one digest.
    assert _repeats(a.at(datetime(2025, 8, 1, 0, 59, tzinfo=UTC))) == []  # after the gap
    digest = a.at(datetime(2025, 8, 1, 1, 0, tzinfo=UTC))
    assert len(digest) == 1
    assert len([b for b in digest[0][1].blocks if isinstance(b, ShowtimeList)]) == 1
    assert lists(digest, "Coming up").count(st) == 1 and _repeats(digest) == []
    hour = a.at(datetime(2025, 8, 1, 11, 30, tzinfo=UTC))
    assert lists(hour, "Starting soon").count(st) == 1 and _repeats(hour) == []
    quarter = a.at(datetime(2025, 8, 1, 12, 15, tzinfo=UTC))  # only the film asked for 15
    assert lists(quarter, "Starting soon").count(st) == 1 and _repeats(quarter) == []
    with a.core.db.session() as s:
        kinds = sorted(s.scalars(select(AlertOutbox.kind).where(AlertOutbox.showtime_id == st)))
        digests = s.scalar(
            select(func.count()).select_from(AlertOutbox).where(AlertOutbox.kind == "digest")
        )
    assert kinds == ["new", "reminder", "reminder"] and digests == 1
    # Going over the same time again, as a second scheduler would, finds the same keys.
    with a.core.db.session() as s:
        s.execute(update(AlertCursor).values(at=datetime(2025, 8, 1, 0, 59, tzinfo=UTC)))
        s.execute(
            update(Subscription).values(next_digest_at=datetime(2025, 8, 1, 1, 0, tzinfo=UTC))
        )
        s.execute(update(Showtime).where(Showtime.id == st).values(updated_at=a.now))
    a.now = datetime(2025, 8, 1, 12, 15, tzinfo=UTC)
    assert a.scheduler.tick().enqueued == 0
    a.core.db.dispose()


def test_a_digest_lists_each_cinemas_own_local_days(alerts: Alerts) -> None:
    """A digest at 09:00 in Perth is still the evening before in New York: there it lists
    today (from now), tomorrow and the day after by New York's calendar, not 72 hours."""
    a = alerts
    reply = a.bot.ask(
        "alerts subscribe", target="cinema:Film Forum", kinds="digest", zone="Australia/Perth"
    )
    assert not reply.is_error, reply
    film, forum = _ids(a, "Second Victims", "Film Forum")
    edt = timedelta(hours=4)  # New York's summer offset from UTC
    tonight = _add_showtime(a, film, forum, datetime(2025, 7, 31, 22, 0, tzinfo=UTC) + edt)
    day_after = _add_showtime(a, film, forum, datetime(2025, 8, 2, 23, 0, tzinfo=UTC) + edt)
    fourth_day = _add_showtime(a, film, forum, datetime(2025, 8, 3, 20, 0, tzinfo=UTC) + edt)
    a.at(datetime(2025, 8, 1, 0, 59, tzinfo=UTC))
    digest = a.at(datetime(2025, 8, 1, 1, 0, tzinfo=UTC))  # 09:00 Fri in Perth, 21:00 Thu in NY
    listed = lists(digest, "Coming up")
    assert tonight in listed and day_after in listed
    assert fourth_day not in listed  # Sunday 3 Aug in New York: the digest covers Thu–Sat
