"""Webhook delivery: the outbox worker, signatures, backoff, circuit breaker, SSRF guard.

Events are written to the store's outbox first (server/features/events.py) and delivered here,
in the background, never on the sync path. Each (board, endpoint) queue goes out in order: only its
oldest undelivered entry is attempted, by one instance at a time (a lease in the store), so a
receiver sees a board's events in order, at least once (a crash after sending and before
recording the outcome sends that one again: receivers deduplicate by the event id).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import logging
import random
import socket
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import httpx

from server.config import Settings
from server.store.base import Delivery, Store

log = logging.getLogger("planboard.webhooks")

OPERATOR = "operator"  # endpoint id of PLANBOARD_WEBHOOK_URL, one queue per board
SIGNATURE_HEADER = "X-Planboard-Signature"
TIMESTAMP_HEADER = "X-Planboard-Timestamp"
EVENT_ID_HEADER = "X-Planboard-Event-Id"
EVENT_TYPE_HEADER = "X-Planboard-Event"
BREAKER_THRESHOLD = 5  # consecutive failures of one URL that open its circuit
BATCH = 16


class UnsafeTarget(ValueError):
    """A webhook URL that the SSRF guard refuses (scheme, host, or a private address)."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=` + hex HMAC-SHA256 of `timestamp.body` (the Stripe/GitHub convention)."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, tolerance: float = 300
) -> bool:
    """What a receiver does (documented in the README): constant-time compare, fresh timestamp."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def check_url_shape(url: str) -> tuple[str, int]:
    """Only http(s) URLs with a host; returns (host, port)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget("Only http and https webhook URLs are allowed.")
    if not parts.hostname or parts.username or parts.password:
        raise UnsafeTarget("A webhook URL needs a host and no credentials.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeTarget("The webhook URL has an invalid port.") from exc
    return parts.hostname, port


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


async def check_target(url: str, allow_private: bool) -> None:
    """Refuse URLs whose host resolves to loopback, link-local or private ranges (SSRF).

    Checked when an endpoint is registered and again before every attempt (the name may
    resolve elsewhere by then).
    """
    host, port = check_url_shape(url)
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeTarget(f"The webhook host {host!r} does not resolve.") from exc
    for info in infos:
        if not _public(str(info[4][0])):
            raise UnsafeTarget(
                f"The webhook host {host!r} is a loopback, link-local or private address"
                " (set PLANBOARD_WEBHOOK_ALLOW_PRIVATE=1 to allow it)."
            )


def retry_delay(attempts: int, base: float, cap: float) -> float:
    """1 s, 2 s, 4 s … (times base) capped, with ±20 % jitter so retries do not bunch up."""
    ceiling = min(cap, base * 2.0 ** min(attempts - 1, 30))
    return float(ceiling * random.uniform(0.8, 1.2))


@dataclass
class _Circuit:
    failures: int = 0
    open_until: float = 0.0


@dataclass(frozen=True)
class Target:
    url: str
    secret: str


class WebhookDeliverer:
    """The background worker of one instance: claims due deliveries and attempts them."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._circuits: dict[str, _Circuit] = {}
        self._client: httpx.AsyncClient | None = None
        base = settings.webhook_retry_base_seconds
        self.poll_seconds = max(0.05, min(1.0, base))
        self.lease_seconds = settings.webhook_timeout_seconds + 20.0
        self.breaker_seconds = min(settings.webhook_retry_cap_seconds, 30.0 * base)

    def start(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=self.settings.webhook_timeout_seconds,
            follow_redirects=False,  # a redirect could point anywhere, private ranges too
            headers={"user-agent": "planboard-webhooks/1"},
            trust_env=False,
        )
        self._task = asyncio.create_task(self._run())

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        while True:
            try:
                batch = await self.store.claim_deliveries(time.time(), self.lease_seconds, BATCH)
            except Exception as exc:  # the store is away: try again later
                log.warning("cannot read the webhook outbox (%s)", exc)
                batch = []
                await asyncio.sleep(self.poll_seconds * 5)
            if batch:
                await asyncio.gather(*(self._attempt(d) for d in batch))
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def _target(self, delivery: Delivery) -> Target | None:
        if delivery.endpoint_id == OPERATOR:
            url, secret = self.settings.webhook_url, self.settings.webhook_secret
            return Target(url, secret or "") if url else None
        for hook in await self.store.list_webhooks(delivery.board_id):
            if hook.get("id") == delivery.endpoint_id:
                return Target(str(hook["url"]), str(hook.get("secret") or ""))
        return None

    async def _attempt(self, delivery: Delivery) -> None:
        try:
            outcome = await self._send(delivery)
        except Exception as exc:  # never let one delivery stop the worker
            log.exception("webhook delivery %s failed unexpectedly", delivery.id)
            outcome = replace(delivery, last_error=f"internal error: {exc}")
            outcome = self._reschedule(outcome, count_attempt=True)
        with contextlib.suppress(Exception):
            await self.store.finish_delivery(outcome)

    async def _send(self, delivery: Delivery) -> Delivery:
        target = await self._target(delivery)
        if target is None:
            return replace(delivery, status="failed", last_error="endpoint deleted")
        now = time.time()
        circuit = self._circuits.setdefault(target.url, _Circuit())
        if circuit.open_until > now:  # open circuit: wait, without counting an attempt
            return replace(delivery, next_at=circuit.open_until)
        # The operator's own URL is configuration, trusted like the rest (it may be internal);
        # the guard is for URLs that facilitators type in.
        trusted = delivery.endpoint_id == OPERATOR
        try:
            await check_target(target.url, self.settings.webhook_allow_private or trusted)
        except UnsafeTarget as exc:
            return replace(delivery, status="failed", last_error=str(exc))
        timestamp = int(now)
        headers = {
            "content-type": "application/json",
            EVENT_TYPE_HEADER: delivery.event_type,
            EVENT_ID_HEADER: delivery.event_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(target.secret, timestamp, delivery.body),
        }
        status: int | None = None
        error: str | None = None
        assert self._client is not None
        try:
            async with self._client.stream(
                "POST", target.url, content=delivery.body, headers=headers
            ) as response:
                status = response.status_code
                size = 0
                async for chunk in response.aiter_raw():  # read a bounded amount, then stop
                    size += len(chunk)
                    if size > self.settings.webhook_max_response_bytes:
                        break
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__
        delivered = status is not None and 200 <= status < 300
        if delivered:
            circuit.failures, circuit.open_until = 0, 0.0
            return replace(
                delivery,
                status="delivered",
                attempts=delivery.attempts + 1,
                last_status=status,
                last_error=None,
                delivered_at=time.time(),
            )
        circuit.failures += 1
        if circuit.failures >= BREAKER_THRESHOLD:
            circuit.open_until = time.time() + self.breaker_seconds
            log.warning(
                "webhook %s failing: circuit open for %.0fs", target.url, self.breaker_seconds
            )
        failed = replace(delivery, last_status=status, last_error=error or f"HTTP {status}")
        return self._reschedule(failed, count_attempt=True)

    def _reschedule(self, delivery: Delivery, *, count_attempt: bool) -> Delivery:
        attempts = delivery.attempts + (1 if count_attempt else 0)
        now = time.time()
        if now - delivery.created_at > self.settings.webhook_max_age_seconds:
            return replace(delivery, attempts=attempts, status="failed")
        delay = retry_delay(
            attempts,
            self.settings.webhook_retry_base_seconds,
            self.settings.webhook_retry_cap_seconds,
        )
        return replace(delivery, attempts=attempts, status="pending", next_at=now + delay)


def delivery_dict(d: Delivery) -> dict[str, Any]:
    """A delivery as the deliveries log shows it (without the body)."""
    return {
        "id": d.id,
        "event_id": d.event_id,
        "event": d.event_type,
        "status": d.status,
        "attempts": d.attempts,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "created_at": d.created_at,
        "next_attempt_at": d.next_at if d.status == "pending" else None,
        "delivered_at": d.delivered_at,
    }
