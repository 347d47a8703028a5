"""The out-of-handler send path (deadline reminders, alerts): send to a registered user by id.

It goes through the same :class:`bot.channel.Channel` objects the handlers use, so the same rate
limiter (PTB's AIORateLimiter, the Zalo client's limiter) and the same splitting apply. A failed
delivery (revoked user, blocked chat, unknown chat) is recorded in ``delivery_failures`` and every
active admin is alerted (once per failure; an alert that fails is only logged).
"""

from __future__ import annotations

import asyncio
import logging

from bot.channel import Channel
from core.errors import ChannelError
from knowledge.store.accounts import Accounts, UserInfo

logger = logging.getLogger(__name__)


class Sender:
    def __init__(self, accounts: Accounts, channels: dict[str, Channel]) -> None:
        self.accounts = accounts
        self.channels = channels

    async def send_to_user(self, user: UserInfo | int | str, text: str, photo: bytes | None = None,
                           caption: str | None = None) -> bool:
        """Send ``text`` (and an optional PNG) to a user; True if delivered. Never raises for delivery problems."""
        try:
            info = user if isinstance(user, UserInfo) else await asyncio.to_thread(self.accounts.get, user)
            info = await asyncio.to_thread(self.accounts.get, info.id)  # fresh: revoked since?
        except ChannelError:
            raise
        except Exception as exc:
            logger.warning("send_to_user: unknown user (%s)", type(exc).__name__)
            return False
        reason = None
        channel = self.channels.get(info.channel)
        if not info.active:
            reason = "người dùng đã bị thu hồi quyền"
        elif channel is None:
            reason = f"kênh {info.channel} chưa được bật"
        elif not info.chat_id:
            reason = "chưa biết cuộc trò chuyện (người dùng chưa nhắn tin cho trợ lý)"
        if reason is None:
            assert channel is not None and info.chat_id
            try:
                await channel.send_long(info.chat_id, text)
                if photo is not None:
                    await channel.send_photo(info.chat_id, photo, caption)
                return True
            except ChannelError as exc:
                reason = str(exc)
            except Exception as exc:
                logger.error("unexpected error sending to user %d", info.id, exc_info=True)
                reason = type(exc).__name__
        await self._failed(info, reason)
        return False

    async def _failed(self, info: UserInfo, reason: str) -> None:
        fid = await asyncio.to_thread(
            self.accounts.record_failure, user_id=info.id, channel=info.channel, chat_id=info.chat_id, reason=reason
        )
        alert = (
            f"⚠️ Không gửi được tin nhắn tới {info.display_name or info.key} ({info.key}"
            + (f", {info.agency}" if info.agency else "") + f"): {reason}."
        )
        alerted = False
        for admin in await asyncio.to_thread(self.accounts.admins):
            if admin.id == info.id or not admin.chat_id:
                continue
            ch = self.channels.get(admin.channel)
            if ch is None:
                continue
            try:
                await ch.send_long(admin.chat_id, alert)
                alerted = True
            except Exception as exc:
                logger.warning("could not alert admin %d about a failed delivery: %s", admin.id, type(exc).__name__)
        if alerted:
            await asyncio.to_thread(self.accounts.mark_alerted, fid)
