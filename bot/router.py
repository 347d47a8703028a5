"""The channel-neutral router: commands, roles, rate limits, group policy, central error handling.

Every channel turns its updates into :class:`bot.channel.Incoming` and calls :meth:`Router.handle`.
Access is enforced here, once, in this order:

1. every update of a user passes a per-user rate limit (``access.commands_per_minute``) before any
   database work; questions and heavy commands also pass ``access.questions_per_minute``;
2. group chats are ignored unless an admin allowed the group (``cchc groups allow``); in an allowed
   group, a registered user's reply goes to their private chat, never to the group (see
   docs/security.md, "Group chats");
3. an unknown (or revoked) user gets one polite access message (private chats only) and nothing else;
   each command names the roles that may use it.

Commands and button callbacks are handler objects registered in :mod:`bot.commands`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from bot import handlers
from bot.channel import Button, Channel, Incoming
from bot.commands import ADMINS, Command, callback_handler, parse_command
from bot.formatting import numbered_choices
from bot.inputs import small_int
from bot.ratelimit import KeyedLimiter
from core.errors import CchcError
from core.settings import Settings
from knowledge.api import KnowledgeAPI
from knowledge.store.accounts import Accounts, UserInfo
from reminders.service import RemindersAPI

logger = logging.getLogger(__name__)

_HANDLERS = handlers  # importing it registers the built-in commands and callbacks

ACCESS_MESSAGE = (
    "Xin chào! Trợ lý CCHC chỉ phục vụ cán bộ, công chức đã được cấp quyền.\n"
    "Để sử dụng, hãy liên hệ quản trị viên của đơn vị để nhận mã mời, rồi gửi: /dangky MÃ_MỜI"
)
GENERIC_ERROR = "Xin lỗi, đã có lỗi xảy ra khi xử lý yêu cầu. Vui lòng thử lại sau ít phút."


RATE_LIMITED = "Bạn đang gửi quá nhanh (tối đa {n} {what} mỗi phút). Vui lòng đợi một chút rồi thử lại."
GROUP_NOT_ALLOWED = (
    "Nhóm này chưa được phép dùng Trợ lý CCHC. Quản trị viên có thể cho phép bằng lệnh trên máy chủ:\n"
    "cchc groups allow {key}"
)
GROUP_NEEDS_PRIVATE_CHAT = (
    "Trợ lý trả lời riêng để nội dung không lộ cho người ngoài nhóm. Hãy mở tin nhắn riêng với trợ lý "
    "(gửi /start) rồi hỏi lại."
)
GROUP_ANSWERED = "Đã gửi câu trả lời cho {name} qua tin nhắn riêng với trợ lý."
# Commands that run a search or a query: they share the stricter questions_per_minute budget.
HEAVY_COMMANDS = frozenset({"hoi", "diem", "nhiemvu", "hanchot"})
MAX_CALLBACK_CHARS = 64  # Telegram's limit for button data; anything longer is forged
MAX_CHOICE_DIGITS = 3
GROUP_NOTICE_PERIOD_S = 3600.0


@dataclass
class Ctx:
    inc: Incoming
    channel: Channel
    user: UserInfo
    args: str


FileHandler = Callable[[Ctx], Awaitable[None]]


@dataclass
class _Route:
    """Where replies (errors included) of one update go: the private chat for group updates."""

    chat_id: str


class Router:
    def __init__(self, settings: Settings, knowledge: KnowledgeAPI, accounts: Accounts | None = None, *,
                 today: Callable[[], date] = date.today) -> None:
        self.settings = settings
        self.knowledge = knowledge
        self.accounts = accounts or knowledge.accounts
        acc = settings.access
        self.updates = KeyedLimiter(acc.commands_per_minute)  # every update, per user
        self.questions = KeyedLimiter(acc.questions_per_minute)  # questions and heavy commands, per user
        self.notices = KeyedLimiter(1)  # at most one "slow down" per user per minute
        self.group_notices = KeyedLimiter(1, GROUP_NOTICE_PERIOD_S)  # "not allowed" once an hour per group
        self.today = today
        self.file_handler: FileHandler | None = None
        self.reminders: RemindersAPI | None = None  # set by the composition root when reminders run

    # ------------------------------------------------------------------ entry point
    async def handle(self, inc: Incoming, channel: Channel) -> None:
        """Handle one update; never raises (errors become a Vietnamese reply and a log line)."""
        t0 = time.perf_counter()
        kind = "callback" if inc.callback_data else "file" if inc.file else "text"
        route = _Route(inc.chat_id)
        try:
            await self._handle(inc, channel, route)
        except CchcError as exc:
            logger.info("user error on %s update from %s: %s", kind, inc.user_key, type(exc).__name__)
            await self._safe_send(channel, route.chat_id, exc.user_message)
        except Exception:
            logger.error("unhandled error on %s update from %s", kind, inc.user_key, exc_info=True)
            await self._safe_send(channel, route.chat_id, GENERIC_ERROR)
        finally:
            logger.debug("%s update from %s handled in %.1f ms", kind, inc.user_key, (time.perf_counter() - t0) * 1000)

    async def _safe_send(self, channel: Channel, chat_id: str, text: str) -> None:
        try:
            await channel.send_long(chat_id, text)
        except Exception:
            logger.error("could not send the error reply", exc_info=True)

    async def _handle(self, inc: Incoming, channel: Channel, route: _Route) -> None:
        text = (inc.text or "").strip()
        cmd, args, is_cmd = parse_command(text) if text else (None, "", False)
        if inc.callback_id:
            await channel.answer_callback(inc.callback_id)
        if inc.is_group and not (is_cmd or inc.mentioned or inc.callback_data):
            return  # group chats: only when addressed
        if not await self._within(self.updates, inc, channel, self.settings.access.commands_per_minute, "tin nhắn"):
            return
        if inc.is_group and not await self._group_allowed(inc, channel):
            return
        user = await asyncio.to_thread(
            self.accounts.lookup, inc.channel, inc.user_id,
            chat_id=None if inc.is_group else inc.chat_id, display_name=inc.display_name,
        )
        if user is None:
            if cmd is not None and cmd.name == "dangky":
                await handlers.general.register_new(self, inc, channel, args)
            elif not inc.is_group:
                await channel.send_long(inc.chat_id, ACCESS_MESSAGE)
            return  # unregistered members of a group get nothing
        if not inc.is_group:
            await self._dispatch(Ctx(inc, channel, user, args), cmd, is_cmd, text)
            return
        private = await self._privately(inc, channel, user, route)
        if private is not None:
            await self._dispatch(Ctx(private, channel, user, args), cmd, is_cmd, text)
            await channel.send_long(inc.chat_id, GROUP_ANSWERED.format(name=user.display_name or "bạn"))

    async def _privately(self, inc: Incoming, channel: Channel, user: UserInfo, route: _Route) -> Incoming | None:
        """A group update re-addressed to the user's private chat (errors go there too); None, with a
        note in the group, when the bot does not know that chat yet."""
        if not user.chat_id:
            await channel.send_long(inc.chat_id, GROUP_NEEDS_PRIVATE_CHAT)
            return None
        route.chat_id = user.chat_id
        return dataclasses.replace(inc, chat_id=user.chat_id, is_group=False)

    async def _dispatch(self, ctx: Ctx, cmd: Command | None, is_cmd: bool, text: str) -> None:
        inc = ctx.inc
        if inc.callback_data:
            await self.on_callback(ctx, inc.callback_data)
        elif inc.file is not None:
            await self._on_file(ctx)
        elif is_cmd:
            await self._on_command(ctx, cmd)
        elif text:
            await self._on_text(ctx, text)

    async def _within(self, limiter: KeyedLimiter, inc: Incoming, channel: Channel, n: int, what: str) -> bool:
        """True if ``inc``'s user is under ``limiter``'s rate; else tell them (once a minute) and drop it."""
        if not channel.rate_limited or await limiter.try_acquire(inc.user_key):
            return True
        logger.warning("rate limit (%s per minute) hit by %s", n, inc.user_key)
        if not inc.is_group and await self.notices.try_acquire(inc.user_key):
            await channel.send_long(inc.chat_id, RATE_LIMITED.format(n=n, what=what))
        return False

    async def _group_allowed(self, inc: Incoming, channel: Channel) -> bool:
        key = f"{inc.channel}:{inc.chat_id}"
        if await asyncio.to_thread(self.accounts.groups.is_allowed, inc.channel, inc.chat_id):
            return True
        logger.info("update from group %s ignored: the group is not allowed (cchc groups allow %s)", key, key)
        if await self.group_notices.try_acquire(key):
            await channel.send_long(inc.chat_id, GROUP_NOT_ALLOWED.format(key=key))
        return False

    async def within_questions(self, ctx: Ctx) -> bool:
        """The stricter per-user budget of questions and heavy commands."""
        return await self._within(self.questions, ctx.inc, ctx.channel, self.settings.access.questions_per_minute,
                                  "câu hỏi hoặc lệnh tra cứu")

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
        if cmd.name in HEAVY_COMMANDS and not await self.within_questions(ctx):
            return
        await cmd.handler(self, ctx)

    async def _on_text(self, ctx: Ctx, text: str) -> None:
        n = None if ctx.channel.supports_buttons else small_int(text, max_digits=MAX_CHOICE_DIGITS)
        if n is not None:
            choices = await asyncio.to_thread(self.accounts.get_choices, ctx.user.id)
            if choices and 1 <= n <= len(choices):
                await self.on_callback(ctx, choices[n - 1])
                return
        if await handlers.tasks.typed_command(self, ctx, text):  # "xong 12", "hoan 12 1 ngay" typed as text
            return
        if not await self.within_questions(ctx):
            return
        ctx.args = text
        await handlers.ask.cmd_ask(self, ctx)

    async def on_callback(self, ctx: Ctx, data: str) -> None:
        """A button press (or a numbered choice on channels without buttons)."""
        await asyncio.to_thread(self.accounts.set_choices, ctx.user.id, None)
        found = callback_handler(data) if len(data) <= MAX_CALLBACK_CHARS else None
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
