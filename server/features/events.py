"""What happened on a board, as `planboard.event/v1` documents written to the webhook outbox.

Events come from three places: the HTTP API (board created, participant joined, exported), the
facilitation commands (lock, agenda, voting, drafts, agreed estimates) and the document itself
(decisions and action items, which members write directly). The document watcher reports only
changes this instance integrated from its own clients or commands (never what another instance
already reported through the backplane), a little later and coalesced, and compares with what
it reported before: a burst of keystrokes is one `action.updated`, and a compensated (undone)
edit is none.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from typing import Any

from pycrdt import Doc, Map

from crdt import events as ev
from crdt.schema import agenda_items
from server.config import Settings
from server.features.base import Feature
from server.features.webhooks import OPERATOR, WebhookDeliverer
from server.realtime.room import Room, RoomWatch
from server.realtime.rooms import RoomManager
from server.store.base import Delivery, Store

log = logging.getLogger("planboard.events")

COALESCE_SECONDS = 1.0
NOT_REPORTED = frozenset({"remote", "load", "compensation"})  # origins of others' changes


def wants(hook: dict[str, Any], event_type: str) -> bool:
    events = hook.get("events") or ["*"]
    return "*" in events or event_type in events


class Outbox:
    """Writes events to the store's outbox and wakes this instance's deliverer."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.deliverer = WebhookDeliverer(settings, store)
        self._tasks: set[asyncio.Task[None]] = set()
        self._last: asyncio.Task[None] | None = None

    async def emit(
        self, board_id: str, event_type: str, data: dict[str, Any], *, title: str | None = None
    ) -> None:
        """Queue one event for every endpoint that wants it; never raises (it is logged)."""
        try:
            hooks = [h for h in await self.store.list_webhooks(board_id) if wants(h, event_type)]
            targets = [str(h["id"]) for h in hooks]
            if self.settings.webhook_url:
                targets.append(OPERATOR)
            if not targets:
                return
            if title is None:
                info = await self.store.get_board(board_id)
                title = info.title if info else ""
            now = time.time()
            event = ev.make_event(event_type, board_id, title, data, now * 1000)
            body = ev.encode(event)
            await self.store.enqueue_deliveries(
                [
                    Delivery(
                        id="dlv_" + secrets.token_urlsafe(12),
                        board_id=board_id,
                        endpoint_id=target,
                        event_id=event["id"],
                        event_type=event_type,
                        body=body,
                        status="pending",
                        attempts=0,
                        next_at=now,
                        created_at=now,
                    )
                    for target in targets
                ]
            )
            self.deliverer.wake()
        except Exception:
            log.exception("could not queue %s for board %s", event_type, board_id)

    def emit_later(
        self, board_id: str, events: list[tuple[str, dict[str, Any]]], title: str
    ) -> None:
        """From a document observer (synchronous): queue the emits as a task, after the ones
        queued before, so that the outbox receives them in the order they happened."""
        previous = self._last

        async def run() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            for event_type, data in events:
                await self.emit(board_id, event_type, data, title=title)

        task = asyncio.get_running_loop().create_task(run())
        self._last = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def after_command(
        self, room: Room, board_id: str, kind: str, result: dict[str, Any]
    ) -> None:
        """The event a successful facilitation command stands for, if any."""
        doc = room.doc
        title = ev.board_title(doc)
        event = _command_event(doc, kind, result)
        if event is not None:
            await self.emit(board_id, event[0], event[1], title=title)

    def start(self) -> None:
        self.deliverer.start()

    async def stop(self) -> None:
        for task in list(self._tasks):
            await asyncio.gather(task, return_exceptions=True)
        await self.deliverer.stop()


def _command_event(
    doc: Doc[Any], kind: str, result: dict[str, Any]
) -> tuple[str, dict[str, Any]] | None:
    if kind == "lock":
        return "session.locked", {}
    if kind == "unlock":
        return "session.unlocked", {}
    if kind in ("agenda.next", "agenda.prev", "agenda.goto"):
        item_id = result.get("current_item")
        items = [i for i in agenda_items(doc) if i.get("id") == item_id]
        return "agenda.advanced", {"item": items[0] if items else {"id": item_id}}
    if kind == "voting.start":
        return "voting.started", {"voting": _public_voting(result.get("voting") or {})}
    if kind == "voting.reveal":
        voting = _public_voting(result.get("voting") or {})
        data: dict[str, Any] = {"voting": voting}
        if "ranking" in result:
            data["ranking"] = result["ranking"]
        if "estimates" in result:
            notes = doc.get("notes", type=Map)
            data["estimates"] = [
                {
                    "note_id": n,
                    "text": str(notes[n].get("text", "")) if isinstance(notes.get(n), Map) else "",
                    **summary,
                }
                for n, summary in result["estimates"].items()
            ]
        return "voting.revealed", data
    if kind == "drafts.reveal":
        return "drafts.revealed", {
            "notes": int(result.get("revealed") or 0),
            "members": int(result.get("members") or 0),
        }
    if kind == "estimate.agree":
        note_id = result.get("note_id")
        notes = doc.get("notes", type=Map)
        note = notes.get(note_id) if isinstance(note_id, str) else None
        return "estimate.agreed", {
            "note_id": note_id,
            "text": str(note.get("text", "")) if isinstance(note, Map) else "",
            "estimate": result.get("estimate"),
        }
    return None


def _public_voting(voting: dict[str, Any]) -> dict[str, Any]:
    """The round's public settings (the `done` count says nothing about whose ballots)."""
    keep = ("round", "status", "kind", "scale", "budget", "max_per_note", "secret", "scope")
    return {k: voting[k] for k in keep if k in voting}


class OutcomeWatch(Feature):
    """Reports decisions and action items that this instance's clients create or change."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def attach(self, room: Room, rooms: RoomManager) -> RoomWatch | None:
        if room.ref.is_drafts:
            return None  # drafts docs are private until the reveal
        return _OutcomeObservers(room, self.outbox)


class _OutcomeObservers(RoomWatch):
    def __init__(self, room: Room, outbox: Outbox) -> None:
        self._subscriptions = _watch_outcomes(room, outbox)


def _watch_outcomes(room: Room, outbox: Outbox) -> list[Any]:
    """Observe `actions` and `decisions`; the subscriptions live as long as the room."""
    board_id = room.ref.board_id
    doc = room.doc
    reported: dict[str, str] = {}
    # Entries changed since the last flush, in the order they changed (dicts keep order).
    local: dict[tuple[str, str], None] = {}
    others: dict[tuple[str, str], None] = {}
    scheduled: list[asyncio.TimerHandle] = []

    def view(root: str, entry_id: str) -> dict[str, Any] | None:
        if root == "actions":
            return ev.action_view(doc, entry_id)
        return ev.decision_view(doc, entry_id)

    for root in ("actions", "decisions"):
        for entry_id in list(doc.get(root, type=Map).keys()):
            reported[f"{root}/{entry_id}"] = json.dumps(view(root, entry_id), sort_keys=True)

    def flush() -> None:
        scheduled.clear()
        mine, theirs = list(local), [k for k in others if k not in local]
        local.clear()
        others.clear()
        title = ev.board_title(doc)
        batch: list[tuple[str, dict[str, Any]]] = []
        for root, entry_id in theirs:
            reported[f"{root}/{entry_id}"] = json.dumps(view(root, entry_id), sort_keys=True)
        for root, entry_id in mine:
            key = f"{root}/{entry_id}"
            current = view(root, entry_id)
            encoded = json.dumps(current, sort_keys=True)
            before = reported.get(key)
            if current is None or encoded == before:
                continue
            reported[key] = encoded
            if root == "decisions":
                if before is None:
                    batch.append(("decision.recorded", {"decision": current}))
            elif before is None:
                batch.append(("action.created", {"action": current}))
            else:
                batch.append(("action.updated", {"action": current}))
        if batch:
            outbox.emit_later(board_id, batch, title)

    def observer(root: str) -> Any:
        def on_change(events: list[Any], txn: Any) -> None:
            target = others if txn.origin in NOT_REPORTED else local
            for event in events:
                path = list(getattr(event, "path", []))
                if path:
                    target[(root, str(path[0]))] = None
                else:
                    for key in getattr(event, "keys", {}):
                        target[(root, str(key))] = None
            if not scheduled:
                loop = asyncio.get_running_loop()
                scheduled.append(loop.call_later(COALESCE_SECONDS, flush))

        return on_change

    return [
        doc.get(root, type=Map).observe_deep(observer(root)) for root in ("actions", "decisions")
    ]
