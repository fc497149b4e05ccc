"""`/import-showtimes` with a file attached: the bot downloads it from the (fake) CDN over
loopback, the core imports it, and the answer is the import's summary."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.discord.client import MarqueeDiscord
from bot.core import Marquee
from bot.settings import Settings
from storage import import_repo
from storage.models_members import MemberRating
from storage.models_screenings import Showtime
from tests.discord_adapter.fake_discord import (
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    EPHEMERAL,
    MEMBER,
    MODERATOR,
    FakeDiscord,
)
from tests.discord_adapter.harness import start_bot

FESTIVAL = Path(__file__).resolve().parents[2] / "examples" / "festival.ics"


def imported(core: Marquee) -> int:
    with core.db.session() as s:
        query = select(func.count(Showtime.id)).where(Showtime.external_uid.is_not(None))
        return int(s.scalar(query) or 0)


def answer_text(data: dict[str, object]) -> str:
    embeds = data.get("embeds") or []
    parts = [str(data.get("content") or "")]
    for embed in embeds:  # type: ignore[union-attr]
        parts += [str(embed.get(k) or "") for k in ("title", "description")]
    return "\n".join(parts)


async def test_a_moderator_imports_an_attached_calendar(
    bot: MarqueeDiscord, fake: FakeDiscord, core: Marquee
) -> None:
    interaction = await fake.slash_with_file(
        "import-showtimes",
        "file",
        "festival.ics",
        FESTIVAL.read_bytes(),
        {"event": "Nordlys Winter Film Days 2027"},
        user=MODERATOR,
    )
    callback = await fake.callback(interaction, timeout=20)
    assert fake.file_downloads == 1
    assert callback.body["type"] == CHANNEL_MESSAGE
    text = answer_text(callback.body["data"])
    assert "showtimes from festival.ics: 7 created, 0 updated, 0 unchanged, 0 rejected" in text
    assert imported(core) == 7
    assert fake.unexpected() == []


async def test_a_member_attaching_a_file_changes_nothing(
    bot: MarqueeDiscord, fake: FakeDiscord, core: Marquee
) -> None:
    interaction = await fake.slash_with_file(
        "import-showtimes", "file", "festival.ics", FESTIVAL.read_bytes(), user=MEMBER
    )
    callback = await fake.callback(interaction, timeout=20)
    data = callback.body["data"]
    assert data["flags"] & EPHEMERAL
    assert "for moderators" in answer_text(data)
    assert imported(core) == 0


async def test_a_file_that_is_not_utf8_is_refused_clearly(
    bot: MarqueeDiscord, fake: FakeDiscord, core: Marquee
) -> None:
    latin1 = FESTIVAL.read_text(encoding="utf-8").replace("Sentimental", "Sentimentål")
    interaction = await fake.slash_with_file(
        "import-showtimes", "file", "festival.ics", latin1.encode("latin-1"), user=MODERATOR
    )
    callback = await fake.callback(interaction, timeout=20)
    data = callback.body["data"]
    assert data["flags"] & EPHEMERAL
    assert "festival.ics is not UTF-8 text" in answer_text(data)
    assert imported(core) == 0


async def test_members_are_answered_while_an_import_is_running(
    core: Marquee, settings: Settings, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import stops half-way through reading its file until a member's `/rate` has been
    answered: were the import run on the event loop, or holding the write lock while it
    reads, the rating could not get through and the import would give up below."""
    reading, release = threading.Event(), threading.Event()
    held_up: list[bool] = []
    look_up = import_repo.showtimes_by_uid

    def paused_look_up(session, uids: Sequence[str]):  # type: ignore[no-untyped-def]
        reading.set()
        if not release.wait(30):
            held_up.append(True)
            raise RuntimeError("nobody else was answered while the import ran")
        return look_up(session, uids)

    monkeypatch.setattr(import_repo, "showtimes_by_uid", paused_look_up)
    # Every answer defers and follows up, so the order of events is fixed.
    bot = await start_bot(core, settings, reply_budget=0.0)
    try:
        importing = await fake.slash_with_file(
            "import-showtimes", "file", "festival.ics", FESTIVAL.read_bytes(), user=MODERATOR
        )
        assert await asyncio.to_thread(reading.wait, 30), "the import never started"
        rating = await fake.slash("rate", {"title": "Persona", "score": 4.5}, user=MEMBER)
        # A private answer replaces the public "thinking" with a follow-up message.
        answered = await fake.webhook(rating, "POST", timeout=20)
        assert "Persona" in answer_text(answered.body)
        with core.db.session() as s:
            query = select(MemberRating.rating_halves).where(MemberRating.user_id == MEMBER.id)
            assert s.scalars(query).one() == 9
        release.set()
        assert (await fake.callback(importing)).body["type"] == DEFERRED_CHANNEL_MESSAGE
        summary = await fake.webhook(importing, "PATCH", suffix="/messages/@original", timeout=30)
        assert "7 created" in answer_text(summary.body)
        assert held_up == [] and imported(core) == 7
    finally:
        release.set()
        await bot.close()
