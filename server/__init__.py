"""planboard server: HTTP API, WebSocket rooms, stores, backplane, CLI (the I/O side)."""
