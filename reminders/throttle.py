"""Sending limits per channel: N messages per second overall and M per second to one chat.

Telegram documents about 30 messages/s per bot and 1 message/s per chat; the defaults (25 and 1,
``reminders.channels`` in config.yaml) stay under them. Built on aiolimiter (a leaky bucket, already
installed with python-telegram-bot's rate limiter).
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from aiolimiter import AsyncLimiter

from reminders.policy import ChannelThrottle

logger = logging.getLogger(__name__)

_MAX_CHATS = 10_000  # per-chat limiters kept (least recently used dropped)


class Throttle:
    """One per channel; :meth:`wait` before each send."""

    def __init__(self, limits: ChannelThrottle) -> None:
        self.limits = limits
        self._all = AsyncLimiter(limits.per_second, 1.0)
        self._chats: OrderedDict[str, AsyncLimiter] = OrderedDict()

    def _chat(self, chat_id: str) -> AsyncLimiter:
        lim = self._chats.get(chat_id)
        if lim is None:
            per = self.limits.per_chat_per_second
            # AsyncLimiter(max_rate, period): "max_rate per period"; below 1/s use one per 1/per seconds.
            lim = AsyncLimiter(per, 1.0) if per >= 1 else AsyncLimiter(1, 1.0 / per)
            self._chats[chat_id] = lim
            if len(self._chats) > _MAX_CHATS:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat_id)
        return lim

    async def wait(self, chat_id: str) -> None:
        async with self._chat(chat_id):
            pass
        async with self._all:
            pass
