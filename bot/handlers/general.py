"""Start, help, cancel and registration with an invite code."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.channel import Channel, Incoming
from bot.commands import ADMINS, command, commands
from knowledge.store.accounts import UserInfo

if TYPE_CHECKING:
    from bot.router import Ctx, Router

logger = logging.getLogger(__name__)


def help_text(user: UserInfo) -> str:
    lines = [f"Bạn đang dùng với vai trò {user.role_label}" + (f" ({user.agency})." if user.agency else ".")]
    lines.append("Các lệnh:")
    for c in commands():
        if user.role in c.roles and c.name not in ("start", "dangky"):
            alias = f" (/{c.aliases[0]})" if c.aliases else ""
            lines.append(f"/{c.name}{alias}: {c.help}")
    lines.append("Gõ thẳng câu hỏi để hỏi về tài liệu CCHC, ví dụ: Sở Nội vụ phải làm gì về PAR INDEX?")
    if user.role in ADMINS:
        lines.append("Quản trị viên: gửi tệp PDF/DOCX để nạp tài liệu, XLSX/CSV để nhập lịch nhiệm vụ.")
    return "\n".join(lines)


@command("start", help="bắt đầu", order=0)
async def cmd_start(router: Router, ctx: Ctx) -> None:
    await router.reply(ctx, "Xin chào! Đây là Trợ lý CCHC tỉnh " + router.settings.province + ".\n" + help_text(ctx.user))


@command("trogiup", aliases=("help",), help="danh sách lệnh bạn được dùng", order=1)
async def cmd_help(router: Router, ctx: Ctx) -> None:
    await router.reply(ctx, help_text(ctx.user))


@command("huy", aliases=("cancel",), help="hủy lựa chọn đang chờ", order=90)
async def cmd_cancel(router: Router, ctx: Ctx) -> None:
    await asyncio.to_thread(router.accounts.set_choices, ctx.user.id, None)
    await router.reply(ctx, "Đã hủy lựa chọn đang chờ.")


@command("dangky", aliases=("register",), help="đăng ký bằng mã mời: /dangky MÃ_MỜI", order=80)
async def cmd_register(router: Router, ctx: Ctx) -> None:
    if not ctx.args:
        await router.reply(ctx, f"Bạn đã đăng ký với vai trò {ctx.user.role_label}. Gõ /trogiup để xem các lệnh.")
        return
    await register_new(router, ctx.inc, ctx.channel, ctx.args)


async def register_new(router: Router, inc: Incoming, channel: Channel, code: str) -> None:
    if inc.is_group:
        await channel.send_long(inc.chat_id, "Hãy đăng ký trong tin nhắn riêng với trợ lý, không gửi mã mời trong nhóm.")
        return
    user = await asyncio.to_thread(
        router.accounts.redeem, code, channel=inc.channel, channel_user_id=inc.user_id, chat_id=inc.chat_id,
        display_name=inc.display_name,
    )
    await channel.send_long(inc.chat_id, "Đăng ký thành công!\n" + help_text(user))
