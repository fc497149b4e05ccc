"""Slack adapter: slash commands, buttons and modals in, Block Kit out, through slack-bolt.

The modules are small on purpose:
- `markup`: escaping and Slack's text markup (dates, stars), pure.
- `actions`: what a button or select carries back to us (command + args), pure.
- `render`: the core's `Reply` as Block Kit, pure.
- `commands`: slash commands built from the core's registry, pure.
- `forms`: modals built from a command's parameters and read back, pure.
- `roles`: Slack facts (admins, configured users and groups) to a `Role`.
- `invocation`: a request as the core's `Invocation`; its bolt middleware looks up who asks
  once per request, before any listener runs.
- `replying`: a `Reply` as the message for an ack, a response_url or a click, sent through
  bolt's `respond`.
- `notifier`: alerts posted with chat.postMessage, each carrying its batch key in the message
  metadata so a re-sent batch is found in the channel's history instead of posted twice.
- `oauth`, `oauth_stores`: many workspaces (OAuth v2): bolt's install and redirect routes,
  installations and install states in Marquee's database, a bot token per workspace.
- `manifest`: the app manifest (`slack/manifest.yml`) generated from the registry.
- `app`: `SlackAdapter`, the slack-bolt `AsyncApp` with its listeners and the HTTP / Socket
  Mode runners; an `adapters.platform.Platform` (start, serve, stop, notifier, is_connected).
  Answers after the acknowledgement go through bolt's own `respond` to the `response_url`.
"""
