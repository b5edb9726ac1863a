"""The Redis outbox: two instances deliver one board's events once each, in order."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import command, create_board
from tests.multi.conftest import StartInstances
from tests.webhook_receiver import WebhookReceiver
from tests.yclient import wait_for

pytestmark = pytest.mark.redis


async def test_two_instances_deliver_each_event_once_in_order(instances: StartInstances) -> None:
    receiver = WebhookReceiver()
    a, b = instances(2, PLANBOARD_WEBHOOK_ALLOW_PRIVATE="1", PLANBOARD_WEBHOOK_RETRY_BASE="0.1")
    board = create_board(a.url)
    bid = board["id"]
    headers = {"Authorization": f"Bearer {board['token']}"}
    r = httpx.post(
        f"{b.url}/api/boards/{bid}/webhooks",
        json={"url": receiver.url, "events": ["session.locked", "session.unlocked"]},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    hook = r.json()
    # The receiver is down while both instances queue events.
    for i in range(12):
        server = (a, b)[i % 2]
        assert (
            command(server.url, bid, board["token"], "lock" if i % 2 == 0 else "unlock").status_code
            == 200
        )

    def log() -> list[dict[str, object]]:
        rows: list[dict[str, object]] = httpx.get(
            f"{a.url}/api/boards/{bid}/webhooks/{hook['id']}/deliveries", headers=headers
        ).json()["deliveries"]
        return rows

    await wait_for(lambda: int(str(log()[-1]["attempts"])) >= 2, 15, "retries while down")
    receiver.start()
    try:
        await wait_for(lambda: len(receiver.unique_events()) == 12, 30, "twelve events")
        assert [e["type"] for e in receiver.unique_events()] == [
            "session.locked",
            "session.unlocked",
        ] * 6
        await wait_for(lambda: all(d["status"] == "delivered" for d in log()), 10, "delivered")
        assert len(receiver.requests) == 12  # each event once, though two instances deliver
    finally:
        receiver.stop()
