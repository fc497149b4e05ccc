"""The Slack app manifest, generated from the command registry.

`slack/manifest.yml` is this module's output, checked in so an operator can paste it into
https://api.slack.com/apps ("Create New App" → "From an app manifest"). A test fails when the
file and the registry disagree; regenerate with:

    .venv/bin/python -m adapters.slack.manifest > slack/manifest.yml
"""

from __future__ import annotations

import json

from adapters.slack.commands import slash_commands

BOT_SCOPES = (
    "commands",  # slash commands
    "chat:write",  # alerts and replies in channels the bot is in
    "chat:write.public",  # alerts in public channels without inviting the bot first
    "users:read",  # users.info: admins and owners are Marquee admins
    "usergroups:read",  # usergroups.users.list: moderator groups
    # conversations.history: a re-sent alert batch is looked for before it is posted again
    "channels:history",
    "groups:history",
    "im:history",
    "im:write",  # conversations.open: the DM an alert to a member went to
    "files:write",  # files.getUploadURLExternal: `community export` sends its zip to a DM
)

HEADER = """\
# Marquee's Slack app manifest, generated from the command registry by
#   .venv/bin/python -m adapters.slack.manifest > slack/manifest.yml
# Do not edit by hand: a test compares this file with the registry.
#
# As written the app runs in Socket Mode (SLACK_BOT_TOKEN + SLACK_APP_TOKEN, the app-level token
# needs the connections:write scope). For HTTP mode set socket_mode_enabled to false, add
#   url: https://<your host>/slack/events
# to every slash command and request_url: https://<your host>/slack/events under interactivity,
# and run Marquee with SLACK_SIGNING_SECRET and SLACK_HTTP_PORT instead of SLACK_APP_TOKEN.
#
# For many workspaces (OAuth installs, HTTP mode only), set up HTTP mode as above, then add
#   redirect_urls:
#     - https://<your host>/slack/oauth_redirect
# under oauth_config, and under settings
#   event_subscriptions:
#     request_url: https://<your host>/slack/events
#     bot_events: [app_uninstalled, tokens_revoked]
# so an uninstall deletes the workspace's installation; turn on public distribution under
# "Manage Distribution", and run Marquee with SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and
# SLACK_SIGNING_SECRET (no SLACK_BOT_TOKEN; SLACK_INSTALL_REDIRECT_URI when the app has several
# redirect URLs). Workspaces install at https://<your host>/slack/install.
"""


def manifest_yaml() -> str:
    # Strings are written as JSON strings, which YAML reads unchanged: no quoting surprises.
    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    lines = [
        "display_information:",
        f"  name: {q('Marquee')}",
        f"  description: {q('Film reviews, showtimes and screening alerts for a film community')}",
        f"  background_color: {q('#2c2d30')}",
        "features:",
        "  bot_user:",
        f"    display_name: {q('Marquee')}",
        "    always_online: true",
        "  slash_commands:",
    ]
    for command in slash_commands():
        lines += [
            f"    - command: {command.name}",
            f"      description: {q(command.description)}",
            f"      usage_hint: {q(command.usage_hint)}",
            "      should_escape: false",
        ]
    lines += ["oauth_config:", "  scopes:", "    bot:"]
    lines += [f"      - {scope}" for scope in BOT_SCOPES]
    lines += [
        "settings:",
        "  interactivity:",
        "    is_enabled: true",
        "  org_deploy_enabled: false",
        "  socket_mode_enabled: true",
        "  token_rotation_enabled: false",
    ]
    return HEADER + "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(manifest_yaml(), end="")
