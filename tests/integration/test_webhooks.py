"""Signed webhooks against a real receiver: signatures, order, retries, kill -9, SSRF guard."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from pycrdt import Map, Text

from server.features.webhooks import verify
from tests.helpers import command, create_board, join_board
from tests.integration.test_voting import _board_with_notes
from tests.servers import PlanboardProcess
from tests.webhook_receiver import WebhookReceiver
from tests.yclient import YClient, wait_for

FAST = {"PLANBOARD_WEBHOOK_ALLOW_PRIVATE": "1", "PLANBOARD_WEBHOOK_RETRY_BASE": "0.1"}
SECRET = "s3cret-for-the-receiver-0123456789"


def register(base: str, board: dict[str, Any], url: str, **body: Any) -> httpx.Response:
    return httpx.post(
        f"{base}/api/boards/{board['id']}/webhooks",
        json={"url": url, **body},
        headers={"Authorization": f"Bearer {board['token']}"},
    )


def deliveries(base: str, board: dict[str, Any], hook_id: str) -> list[dict[str, Any]]:
    r = httpx.get(
        f"{base}/api/boards/{board['id']}/webhooks/{hook_id}/deliveries",
        headers={"Authorization": f"Bearer {board['token']}"},
    )
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["deliveries"]
    return rows


def types(receiver: WebhookReceiver) -> list[str]:
    return [e["type"] for e in receiver.unique_events()]


async def test_events_arrive_signed_and_verifiable(server_factory: Any) -> None:
    receiver = WebhookReceiver().start()
    try:
        server: PlanboardProcess = server_factory(env=FAST)
        board, ana, client = await _board_with_notes(server, 2)
        base, bid = server.url, board["id"]
        r = register(base, board, receiver.url, secret=SECRET)
        assert r.status_code == 201, r.text
        hook = r.json()
        assert hook["secret"] == SECRET and hook["events"] == ["*"]
        listed = httpx.get(
            f"{base}/api/boards/{bid}/webhooks",
            headers={"Authorization": f"Bearer {board['token']}"},
        ).json()["webhooks"]
        assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
        # A session: join, lock, agenda, a secret round with ballots, reveal, decision, action.
        join_board(base, bid, "Bo")
        command(base, bid, board["token"], "lock")
        command(base, bid, board["token"], "unlock")
        command(base, bid, board["token"], "agenda.next")
        command(base, bid, board["token"], "voting.start", budget=2)
        for note in ("n0", "n1"):
            assert command(base, bid, ana["token"], "vote", note_id=note).status_code == 200
        await wait_for(lambda: "voting.started" in types(receiver), 10, "voting.started")
        ballots_seen_before_reveal = b"".join(r.body for r in receiver.requests)
        command(base, bid, board["token"], "voting.reveal")
        fac = await YClient(f"{server.ws_url}/ws/{bid}?token={board['token']}").connect()
        fac.doc.get("decisions", type=Map)["d1"] = Map(
            {"text": "Do n0 first", "item": None, "created_at": time.time() * 1000, "notes": ["n0"]}
        )
        # Two clients' writes have no order between them: one after the other.
        await wait_for(lambda: "decision.recorded" in types(receiver), 10, "decision.recorded")
        actions = client.doc.get("actions", type=Map)
        actions["a1"] = Map(
            {"text": Text("Write the plan"), "status": "open", "owner": ana["participant_id"]}
        )
        await wait_for(lambda: "action.created" in types(receiver), 10, "action.created")
        actions["a1"]["status"] = "done"
        await wait_for(lambda: "action.updated" in types(receiver), 10, "action.updated")
        httpx.get(
            f"{base}/api/boards/{bid}/export?format=md",
            headers={"Authorization": f"Bearer {board['token']}"},
        )
        await wait_for(lambda: "session.exported" in types(receiver), 10, "session.exported")
        seen = types(receiver)
        assert seen == [
            "participant.joined",
            "session.locked",
            "session.unlocked",
            "agenda.advanced",
            "voting.started",
            "voting.revealed",
            "decision.recorded",
            "action.created",
            "action.updated",
            "session.exported",
        ], seen
        for request in receiver.requests:
            h = request.headers
            assert verify(
                SECRET, h["x-planboard-timestamp"], request.body, h["x-planboard-signature"]
            )
            assert not verify(
                "wrong", h["x-planboard-timestamp"], request.body, h["x-planboard-signature"]
            )
            event = request.event
            assert event["schema"] == "planboard.event/v1"
            assert (
                h["x-planboard-event-id"] == event["id"] and h["x-planboard-event"] == event["type"]
            )
            assert event["board"] == {"id": bid, "title": "Test board"}
        events = {e["type"]: e for e in receiver.unique_events()}
        revealed = events["voting.revealed"]["data"]
        assert [row["note_id"] for row in revealed["ranking"]] == ["n0", "n1"]
        assert events["decision.recorded"]["data"]["decision"]["notes"] == [
            {"id": "n0", "text": "idea 0"}
        ]
        assert events["action.created"]["data"]["action"]["owner_name"] == "Ana"
        assert events["action.updated"]["data"]["action"]["status"] == "done"
        # Before the reveal, nothing about the ballots went out: no tally, no voter.
        assert ana["participant_id"].encode() not in ballots_seen_before_reveal
        assert b"ranking" not in ballots_seen_before_reveal
        log = deliveries(base, board, hook["id"])
        assert len(log) == len(seen) and all(d["status"] == "delivered" for d in log)
        await fac.close()
        await client.close()
    finally:
        receiver.stop()


async def test_receiver_down_then_up_gets_every_event_once_in_order(server_factory: Any) -> None:
    receiver = WebhookReceiver()
    server: PlanboardProcess = server_factory(env=FAST)
    board = create_board(server.url)
    base, bid = server.url, board["id"]
    hook = register(base, board, receiver.url, events=["session.locked", "session.unlocked"]).json()
    for i in range(10):
        command(base, bid, board["token"], "lock" if i % 2 == 0 else "unlock")
    # Down: attempts fail and are retried with backoff; the log says so.
    await wait_for(
        lambda: deliveries(base, board, hook["id"])[-1]["attempts"] >= 2, 10, "failed attempts"
    )
    head = deliveries(base, board, hook["id"])[-1]
    assert head["status"] == "pending" and "ConnectError" in (head["last_error"] or "")
    assert all(d["attempts"] == 0 for d in deliveries(base, board, hook["id"])[:-1])  # in order
    receiver.start()
    try:
        await wait_for(lambda: len(receiver.unique_events()) == 10, 20, "all ten events")
        got = [e["type"] for e in receiver.unique_events()]
        assert got == ["session.locked", "session.unlocked"] * 5
        await wait_for(
            lambda: all(d["status"] == "delivered" for d in deliveries(base, board, hook["id"])),
            10,
            "log says delivered",
        )
        assert len(receiver.requests) == 10  # no duplicates under normal operation
        # A manual redeliver sends the same event (same id) again.
        first = deliveries(base, board, hook["id"])[-1]
        r = httpx.post(
            f"{base}/api/boards/{bid}/webhooks/{hook['id']}/deliveries/{first['id']}/redeliver",
            headers={"Authorization": f"Bearer {board['token']}"},
        )
        assert r.status_code == 202
        await wait_for(lambda: len(receiver.requests) == 11, 10, "the redelivery")
        assert receiver.requests[-1].event["id"] == first["event_id"]
    finally:
        receiver.stop()


async def test_outbox_survives_kill_9(server_factory: Any, tmp_path: Path) -> None:
    receiver = WebhookReceiver()
    data = tmp_path / "data"
    env = {**FAST, "PLANBOARD_WEBHOOK_RETRY_BASE": "0.5"}
    server: PlanboardProcess = server_factory(env=env, data_dir=data)
    board = create_board(server.url)
    base, bid = server.url, board["id"]
    hook = register(base, board, receiver.url).json()
    for i in range(6):
        assert (
            command(base, bid, board["token"], "lock" if i % 2 == 0 else "unlock").status_code
            == 200
        )
    server.kill()  # the receiver never saw any of them
    receiver.start()
    try:
        again: PlanboardProcess = server_factory(env=env, data_dir=data)
        await wait_for(lambda: len(receiver.unique_events()) == 6, 20, "events after restart")
        assert [e["type"] for e in receiver.unique_events()] == [
            "session.locked",
            "session.unlocked",
        ] * 3
        assert all(d["status"] == "delivered" for d in deliveries(again.url, board, hook["id"]))
    finally:
        receiver.stop()


async def test_private_and_odd_urls_are_refused_without_the_flag(
    live_server: PlanboardProcess,
) -> None:
    board = create_board(live_server.url)
    base = live_server.url
    for url in (
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ):
        r = register(base, board, url)
        assert r.status_code == 422 and r.json()["error"]["code"] == "unsafe_url", (url, r.text)
    for url in ("ftp://example.com/x", "file:///etc/passwd", "http:///nohost", "not a url"):
        r = register(base, board, url)
        assert r.status_code == 422, (url, r.text)
    assert register(base, board, "https://example.com/x", events=["nope"]).status_code == 422
    assert register(base, board, "https://example.com/x", secret="short").status_code == 422
    ana = join_board(base, board["id"], "Ana")
    r = httpx.post(
        f"{base}/api/boards/{board['id']}/webhooks",
        json={"url": "https://example.com/x"},
        headers={"Authorization": f"Bearer {ana['token']}"},
    )
    assert r.status_code == 403
    r = httpx.get(f"{base}/api/boards/{board['id']}/webhooks")
    assert r.status_code == 401


async def test_operator_endpoint_gets_every_board(server_factory: Any) -> None:
    receiver = WebhookReceiver().start()
    try:
        server: PlanboardProcess = server_factory(
            env={  # no ALLOW_PRIVATE: the operator's own URL is trusted configuration
                "PLANBOARD_WEBHOOK_RETRY_BASE": "0.1",
                "PLANBOARD_WEBHOOK_URL": receiver.url,
                "PLANBOARD_WEBHOOK_SECRET": SECRET,
            }
        )
        board = create_board(server.url, title="Ops board")
        await wait_for(lambda: "board.created" in types(receiver), 10, "board.created")
        request = receiver.requests[0]
        h = request.headers
        assert verify(SECRET, h["x-planboard-timestamp"], request.body, h["x-planboard-signature"])
        assert request.event["board"] == {"id": board["id"], "title": "Ops board"}
    finally:
        receiver.stop()


async def test_deleting_an_endpoint_stops_its_deliveries(server_factory: Any) -> None:
    receiver = WebhookReceiver().start()
    try:
        server: PlanboardProcess = server_factory(env=FAST)
        board = create_board(server.url)
        base, bid = server.url, board["id"]
        hook = register(base, board, receiver.url).json()
        command(base, bid, board["token"], "lock")
        await wait_for(lambda: len(receiver.requests) == 1, 10, "first event")
        r = httpx.delete(
            f"{base}/api/boards/{bid}/webhooks/{hook['id']}",
            headers={"Authorization": f"Bearer {board['token']}"},
        )
        assert r.status_code == 200
        r = httpx.delete(
            f"{base}/api/boards/{bid}/webhooks/{hook['id']}",
            headers={"Authorization": f"Bearer {board['token']}"},
        )
        assert r.status_code == 404
        command(base, bid, board["token"], "unlock")
        # A marker event through a second endpoint proves the first one got nothing more.
        marker = WebhookReceiver().start()
        try:
            register(base, board, marker.url)
            command(base, bid, board["token"], "lock")
            await wait_for(lambda: len(marker.requests) == 1, 10, "marker")
            assert len(receiver.requests) == 1
        finally:
            marker.stop()
    finally:
        receiver.stop()


async def test_estimation_round_events_carry_the_agreed_value(server_factory: Any) -> None:
    receiver = WebhookReceiver().start()
    try:
        server: PlanboardProcess = server_factory(env=FAST)
        board, ana, client = await _board_with_notes(server, 1)
        base, bid = server.url, board["id"]
        register(base, board, receiver.url, events=["voting.revealed", "estimate.agreed"])
        httpx.post(
            f"{base}/api/boards/{bid}/commands",
            json={"type": "voting.start", "kind": "estimate", "scale": "tshirt"},
            headers={"Authorization": f"Bearer {board['token']}"},
        )
        command(base, bid, ana["token"], "estimate", note_id="n0", value="M")
        command(base, bid, board["token"], "voting.reveal")
        command(base, bid, board["token"], "estimate.agree", note_id="n0", value="M")
        await wait_for(lambda: len(receiver.unique_events()) == 2, 10, "two events")
        revealed, agreed = receiver.unique_events()
        assert revealed["data"]["estimates"][0]["distribution"] == {"M": 1}
        assert agreed["data"] == {"note_id": "n0", "text": "idea 0", "estimate": "M"}
        await client.close()
    finally:
        receiver.stop()
