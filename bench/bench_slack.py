"""Slack command round trip through the real slack-bolt HTTP stack, at a million films.

    .venv/bin/python bench/bench_slack.py [--films 1000000] [--requests 1000] [--db URL]

Builds or reuses the synthetic catalogue of `bench/catalogue.py` (or uses `--db`), starts the
Slack adapter in HTTP mode on 127.0.0.1 against a fake Slack Web API (the one the tests use:
auth.test and users.info, answered once and cached), then sends signed slash commands one at a
time and times each from the first byte sent to the whole response read:

    signed POST → aiohttp → slack-bolt (signature check, authorize, dispatch) → role lookup
    → core.handle in a worker thread → Block Kit rendering → JSON response

The command mix: half `/film <a catalogue title>` (exact titles of random films, some of them
remakes that answer with a choice), a quarter `/review <a catalogue title>`, a quarter
`/review Second Victims` (real review cards, a spoiler button, dates).

Measured in the same run, as baselines:
- core.handle alone, in-process, on the same invocations (the core's share);
- a signed POST to a bare aiohttp handler answering fixed JSON (the HTTP floor on this machine).

Prints medians and p99; asserts nothing (the issue's target is p99 ≤ 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from adapters.slack.app import EVENTS_PATH, SlackAdapter  # noqa: E402
from bench.catalogue import build_catalogue, catalogue_path  # noqa: E402
from bench.stats import line  # noqa: E402
from bot.core import Marquee  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.types import Actor, ChannelRef, Invocation, Role  # noqa: E402
from storage.db import Database  # noqa: E402
from tests.slack_adapter.fake_slack import FakeSlack  # noqa: E402
from tests.slack_adapter.workspace import SIGNING_SECRET, sign  # noqa: E402

USERS = ("UBENCH001", "UBENCH002", "UBENCH003", "UBENCH004")
CHANNEL = "CBENCH"


def sample_titles(url: str, count: int, seed: int) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        top = conn.execute(text("SELECT max(id) FROM film")).scalar_one()
        ids = random.Random(seed).sample(range(1, top + 1), count)
        rows = conn.execute(text(f"SELECT title FROM film WHERE id IN ({','.join(map(str, ids))})"))
        titles = [r[0] for r in rows]
    engine.dispose()
    return titles


def command_mix(titles: list[str], n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        roll = rng.random()
        title = titles[i % len(titles)]
        if roll < 0.5:
            out.append(("/film", title))
        elif roll < 0.75:
            out.append(("/review", title))
        else:
            out.append(("/review", "Second Victims"))
    return out


def slash_body(fake: FakeSlack, command: str, text_: str, user: str) -> str:
    return urlencode(
        {
            "team_id": fake.team_id,
            "channel_id": CHANNEL,
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text_.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
            "response_url": fake.response_url(),
            "trigger_id": "trigger.bench",
        }
    )


async def post_signed(session: aiohttp.ClientSession, url: str, body: str) -> tuple[float, int]:
    """One signed POST; (milliseconds, status). Signing is part of what Slack does, not us,
    so it happens before the clock starts."""
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(SIGNING_SECRET, ts, body),
    }
    data = body.encode()
    started = time.perf_counter()
    async with session.post(url, data=data, headers=headers) as response:
        await response.read()
        status = response.status
    return (time.perf_counter() - started) * 1000, status


async def bench_adapter(
    core: Marquee, fake: FakeSlack, commands: list[tuple[str, str]], warmup: int
) -> list[float]:
    settings = Settings(
        slack_bot_token=fake.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.api_url,
        slack_http_host="127.0.0.1",
        slack_http_port=0,
    )
    adapter = SlackAdapter(core, settings)
    await adapter.start()
    url = f"http://127.0.0.1:{adapter.http_port}{EVENTS_PATH}"
    times: list[float] = []
    try:
        async with aiohttp.ClientSession() as session:
            for i, (command, text_) in enumerate(commands[:warmup] + commands):
                body = slash_body(fake, command, text_, USERS[i % len(USERS)])
                ms, status = await post_signed(session, url, body)
                if status != 200:
                    raise RuntimeError(f"{command} {text_!r} answered {status}")
                if i >= warmup:
                    times.append(ms)
    finally:
        await adapter.stop()
    return times


async def bench_echo(fake: FakeSlack, n: int, warmup: int) -> list[float]:
    """The floor: the same signed POSTs to an aiohttp handler that answers fixed JSON."""
    payload = {"response_type": "in_channel", "text": "ok", "blocks": []}

    async def echo(request: web.Request) -> web.Response:
        await request.text()
        return web.json_response(payload)

    app = web.Application()
    app.router.add_post(EVENTS_PATH, echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}{EVENTS_PATH}"
    times: list[float] = []
    try:
        async with aiohttp.ClientSession() as session:
            for i in range(warmup + n):
                ms, _ = await post_signed(session, url, slash_body(fake, "/film", "x", USERS[0]))
                if i >= warmup:
                    times.append(ms)
    finally:
        await runner.cleanup()
    return times


def bench_core(core: Marquee, fake: FakeSlack, commands: list[tuple[str, str]]) -> list[float]:
    actor = Actor("slack", USERS[0], "bench", Role.MEMBER)
    channel = ChannelRef("slack", fake.team_id, CHANNEL)
    names = {"/film": ("film", "title"), "/review": ("review", "title")}
    times = []
    for command, text_ in commands:
        name, param = names[command]
        inv = Invocation(name, {param: text_}, actor, channel)
        started = time.perf_counter()
        core.handle(inv)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def main_async(args: argparse.Namespace) -> None:
    url = args.db or build_catalogue(catalogue_path(args.films), args.films)
    core = Marquee(Database(url))
    started = time.perf_counter()
    core.warm_up()
    print(f"catalogue {url}; title index loaded in {time.perf_counter() - started:.1f} s")
    commands = command_mix(
        sample_titles(url, min(args.requests, 5000), args.seed), args.requests, args.seed
    )

    fake = FakeSlack()
    for user in USERS:
        fake.add_user(user, user.lower())
    await fake.start()
    try:
        adapter = await bench_adapter(core, fake, commands, args.warmup)
        echo = await bench_echo(fake, args.requests, args.warmup)
    finally:
        await fake.stop()
    alone = bench_core(core, fake, commands)
    core.db.dispose()

    print(f"\n{len(commands)} signed slash commands, one at a time, after {args.warmup} warm-up")
    print(f"{'':44}{'median':>12}{'p99':>12}{'max':>12}")
    print(line("slack-bolt HTTP round trip (Marquee)", adapter))
    print(line("  baseline: core.handle alone", alone))
    print(line("  baseline: bare aiohttp signed POST echo", echo))
    p99 = sorted(adapter)[min(len(adapter) - 1, int(len(adapter) * 0.99))]
    verdict = "met" if p99 <= 50 else "NOT met"
    print(f"\ntarget p99 ≤ 50 ms: {verdict} ({p99:.1f} ms)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--films", type=int, default=1_000_000)
    p.add_argument("--requests", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--db", help="an existing catalogue's database URL (skips building one)")
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
