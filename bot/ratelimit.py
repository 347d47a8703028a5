"""Per-key rate limits on aiolimiter's leaky buckets, without waiting: over the rate is refused at once.

Time is the running event loop's clock (``loop.time()``), as in aiolimiter; tests drive it by
advancing their loop's clock. State is per process: each webhook worker limits on its own.
"""

from __future__ import annotations

import logging

from aiolimiter import AsyncLimiter

logger = logging.getLogger(__name__)

MAX_KEYS = 10_000


class KeyedLimiter:
    """Up to ``rate`` acquisitions per ``period`` seconds for each key (a user, a chat, or one global key)."""

    def __init__(self, rate: float, period: float = 60.0, *, max_keys: int = MAX_KEYS) -> None:
        if rate <= 0 or period <= 0:
            raise ValueError("rate and period must be positive")
        self.rate = rate
        self.period = period
        self.max_keys = max_keys
        self._buckets: dict[str, AsyncLimiter] = {}

    async def try_acquire(self, key: str, amount: float = 1.0) -> bool:
        """Take ``amount`` from ``key``'s bucket if it has room now; False (and nothing taken) if not."""
        bucket = self._buckets.get(key)
        if bucket is None:
            self._forget_idle()
            bucket = self._buckets[key] = AsyncLimiter(self.rate, self.period)
        if not bucket.has_capacity(amount):
            return False
        await bucket.acquire(amount)  # has room: returns without waiting
        return True

    def _forget_idle(self) -> None:
        """Drop drained buckets once there are too many keys (a drained bucket equals a new one)."""
        if len(self._buckets) < self.max_keys:
            return
        for key in [k for k, b in self._buckets.items() if b.has_capacity(b.max_rate)]:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:  # all busy: forget the oldest rather than grow without bound
            logger.warning("rate limiter: %d busy keys, forgetting the oldest", len(self._buckets))
            for key in list(self._buckets)[: len(self._buckets) // 10 + 1]:
                del self._buckets[key]
