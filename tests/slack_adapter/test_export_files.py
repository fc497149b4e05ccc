"""`community export` on Slack: the zip is uploaded into the admin's DM with Marquee.

Through the real slack-bolt and slack_sdk's `files_upload_v2` against the fake: the three steps
of Slack's external upload happen in order and pass the fake's checks (declared length, issued
file id, a DM the bot opened), and the reply through the response_url says where the file
went. Refused (no files:write scope), the reply says why and gives the operator's command.
The fake's own refusals are checked with slack_sdk directly.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import WORKING_TEXT
from bot.core import Marquee
from bot.types import Actor, ChannelRef, Invocation, Role
from tests.slack_adapter.conftest import ADMIN_ID, MOD_ID
from tests.slack_adapter.fake_slack import FakeSlack
from tests.slack_adapter.workspace import Workspace

HEADLINE = "Only the film club's"
ELSEWHERE = "Only the other server's"


def add_review_elsewhere(core: Marquee) -> None:
    """A review in another community (a Discord server's), which the export must not hold."""
    actor = Actor("discord", "4711", "Otto", Role.MODERATOR)
    where = ChannelRef("discord", "G-ELSEWHERE", "c")
    film = core.handle(
        Invocation("film add", {"title": "Quillon Nights", "year": 2024}, actor, where)
    )
    assert not film.is_error, film
    args: dict[str, Any] = {
        "film": "Quillon Nights",
        "rating": 3,
        "headline": ELSEWHERE,
        "body": "Not for the film club.",
    }
    reply = core.handle(Invocation("review add", args, actor, where))
    assert not reply.is_error, reply


def unzip(data: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".json")]
        loaded: dict[str, Any] = json.loads(archive.read(name))
        return loaded


async def test_an_admin_gets_the_zip_in_a_direct_message(
    workspace: Workspace, core: Marquee
) -> None:
    fake = workspace.fake
    typed = f"review add Second Victims rating=4 headline={HEADLINE} body=Ours."
    added, _ = await workspace.command("/marquee", typed, MOD_ID)
    assert HEADLINE in json.dumps(added.json), added.json
    add_review_elsewhere(core)

    answer, _ = await workspace.command("/marquee", "community export", ADMIN_ID)
    # An upload can outlast the ack: the reply follows through the response_url.
    assert answer.json["text"] == WORKING_TEXT
    response = await fake.next_response()
    assert response["response_type"] == "ephemeral"
    shown = json.dumps(response)
    assert "direct messages" in shown and "not attached" not in shown, shown

    # The three steps, each as Slack checks them.
    (asked,) = fake.calls_to("files.getUploadURLExternal")
    (completed,) = fake.calls_to("files.completeUploadExternal")
    (shared,) = fake.files.shared
    assert asked.args["filename"] == shared.filename and shared.filename.endswith(".zip")
    assert int(asked.args["length"]) == len(shared.data)
    assert [accepted for _, _, accepted in fake.files.uploads] == [True]
    dm = "D" + ADMIN_ID[1:]
    assert completed.args["channel_id"] == dm == shared.channel
    assert shared.filename in shown

    data = unzip(shared.data)
    headlines = {r["headline"] for r in data["review"]}
    assert HEADLINE in headlines and ELSEWHERE not in json.dumps(data)


async def test_without_files_write_the_reply_says_so_and_gives_the_command(
    workspace: Workspace,
) -> None:
    fake = workspace.fake
    fake.files.missing_scopes.add("files:write")
    await workspace.command("/marquee", "community export", ADMIN_ID)
    shown = json.dumps(await fake.next_response())
    assert "not attached" in shown and "files:write" in shown, shown
    assert "`marquee export community 1 --output FOLDER`" in shown, shown
    assert fake.files.shared == []


@pytest.fixture
async def client(fake_slack: FakeSlack) -> Any:
    async with aiohttp.ClientSession() as session:
        yield AsyncWebClient(
            token=fake_slack.bot_token, base_url=fake_slack.api_url, session=session
        )


async def test_the_fake_refuses_what_slack_refuses(
    client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    issued = await client.files_getUploadURLExternal(filename="a.zip", length=10)
    async with aiohttp.ClientSession() as session:
        short = await session.post(str(issued["upload_url"]), data=b"12345")
        assert short.status == 400  # not the length getUploadURLExternal was told
        again = await session.post(str(issued["upload_url"]), data=b"1234567890")
        assert again.status == 404  # an upload URL is good for one POST
    files = [{"id": issued["file_id"], "title": "a.zip"}]
    with pytest.raises(SlackApiError) as never_arrived:
        await client.files_completeUploadExternal(files=files, channel_id="CFILMCLUB")
    assert never_arrived.value.response["error"] == "file_not_found"
    with pytest.raises(SlackApiError) as unknown:
        await client.files_completeUploadExternal(files=[{"id": "FNOSUCH"}], channel_id="C1")
    assert unknown.value.response["error"] == "file_not_found"

    fake_slack.files.outside_channels.add("CELSEWHERE")
    with pytest.raises(SlackApiError) as outside:
        await client.files_upload_v2(channel="CELSEWHERE", content="hi", filename="hi.txt")
    assert outside.value.response["error"] == "not_in_channel"
    with pytest.raises(SlackApiError) as unopened:
        await client.files_upload_v2(channel="DNEVEROPENED", content="hi", filename="hi.txt")
    assert unopened.value.response["error"] == "channel_not_found"
    done = await client.files_upload_v2(channel="CFILMCLUB", content="hi", filename="hi.txt")
    assert done["file"]["title"] == "hi.txt"
    assert [(f.channel, f.data) for f in fake_slack.files.shared] == [("CFILMCLUB", b"hi")]
