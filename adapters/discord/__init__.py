"""Marquee on Discord: slash commands, embeds, buttons and forms through discord.py."""

from adapters.discord.app import run_discord
from adapters.discord.client import MarqueeDiscord, invite_url
from adapters.discord.notifier import DiscordNotifier

__all__ = ["DiscordNotifier", "MarqueeDiscord", "invite_url", "run_discord"]
