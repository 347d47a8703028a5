"""An event loop whose clock a test can move forward: the injected clock of the rate-limit tests
(aiolimiter reads ``loop.time()``)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class ClockLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        super().__init__()
        self.offset = 0.0

    def time(self) -> float:
        return super().time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def run(loop: ClockLoop, coro: Coroutine[Any, Any, T]) -> T:
    return loop.run_until_complete(coro)
