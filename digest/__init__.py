"""Digest: the durable email outbox, member email preferences, digests and the newsletter."""
