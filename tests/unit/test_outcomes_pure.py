"""Pure parts of the outcomes: estimation summaries, signatures, backoff, URL checks."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from crdt import estimation
from crdt.errors import ApiError
from server.features.webhooks import UnsafeTarget, check_url_shape, retry_delay, sign, verify

FIB = estimation.SCALES["fibonacci"]


def test_median_is_a_card_and_wide_spreads_ask_for_discussion() -> None:
    s = estimation.summarize(["3", "5", "13"], FIB)
    assert s.median == "5" and s.low == "3" and s.high == "13"
    assert s.discuss == "discuss: 3 to 13"
    assert s.distribution == {"3": 1, "5": 1, "13": 1}
    even = estimation.summarize(["3", "5"], FIB)
    assert even.median == "5" and even.discuss is None  # the higher middle card
    unsure = estimation.summarize(["?", "?", "8"], FIB)
    assert unsure.median == "8" and unsure.count == 3 and unsure.distribution["?"] == 2
    assert estimation.summarize(["?"], FIB).median is None
    shirts = estimation.summarize(["XS", "XL"], estimation.SCALES["tshirt"])
    assert shirts.discuss == "discuss: XS to XL"


def test_scales_and_cards() -> None:
    assert estimation.parse_scale(None) == ("fibonacci", FIB)
    assert estimation.parse_scale(["1", 2, 3.0]) == ("custom", ("1", "2", "3"))
    for bad in ("dice", ["1"], ["a", "a"], [True, 1], [""], ["x" * 17, "y"], {"a": 1}):
        with pytest.raises(ApiError):
            estimation.parse_scale(bad)
    assert (
        estimation.card_on_scale(5, FIB) == "5"
        and estimation.card_on_scale("5.0", ("5.0",)) == "5.0"
    )
    for bad in (4, "4", None, True, [5]):
        with pytest.raises(ApiError):
            estimation.card_on_scale(bad, FIB)


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"id":"evt_1"}'
    ts = int(time.time())
    expected = hmac.new(b"key", f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    assert sign("key", ts, body) == "v1=" + expected
    assert verify("key", str(ts), body, "v1=" + expected)
    assert not verify("key", str(ts), body + b" ", "v1=" + expected)
    assert not verify("key", str(ts - 3600), body, sign("key", ts - 3600, body))  # stale


def test_backoff_doubles_from_the_base_and_is_capped() -> None:
    for attempt, nominal in ((1, 1.0), (2, 2.0), (3, 4.0), (10, 300.0), (40, 300.0)):
        delay = retry_delay(attempt, 1.0, 300.0)
        assert nominal * 0.8 <= delay <= nominal * 1.2


def test_url_shapes() -> None:
    assert check_url_shape("https://example.com/x") == ("example.com", 443)
    assert check_url_shape("http://example.com:8080/x") == ("example.com", 8080)
    for bad in ("ftp://x/y", "http://user:pw@example.com/", "http://example.com:99999/", "x"):
        with pytest.raises(UnsafeTarget):
            check_url_shape(bad)
