"""Realtime: one WebSocket endpoint, durable per-room event logs, the hub and its backplane."""
