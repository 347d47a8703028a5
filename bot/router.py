"""The channel-neutral router: commands, roles, rate limits, central error handling.

Every channel turns its updates into :class:`bot.channel.Incoming` and calls :meth:`Router.handle`.
Access is enforced here, once: an unknown (or revoked) user gets one polite access message per update
and nothing else; each command names the roles that may use it. Commands and button callbacks are
handler objects registered in :mod:`bot.commands` (no dispatch by method name).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from bot import handlers
from bot.channel import Button, Channel, Incoming
from bot.commands import ADMINS, Command, callback_handler, parse_command
from bot.formatting import numbered_choices
from core.errors import CchcError
from core.settings import Settings
from knowledge.api import KnowledgeAPI
from knowledge.store.accounts import Accounts, UserInfo

logger = logging.getLogger(__name__)

_HANDLERS = handlers  # importing it registers the built-in commands and callbacks

ACCESS_MESSAGE = (
    "Xin chào! Trợ lý CCHC chỉ phục vụ cán bộ, công chức đã được cấp quyền.\n"
    "Để sử dụng, hãy liên hệ quản trị viên của đơn vị để nhận mã mời, rồi gửi: /dangky MÃ_MỜI"
)
GENERIC_ERROR = "Xin lỗi, đã có lỗi xảy ra khi xử lý yêu cầu. Vui lòng thử lại sau ít phút."


class RateLimiter:
    """Sliding one-minute window per user (in process; each worker keeps its own)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now = self.clock()
        q = self._hits[key]
        while q and now - q[0] >= 60.0:
            q.popleft()
        if len(q) >= self.per_minute:
            return False
        q.append(now)
        return True


@dataclass
class Ctx:
    inc: Incoming
    channel: Channel
    user: UserInfo
    args: str


FileHandler = Callable[[Ctx], Awaitable[None]]


class Router:
    def __init__(self, settings: Settings, knowledge: KnowledgeAPI, accounts: Accounts | None = None, *,
                 clock: Callable[[], float] = time.monotonic, today: Callable[[], date] = date.today) -> None:
        self.settings = settings
        self.knowledge = knowledge
        self.accounts = accounts or knowledge.accounts
        self.limiter = RateLimiter(settings.access.questions_per_minute, clock)
        self.today = today
        self.file_handler: FileHandler | None = None

    # ------------------------------------------------------------------ entry point
    async def handle(self, inc: Incoming, channel: Channel) -> None:
        """Handle one update; never raises (errors become a Vietnamese reply and a log line)."""
        t0 = time.perf_counter()
        kind = "callback" if inc.callback_data else "file" if inc.file else "text"
        try:
            await self._handle(inc, channel)
        except CchcError as exc:
            logger.info("user error on %s update from %s: %s", kind, inc.user_key, type(exc).__name__)
            await self._safe_send(channel, inc.chat_id, exc.user_message)
        except Exception:
            logger.error("unhandled error on %s update from %s", kind, inc.user_key, exc_info=True)
            await self._safe_send(channel, inc.chat_id, GENERIC_ERROR)
        finally:
            logger.debug("%s update from %s handled in %.1f ms", kind, inc.user_key, (time.perf_counter() - t0) * 1000)

    async def _safe_send(self, channel: Channel, chat_id: str, text: str) -> None:
        try:
            await channel.send_long(chat_id, text)
        except Exception:
            logger.error("could not send the error reply", exc_info=True)

    async def _handle(self, inc: Incoming, channel: Channel) -> None:
        text = (inc.text or "").strip()
        cmd, args, is_cmd = parse_command(text) if text else (None, "", False)
        if inc.callback_id:
            await channel.answer_callback(inc.callback_id)
        if inc.is_group and not (is_cmd or inc.mentioned or inc.callback_data):
            return  # group chats: only when addressed
        user = await asyncio.to_thread(
            self.accounts.lookup, inc.channel, inc.user_id,
            chat_id=None if inc.is_group else inc.chat_id, display_name=inc.display_name,
        )
        if user is None:
            if cmd is not None and cmd.name == "dangky":
                await handlers.general.register_new(self, inc, channel, args)
            elif not inc.is_group:
                await channel.send_long(inc.chat_id, ACCESS_MESSAGE)
            return
        ctx = Ctx(inc, channel, user, args)
        if inc.callback_data:
            await self.on_callback(ctx, inc.callback_data)
        elif inc.file is not None:
            await self._on_file(ctx)
        elif is_cmd:
            await self._on_command(ctx, cmd)
        elif text:
            await self._on_text(ctx, text)

    async def _on_file(self, ctx: Ctx) -> None:
        if ctx.user.role not in ADMINS:
            await self.reply(ctx, "Chỉ quản trị viên được gửi tệp để nạp tài liệu hoặc lịch nhiệm vụ.")
        elif self.file_handler is None:
            await self.reply(ctx, "Kênh này chưa nhận tệp.")
        else:
            await self.file_handler(ctx)

    async def _on_command(self, ctx: Ctx, cmd: Command | None) -> None:
        if cmd is None:
            await self.reply(ctx, "Không có lệnh này. Gõ /trogiup để xem các lệnh bạn được dùng.")
            return
        if ctx.user.role not in cmd.roles:
            await self.reply(ctx, "Bạn không có quyền dùng lệnh này. Gõ /trogiup để xem các lệnh bạn được dùng.")
            return
        await cmd.handler(self, ctx)

    async def _on_text(self, ctx: Ctx, text: str) -> None:
        if not ctx.channel.supports_buttons and text.isdigit():
            choices = await asyncio.to_thread(self.accounts.get_choices, ctx.user.id)
            n = int(text)
            if choices and 1 <= n <= len(choices):
                await self.on_callback(ctx, choices[n - 1])
                return
        ctx.args = text
        await handlers.ask.cmd_ask(self, ctx)

    async def on_callback(self, ctx: Ctx, data: str) -> None:
        """A button press (or a numbered choice on channels without buttons)."""
        await asyncio.to_thread(self.accounts.set_choices, ctx.user.id, None)
        found = callback_handler(data)
        if found is None:
            await self.reply(ctx, "Lựa chọn này không còn hiệu lực.")
            return
        handler, match = found
        await handler(self, ctx, match)

    # ------------------------------------------------------------------ replies
    async def reply(self, ctx: Ctx, text: str, buttons: list[list[Button]] | None = None) -> None:
        """Send a (possibly long) reply; on channels without buttons the choices become numbered lines."""
        if buttons and not ctx.channel.supports_buttons:
            flat = [b for row in buttons for b in row]
            await asyncio.to_thread(self.accounts.set_choices, ctx.user.id, [b.data for b in flat])
            text = text + "\n\n" + numbered_choices([b.label for b in flat])
            buttons = None
        await ctx.channel.send_long(ctx.inc.chat_id, text, buttons)
