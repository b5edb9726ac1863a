"""The deliverer against a real failing receiver and a real SQLite outbox: backoff, breaker."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from server.config import Settings
from server.features.events import Outbox
from server.features.webhooks import BREAKER_THRESHOLD
from server.store.base import Delivery
from server.store.sqlite import SQLiteStore
from tests.webhook_receiver import WebhookReceiver


async def test_failures_back_off_then_open_the_circuit(tmp_path: Path) -> None:
    receiver = WebhookReceiver(status=500).start()
    store = SQLiteStore(tmp_path / "pb.sqlite3")
    await store.open()
    settings = Settings(
        data_dir=tmp_path, webhook_allow_private=True, webhook_retry_base_seconds=1.0
    )
    outbox = Outbox(settings, store)
    deliverer = outbox.deliverer
    # No worker: the test makes each attempt itself (with the deliverer's own HTTP settings).
    deliverer._client = httpx.AsyncClient(timeout=5, follow_redirects=False, trust_env=False)
    try:
        await store.put_webhook(
            "b1", {"id": "wh1", "url": receiver.url, "secret": "x" * 16, "events": ["*"]}
        )
        await outbox.emit("b1", "session.locked", {}, title="T")
        [delivery] = await store.list_deliveries("b1", "wh1", 10)
        delays = []
        for _ in range(BREAKER_THRESHOLD):
            before = time.time()
            outcome = await deliverer._send(delivery)
            assert outcome.status == "pending" and outcome.last_status == 500
            delays.append(outcome.next_at - before)
            delivery = outcome
        # 1 s, 2 s, 4 s, 8 s, 16 s, each within ±20 % jitter (and a little slack for the call).
        for attempt, delay in enumerate(delays, start=1):
            nominal = 2.0 ** (attempt - 1)
            assert nominal * 0.8 - 0.5 <= delay <= nominal * 1.2 + 0.5, (attempt, delay)
        sent = len(receiver.requests)
        assert sent == BREAKER_THRESHOLD
        # The circuit is open: the next attempt sends nothing and waits, without counting.
        held = await deliverer._send(delivery)
        assert len(receiver.requests) == sent
        assert held.attempts == delivery.attempts and held.next_at > time.time()
        # Given up after the retry window: failed, and the queue moves on.
        old = Delivery(**{**delivery.__dict__, "created_at": time.time() - 2 * 86400})
        deliverer._circuits.clear()
        assert (await deliverer._send(old)).status == "failed"
    finally:
        await deliverer._client.aclose()
        await store.close()
        receiver.stop()
