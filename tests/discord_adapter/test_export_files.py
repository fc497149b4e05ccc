"""`community export` on Discord: the zip arrives as an attachment of the interaction's answer.

Through the real discord.py and the fake: the bot defers privately, then edits its answer with a
multipart body (`payload_json` + `files[0]`); the fake keeps the file as Discord would and the
test unzips what it received. Over the upload limit, the bot's own (10 MiB, lowered here) or
Discord's (a 413 with code 40005, the fake's limit lowered), the answer comes without the file
and gives the operator's command.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.discord.client import configure_endpoints
from bot.core import Marquee
from bot.settings import Settings
from tests.discord_adapter.fake_discord import (
    ADMIN,
    DEFERRED_CHANNEL_MESSAGE,
    EPHEMERAL,
    FakeDiscord,
    Interaction,
    Recorded,
)
from tests.discord_adapter.harness import start_bot
from tests.discord_adapter.test_communities import (
    GUILD_A,
    GUILD_B,
    HEADLINE,
    add_review_in_a,
    said,
)

ORIGINAL = "/messages/@original"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(guild_ids=(GUILD_A, GUILD_B)) as server:
        yield server
        assert [r.response for r in server.refused()] == []


async def export(fake: FakeDiscord, guild_id: str) -> tuple[Interaction, Recorded]:
    """Run `community-export` as an admin of `guild_id`: the interaction and its answer."""
    interaction = await fake.slash("community-export", {}, ADMIN, guild_id=guild_id)
    deferred = await fake.callback(interaction)
    # The upload can outlast Discord's 3 seconds: the bot defers at once, privately.
    assert deferred.body["type"] == DEFERRED_CHANNEL_MESSAGE, deferred.body
    assert deferred.body["data"]["flags"] & EPHEMERAL
    answer = await fake.webhook(interaction, "PATCH", suffix=ORIGINAL)
    return interaction, answer


def unzip(data: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".json")]
        assert name.replace(".json", ".ics") in archive.namelist()
        loaded: dict[str, Any] = json.loads(archive.read(name))
        return loaded


async def test_an_admin_gets_the_communitys_zip_and_nothing_of_another(
    bot: object, fake: FakeDiscord, core: Marquee
) -> None:
    await add_review_in_a(fake, core)
    _, in_a = await export(fake, GUILD_A)
    assert in_a.status == 200, in_a.response
    (upload,) = in_a.files
    assert upload.filename.startswith("community-") and upload.filename.endswith(".zip")
    (attachment,) = in_a.response["attachments"]
    assert attachment["filename"] == upload.filename
    data_a = unzip(fake.attachment_data(attachment))
    assert HEADLINE in {r["headline"] for r in data_a["review"]}
    assert upload.filename in said(in_a.response)
    assert "not attached" not in said(in_a.response)

    _, in_b = await export(fake, GUILD_B)
    (attachment_b,) = in_b.response["attachments"]
    assert attachment_b["filename"] != upload.filename
    data_b = unzip(fake.attachment_data(attachment_b))
    assert HEADLINE not in json.dumps(data_b)


async def test_over_the_bots_limit_no_file_is_sent_and_the_command_is_given(
    fake: FakeDiscord, core: Marquee, settings: Settings
) -> None:
    bot = await start_bot(core, settings, upload_max_bytes=100)
    try:
        _, answer = await export(fake, GUILD_A)
    finally:
        await bot.close()
        configure_endpoints(Settings())
    assert answer.status == 200 and answer.files == []
    shown = said(answer.response)
    assert "not attached" in shown and "Discord takes at most" in shown, shown
    assert "`marquee export community 1 --output FOLDER`" in shown, shown
    assert answer.response["attachments"] == []


async def test_a_file_discord_refuses_as_too_large_is_answered_without_it(
    bot: object, fake: FakeDiscord
) -> None:
    fake.upload_max = 100  # a smaller limit than the bot's: Discord's answer decides
    _, refused = await export(fake, GUILD_A)
    assert refused.status == 413 and refused.response["code"] == 40005
    assert refused.files, "the first try carries the file"
    answer = await fake.wait_for(
        lambda r: r.method == "PATCH" and r.path.endswith(ORIGINAL) and r.status == 200
    )
    assert answer.files == []
    shown = said(answer.response)
    assert "refused it as too large" in shown and "marquee export community" in shown, shown
    message = fake.messages[answer.response["id"]]
    assert message["attachments"] == [] and message["flags"] & EPHEMERAL
