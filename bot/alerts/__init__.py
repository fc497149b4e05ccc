"""Showtime alerts: subscriptions, the scheduler that finds due alerts, the outbox, delivery.

scheduler.AlertScheduler.tick() writes due alerts into the `alert_outbox` table (one row per
alert, unique by recipient, showtime, kind, lead and start time); delivery.AlertDelivery claims
due rows, batches them per channel into one `Reply`, posts through the platform's `Notifier`
and marks them sent. Nothing here imports a platform library.
"""
