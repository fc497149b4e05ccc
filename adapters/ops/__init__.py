"""Operating Marquee: the health and metrics endpoint and the log format.

Everything here belongs to the composition root (`marquee run`): the core and the alert loop
only call observer hooks (`adapters.core_calls.CommandObserver`,
`bot.alerts.delivery.AlertObserver`) and never import Prometheus.
"""
