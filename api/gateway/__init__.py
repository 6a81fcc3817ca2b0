"""The WebSocket gateway: one connection per client, fed by the log (docs/protocol/api.md)."""
