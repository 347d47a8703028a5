"""The channel-neutral command router: commands, roles, rate limits, central error handling.

Every channel turns its updates into :class:`bot.channel.Incoming` and calls :meth:`Router.handle`.
Access is enforced here, once: an unknown (or revoked) user gets one polite access message per update
and nothing else; each command names the roles that may use it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot import feedback
from bot.access import Access, UserInfo
from bot.channel import Button, Channel, Incoming
from bot.formatting import format_answer, numbered_choices
from cchc.errors import CchcError
from cchc.settings import Settings

logger = logging.getLogger(__name__)

ALL = frozenset({"official", "leader", "admin"})
LEADERS = frozenset({"leader", "admin"})
ADMINS = frozenset({"admin"})

ACCESS_MESSAGE = (
    "Xin chào! Trợ lý CCHC chỉ phục vụ cán bộ, công chức đã được cấp quyền.\n"
    "Để sử dụng, hãy liên hệ quản trị viên của đơn vị để nhận mã mời, rồi gửi: /dangky MÃ_MỜI"
)
GENERIC_ERROR = "Xin lỗi, đã có lỗi xảy ra khi xử lý yêu cầu. Vui lòng thử lại sau ít phút."
RATE_LIMITED = "Bạn đang hỏi quá nhanh (tối đa {n} câu hỏi mỗi phút). Vui lòng đợi một chút rồi hỏi tiếp."
DEADLINE_DAYS = 30
MAX_TASK_BUTTONS = 10


@dataclass(frozen=True)
class Command:
    name: str
    aliases: tuple[str, ...]
    roles: frozenset[str]
    help: str
    handler: str  # method name on Router


COMMANDS: tuple[Command, ...] = (
    Command("start", (), ALL, "bắt đầu", "cmd_start"),
    Command("trogiup", ("help",), ALL, "danh sách lệnh bạn được dùng", "cmd_help"),
    Command("hoi", ("ask",), ALL, "hỏi về tài liệu CCHC (hoặc gõ thẳng câu hỏi)", "cmd_ask"),
    Command("diem", ("scores",), LEADERS, "tóm tắt kết quả các chỉ số kèm biểu đồ (vd: /diem PAR 2022)", "cmd_scores"),
    Command("nhiemvu", ("tasks",), ALL, "nhiệm vụ của cơ quan bạn (hoặc /nhiemvu Tên cơ quan)", "cmd_tasks"),
    Command("hanchot", ("deadlines",), ALL, f"nhiệm vụ sắp đến hạn trong {DEADLINE_DAYS} ngày", "cmd_deadlines"),
    Command("xong", ("done",), ALL, "báo hoàn thành nhiệm vụ: /xong SỐ_NHIỆM_VỤ", "cmd_done"),
    Command("dangky", ("register",), ALL, "đăng ký bằng mã mời: /dangky MÃ_MỜI", "cmd_register"),
    Command("huy", ("cancel",), ALL, "hủy lựa chọn đang chờ", "cmd_cancel"),
)
_BY_NAME: dict[str, Command] = {}
for _c in COMMANDS:
    _BY_NAME[_c.name] = _c
    for _a in _c.aliases:
        _BY_NAME[_a] = _c

_CMD_RE = re.compile(r"^/([A-Za-z_]+)(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)


def parse_command(text: str) -> tuple[Command | None, str, bool]:
    """(command, args, looked_like_a_command)."""
    m = _CMD_RE.match(text.strip())
    if not m:
        return None, text.strip(), False
    return _BY_NAME.get(m.group(1).lower()), (m.group(2) or "").strip(), True


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


class Router:
    def __init__(self, settings: Settings, knowledge: Any, access: Access, *,
                 clock: Callable[[], float] = time.monotonic, today: Callable[[], date] = date.today) -> None:
        self.settings = settings
        self.knowledge = knowledge
        self.access = access
        self.limiter = RateLimiter(settings.access.questions_per_minute, clock)
        self.today = today
        self.file_handler: Callable[[Ctx], Awaitable[None]] | None = None

    @property
    def db(self) -> Any:
        return self.knowledge.db

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
            self.access.lookup, inc.channel, inc.user_id,
            chat_id=None if inc.is_group else inc.chat_id, display_name=inc.display_name,
        )
        if user is None:
            if cmd is not None and cmd.name == "dangky":
                await self.cmd_register_new(inc, channel, args)
            elif not inc.is_group:
                await channel.send_long(inc.chat_id, ACCESS_MESSAGE)
            return
        ctx = Ctx(inc, channel, user, args)
        if inc.callback_data:
            await self.on_callback(ctx, inc.callback_data)
            return
        if inc.file is not None:
            if user.role not in ADMINS:
                await channel.send_long(inc.chat_id, "Chỉ quản trị viên được gửi tệp để nạp tài liệu hoặc lịch nhiệm vụ.")
            elif self.file_handler is None:
                await channel.send_long(inc.chat_id, "Kênh này chưa nhận tệp.")
            else:
                await self.file_handler(ctx)
            return
        if is_cmd:
            if cmd is None:
                await channel.send_long(inc.chat_id, "Không có lệnh này. Gõ /trogiup để xem các lệnh bạn được dùng.")
                return
            if user.role not in cmd.roles:
                await channel.send_long(inc.chat_id, "Bạn không có quyền dùng lệnh này. Gõ /trogiup để xem các lệnh bạn được dùng.")
                return
            handler: Callable[[Ctx], Awaitable[None]] = getattr(self, cmd.handler)
            await handler(ctx)
            return
        if not text:
            return
        if not channel.supports_buttons and text.isdigit():
            choices = await asyncio.to_thread(self.access.get_choices, user.id)
            n = int(text)
            if choices and 1 <= n <= len(choices):
                await self.on_callback(ctx, choices[n - 1])
                return
        ctx.args = text
        await self.cmd_ask(ctx)

    # ------------------------------------------------------------------ replies
    async def reply(self, ctx: Ctx, text: str, buttons: list[list[Button]] | None = None) -> None:
        """Send a (possibly long) reply; on channels without buttons the choices become numbered lines."""
        if buttons and not ctx.channel.supports_buttons:
            flat = [b for row in buttons for b in row]
            await asyncio.to_thread(self.access.set_choices, ctx.user.id, [b.data for b in flat])
            text = text + "\n\n" + numbered_choices([b.label for b in flat])
            buttons = None
        await ctx.channel.send_long(ctx.inc.chat_id, text, buttons)

    # ------------------------------------------------------------------ commands
    def help_text(self, user: UserInfo) -> str:
        lines = [f"Bạn đang dùng với vai trò {user.role_label}" + (f" ({user.agency})." if user.agency else ".")]
        lines.append("Các lệnh:")
        for c in COMMANDS:
            if user.role in c.roles and c.name not in ("start", "dangky"):
                alias = f" (/{c.aliases[0]})" if c.aliases else ""
                lines.append(f"/{c.name}{alias}: {c.help}")
        lines.append("Gõ thẳng câu hỏi để hỏi về tài liệu CCHC, ví dụ: Sở Nội vụ phải làm gì về PAR INDEX?")
        if user.role in ADMINS:
            lines.append("Quản trị viên: gửi tệp PDF/DOCX để nạp tài liệu, XLSX/CSV để nhập lịch nhiệm vụ.")
        return "\n".join(lines)

    async def cmd_start(self, ctx: Ctx) -> None:
        await self.reply(ctx, "Xin chào! Đây là Trợ lý CCHC tỉnh " + self.settings.province + ".\n" + self.help_text(ctx.user))

    async def cmd_help(self, ctx: Ctx) -> None:
        await self.reply(ctx, self.help_text(ctx.user))

    async def cmd_cancel(self, ctx: Ctx) -> None:
        await asyncio.to_thread(self.access.set_choices, ctx.user.id, None)
        await self.reply(ctx, "Đã hủy lựa chọn đang chờ.")

    async def cmd_register(self, ctx: Ctx) -> None:
        if not ctx.args:
            await self.reply(ctx, f"Bạn đã đăng ký với vai trò {ctx.user.role_label}. Gõ /trogiup để xem các lệnh.")
            return
        await self.cmd_register_new(ctx.inc, ctx.channel, ctx.args)

    async def cmd_register_new(self, inc: Incoming, channel: Channel, code: str) -> None:
        if inc.is_group:
            await channel.send_long(inc.chat_id, "Hãy đăng ký trong tin nhắn riêng với trợ lý, không gửi mã mời trong nhóm.")
            return
        user = await asyncio.to_thread(
            self.access.redeem, code, channel=inc.channel, channel_user_id=inc.user_id, chat_id=inc.chat_id,
            display_name=inc.display_name,
        )
        text = "Đăng ký thành công!\n" + self.help_text(user)
        await channel.send_long(inc.chat_id, text)

    async def cmd_ask(self, ctx: Ctx) -> None:
        question = ctx.args.strip()
        if not question:
            await self.reply(ctx, "Hãy gõ câu hỏi sau lệnh, ví dụ: /hoi Sở Nội vụ phải làm gì về PAR INDEX?")
            return
        if not self.limiter.allow(ctx.user.key):
            await self.reply(ctx, RATE_LIMITED.format(n=self.settings.access.questions_per_minute))
            return
        answer = await asyncio.to_thread(self.knowledge.ask, question)
        fb_id = await asyncio.to_thread(
            feedback.record_answer, self.db, user_id=ctx.user.id, channel=ctx.inc.channel, answer=answer
        )
        await self.reply(ctx, format_answer(answer), feedback.buttons(fb_id))

    async def cmd_scores(self, ctx: Ctx) -> None:
        from knowledge import scores

        summary = await asyncio.to_thread(
            scores.summarize, self.db, args=ctx.args, home_province=self.settings.province, chart=True
        )
        await self.reply(ctx, summary.text)
        if summary.chart_png:
            await ctx.channel.send_photo(ctx.inc.chat_id, summary.chart_png, "Biểu đồ kết quả chỉ số")

    def _agency_of(self, ctx: Ctx) -> str | None:
        agency = ctx.args.strip() or ctx.user.agency
        return agency or None

    async def cmd_tasks(self, ctx: Ctx) -> None:
        from knowledge import tasks

        agency = self._agency_of(ctx)
        if agency is None:
            await self.reply(ctx, "Tài khoản của bạn chưa gắn với cơ quan nào. Hãy gõ: /nhiemvu Tên cơ quan")
            return
        today = self.today()
        result = await asyncio.to_thread(lambda: tasks.tasks_for_agency(self.db, agency, today=today))
        await self.reply(ctx, result.text(), self._done_buttons(result.tasks))

    async def cmd_deadlines(self, ctx: Ctx) -> None:
        from knowledge import tasks

        agency = self._agency_of(ctx)
        start = self.today()
        end = start + timedelta(days=DEADLINE_DAYS)
        items = await asyncio.to_thread(lambda: tasks.tasks_due_between(self.db, start, end, agency=agency, today=start))
        where = f" của {agency}" if agency else ""
        if not items:
            await self.reply(ctx, f"Không có nhiệm vụ nào{where} đến hạn từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}.")
            return
        lines = [f"Nhiệm vụ{where} đến hạn từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}:"]
        lines += [tasks.format_task_line(t) for t in items]
        await self.reply(ctx, "\n".join(lines), self._done_buttons(items))

    def _done_buttons(self, items: list[Any]) -> list[list[Button]] | None:
        rows = []
        for t in items:
            status = str(getattr(t, "status", "") or "")
            if status == "hoàn thành":
                continue
            title = str(getattr(t, "title", "") or "")
            short = title if len(title) <= 40 else title[:39].rstrip() + "…"
            rows.append([Button(f"✅ Đã xong #{t.id}: {short}", f"done:{t.id}")])
            if len(rows) >= MAX_TASK_BUTTONS:
                break
        return rows or None

    async def cmd_done(self, ctx: Ctx) -> None:
        m = re.fullmatch(r"#?(\d+)", ctx.args.strip())
        if not m:
            await self.reply(ctx, "Hãy ghi số nhiệm vụ, ví dụ: /xong 12 (số nhiệm vụ có trong /nhiemvu).")
            return
        await self._mark_done(ctx, int(m.group(1)))

    async def _mark_done(self, ctx: Ctx, task_id: int) -> None:
        from knowledge import tasks

        await asyncio.to_thread(tasks.mark_done, self.db, task_id, by=ctx.user.key, channel=ctx.inc.channel)
        await self.reply(ctx, f"Đã ghi nhận: nhiệm vụ #{task_id} đã hoàn thành. Cảm ơn bạn!")

    # ------------------------------------------------------------------ buttons / numbered choices
    async def on_callback(self, ctx: Ctx, data: str) -> None:
        await asyncio.to_thread(self.access.set_choices, ctx.user.id, None)
        m = re.fullmatch(r"fb:(\d+):([+-])", data)
        if m:
            ok = await asyncio.to_thread(
                feedback.rate, self.db, int(m.group(1)), user_id=ctx.user.id, rating=1 if m.group(2) == "+" else -1
            )
            await self.reply(ctx, "Cảm ơn bạn đã góp ý!" if ok else "Không tìm thấy câu trả lời để góp ý.")
            return
        m = re.fullmatch(r"done:(\d+)", data)
        if m:
            await self._mark_done(ctx, int(m.group(1)))
            return
        await self.reply(ctx, "Lựa chọn này không còn hiệu lực.")


def upload_dir(settings: Settings) -> Path:
    return settings.home / "uploads"
