"""Webhooks: signed event deliveries from a durable outbox."""
