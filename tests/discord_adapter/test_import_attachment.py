"""`/import-showtimes` with a file attached: the bot downloads it from the (fake) CDN over
loopback, the core imports it, and the answer is the import's summary."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from adapters.discord.client import MarqueeDiscord
from bot.core import Marquee
from storage.models import Showtime
from tests.discord_adapter.fake_discord import (
    CHANNEL_MESSAGE,
    EPHEMERAL,
    MEMBER,
    MODERATOR,
    FakeDiscord,
)

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
