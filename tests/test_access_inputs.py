"""Per-key rate limits (aiolimiter, injected loop clock), input cleaning and bounded numbers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.inputs import clean_text, small_int
from bot.ratelimit import KeyedLimiter
from tests.clockloop import ClockLoop


@pytest.fixture
def loop() -> Iterator[ClockLoop]:
    lp = ClockLoop()
    yield lp
    lp.close()


def test_keyed_limiter_refuses_over_rate_per_key_and_recovers(loop: ClockLoop) -> None:
    lim = KeyedLimiter(3, 60)

    async def burst(key: str, n: int) -> list[bool]:
        return [await lim.try_acquire(key) for _ in range(n)]

    assert loop.run_until_complete(burst("a", 5)) == [True, True, True, False, False]
    assert loop.run_until_complete(burst("b", 3)) == [True, True, True]  # keys are independent
    loop.advance(20)  # one slot leaks out every 20 s
    assert loop.run_until_complete(burst("a", 2)) == [True, False]
    loop.advance(60)
    assert loop.run_until_complete(burst("a", 4)) == [True, True, True, False]


def test_keyed_limiter_forgets_idle_keys_only_when_full(loop: ClockLoop) -> None:
    lim = KeyedLimiter(1, 60, max_keys=3)

    async def take(key: str) -> bool:
        return await lim.try_acquire(key)

    for k in ("a", "b", "c"):
        assert loop.run_until_complete(take(k))
    loop.advance(61)
    assert loop.run_until_complete(take("d"))  # a, b, c drained: forgotten
    assert len(lim._buckets) == 1
    assert not loop.run_until_complete(take("d"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc", "abc"),
        ("a\ud800b", "a\ufffdb"),
        ("\udfff", "\ufffd"),
        ("x\x00y", "xy"),
        (json.loads('"\\ud83d\\ude00"'), "😀"),  # a valid pair stays one character
        ("Sở Nội vụ", "Sở Nội vụ"),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    out = clean_text(raw)
    assert out == expected
    out.encode("utf-8")  # always encodable


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2", 2), (" 12 ", 12), ("²", None), ("١٢", None), ("1_000", None), ("9" * 5000, None), ("-1", None),
     ("", None), ("9" * 12, 999_999_999_999), ("9" * 13, None)],
)
def test_small_int_never_raises(raw: str, expected: int | None) -> None:
    assert small_int(raw) == expected
