"""`marquee run` as an operator starts it: one process, one database, Discord and Slack at once.

The real executable runs in a subprocess with the platforms' settings pointing at the loopback
fakes; this proves the composition root reads the settings, starts both adapters and serves
both platforms from the same core.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.registry import COMMANDS
from tests.discord_adapter.fake_discord import FakeDiscord
from tests.slack_adapter.fake_slack import FakeSlack
from tests.slack_adapter.workspace import SocketTransport, Workspace

pytestmark = pytest.mark.slow  # `marquee run` in a subprocess, two platforms logging in

MARQUEE = str(Path(sys.executable).parent / "marquee")
STARTUP = 60.0  # seconds: migrations, demo data and two logins on a busy 2-core machine


@pytest.mark.parametrize("core_processes", ["1", "2"])
async def test_marquee_run_serves_discord_and_slack_from_one_database(
    tmp_path: Path, core_processes: str
) -> None:
    """With MARQUEE_CORE_PROCESSES=2 the same answers come from a pool of worker processes."""
    discord, slack = FakeDiscord(), FakeSlack()
    await discord.start()
    await slack.start()
    slack.add_user("UMEMBER01", "mia")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'both.db'}",
        "DISCORD_TOKEN": discord.token,
        "DISCORD_API_BASE": discord.api_base,
        "DISCORD_GATEWAY_URL": discord.gateway_url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_API_URL": slack.api_url,
        "MARQUEE_CORE_PROCESSES": core_processes,
    }
    proc = await asyncio.create_subprocess_exec(
        MARQUEE,
        "run",
        env=env,
        cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        synced = await discord.command_sync(timeout=STARTUP)
        assert {c["name"] for c in synced.body} == {c.slug for c in COMMANDS if not c.hidden}
        await discord.identified(timeout=STARTUP)
        asked = await discord.slash("review", {"title": "Second Victims"})
        answer = await discord.callback(asked, timeout=STARTUP)
        titles = [e["title"] for e in answer.body["data"]["embeds"]]
        assert "A hospital drama about the doctor, not the patient" in titles

        # The workspace is another community (the server claimed the demo's): it is served
        # from the same database, with none of the server's data.
        await asyncio.wait_for(slack.socket_connected.wait(), STARTUP)
        workspace = Workspace(slack, SocketTransport(slack))
        reply, _ = await workspace.command("/review", "Second Victims", "UMEMBER01")
        assert "No film found" in str(reply.body), reply.body
        reply, _ = await workspace.command("/marquee", "community", "UMEMBER01")
        assert "Community 2" in str(reply.body) and "slack" in str(reply.body), reply.body
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        output = (await proc.stdout.read()).decode() if proc.stdout else ""
        await discord.close()
        await slack.stop()
    assert "Invite Marquee" in output or "oauth2/authorize" in output, output[-2000:]
    pooled = "answering commands in 2 worker processes" in output
    assert pooled == (core_processes == "2"), output[-2000:]
