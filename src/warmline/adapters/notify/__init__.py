"""Notifiers: outbox messages sent to notify targets (signed webhooks, Slack)."""
