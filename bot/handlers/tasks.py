"""Task commands on the phone: /nhiemvu and /hanchot (paged), /xong, /hoan, /hoantac, /xem and their
buttons, typed commands (``xong 12`` on Zalo), /tonghop, and the reminder preferences.

Permissions are not checked here: every change goes through :mod:`knowledge.tasks.actions`, whose one
rule decides. Buttons carry signed data (:mod:`reminders.callbacks`) with the task's version, so a
forged, replayed or double-pressed button changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.channel import Button
from bot.commands import LEADERS, callback, command
from core.agencies import norm_name
from core.errors import CchcError
from core.keys import load_or_create_secret
from knowledge.tasks.actions import ActionResult, Actor, display_code
from knowledge.tasks.query import TaskPage
from knowledge.tasks.views import TaskView
from reminders import callbacks
from reminders.commands import TaskCommand, parse

if TYPE_CHECKING:
    from bot.router import Ctx, Router
    from reminders.service import RemindersAPI

logger = logging.getLogger(__name__)

DEADLINE_DAYS = 30
PAGE = 10
LIST_ALL, LIST_DUE = 0, 1
ZALO_HEADROOM = 300  # characters kept free for the numbered choices under a page
REMINDERS_OFF = "Nhắc việc chưa được bật trên máy chủ này."


def _reminders(router: Router) -> RemindersAPI:
    """The reminders service, or the user is told that reminders are off on this server."""
    if router.reminders is None:
        raise CchcError("reminders are off", user_message=REMINDERS_OFF)
    return router.reminders
TYPED_HINT = "Gõ lệnh theo mã: xong MÃ · hoan MÃ 1 ngay · hoan MÃ 1 tuan · xem MÃ"


@lru_cache(maxsize=4)
def _secret_for(home: Path) -> bytes:
    return load_or_create_secret(home)


def secret(router: Router) -> bytes:
    return _secret_for(router.settings.home)


def actor(ctx: Ctx) -> Actor:
    u = ctx.user
    return Actor(u.key, u.role, u.agency, ctx.inc.channel, u.display_name)


# ------------------------------------------------------------------ rendering
def due_words(t: TaskView, today: date) -> str:
    """The deadline, once: ``hạn 10/12/2026 (còn 5 ngày)``; the written form when there is no date."""
    if t.due is None:
        return t.due_text or t.recurrence or "không ghi hạn"
    left = (t.due - today).days
    rel = f"quá hạn {-left} ngày" if left < 0 else "hôm nay" if left == 0 else f"còn {left} ngày"
    return f"hạn {t.due:%d/%m/%Y} ({rel})"


def item_text(t: TaskView, code: str, page_agency: str, today: date) -> str:
    title = " ".join(t.title.split())
    title = title if len(title) <= 160 else title[:159].rstrip() + "…"
    lead = f" — {t.agency} chủ trì" if t.agency and norm_name(t.agency) != norm_name(page_agency) else ""
    return f"▪ [{code}] {title} — {due_words(t, today)}{lead}"


def render_page(router: Router, page: TaskPage, kind: int, today: date, codes: dict[int, str],
                limit: int, buttons_ok: bool) -> tuple[str, list[list[Button]] | None, int]:
    """Text, buttons and how many items fit; an item is never split across messages."""
    if kind == LIST_DUE:
        head = f"Nhiệm vụ của {page.agency} đến hạn đến {today + timedelta(days=DEADLINE_DAYS):%d/%m/%Y} (kể cả quá hạn)"
    else:
        head = f"Nhiệm vụ chưa hoàn thành của {page.agency}"
    lines = [f"{head}: {page.total} nhiệm vụ, gấp nhất trước."]
    if page.successor_note and page.offset == 0:
        lines.append(page.successor_note)
    budget = limit - (0 if buttons_ok else ZALO_HEADROOM) - len(TYPED_HINT) - 80
    shown: list[TaskView] = []
    for t in page.items:
        line = item_text(t, codes[t.id], page.agency, today)
        if shown and sum(len(x) + 1 for x in lines) + len(line) > budget:
            break
        lines.append(line)
        shown.append(t)
    end = page.offset + len(shown)
    lines.append(f"({page.offset + 1}–{end} / {page.total})" if shown else "Không có nhiệm vụ nào cần làm.")
    if not buttons_ok and shown:
        lines.append(TYPED_HINT)
    key = secret(router)
    rows: list[list[Button]] = []
    if buttons_ok:
        rows = [[Button(f"✅ Xong {codes[t.id]}", callbacks.sign(key, "done", t.id, page.versions.get(t.id, 0)))]
                for t in shown]
    if end < page.total:
        rows.append([Button("Xem thêm ▶", callbacks.sign(key, "page", end, page.agency_id * 2 + kind))])
    return "\n".join(lines), rows or None, len(shown)


async def show_page(router: Router, ctx: Ctx, agency: str | int, kind: int, offset: int) -> None:
    today = router.today()
    until = today + timedelta(days=DEADLINE_DAYS) if kind == LIST_DUE else None
    page = await asyncio.to_thread(
        lambda: router.knowledge.task_page(agency, offset=offset, limit=PAGE, today=today, due_until=until))
    codes = {t.id: display_code(t.code, t.origin, t.id) for t in page.items}
    text, buttons, _ = render_page(router, page, kind, today, codes, ctx.channel.max_text_length,
                                   ctx.channel.supports_buttons)
    await router.reply(ctx, text, buttons)


def _agency_arg(ctx: Ctx) -> str | None:
    return ctx.args.strip() or ctx.user.agency or None


@command("nhiemvu", aliases=("tasks",), help="nhiệm vụ của cơ quan bạn, gấp nhất trước (hoặc /nhiemvu Tên cơ quan)", order=4)
async def cmd_tasks(router: Router, ctx: Ctx) -> None:
    agency = _agency_arg(ctx)
    if agency is None:
        await router.reply(ctx, "Tài khoản của bạn chưa gắn với cơ quan nào. Hãy gõ: /nhiemvu Tên cơ quan")
        return
    await show_page(router, ctx, agency, LIST_ALL, 0)


@command("hanchot", aliases=("deadlines",), help=f"nhiệm vụ quá hạn và sắp đến hạn trong {DEADLINE_DAYS} ngày", order=5)
async def cmd_deadlines(router: Router, ctx: Ctx) -> None:
    agency = _agency_arg(ctx)
    if agency is None:
        await router.reply(ctx, "Tài khoản của bạn chưa gắn với cơ quan nào. Hãy gõ: /hanchot Tên cơ quan")
        return
    await show_page(router, ctx, agency, LIST_DUE, 0)


# ------------------------------------------------------------------ actions
async def run_action(router: Router, ctx: Ctx, task_id: int, action: str, *, days: int | None = None,
                     version: int | None = None) -> ActionResult | None:
    """One task action through the library; a refusal or a stale button is a reply, nothing changes."""
    who = actor(ctx)
    if action == "quote":
        text = await asyncio.to_thread(router.knowledge.task_quote, task_id, who)
        await router.reply(ctx, text)
        return None
    if action == "snooze" and router.reminders is None:
        await router.reply(ctx, REMINDERS_OFF)
        return None
    result = await asyncio.to_thread(
        lambda: router.knowledge.task_action(task_id, action, who, days=days, version=version))
    buttons = None
    if result.changed and result.undo_until is not None and ctx.channel.supports_buttons:
        buttons = [[Button("↩️ Hoàn tác", callbacks.sign(secret(router), "undo", task_id, result.version))]]
    elif result.changed and result.undo_until is not None:
        result_text = result.message + f"\nGõ “hoantac {result.code}” để hoàn tác."
        await router.reply(ctx, result_text)
        return result
    await router.reply(ctx, result.message, buttons)
    return result


async def typed(router: Router, ctx: Ctx, cmd: TaskCommand) -> None:
    if cmd.error or not cmd.code:
        await router.reply(ctx, cmd.error or "Thiếu mã nhiệm vụ.")
        return
    task_id = await asyncio.to_thread(router.knowledge.find_task, cmd.code)
    action = {"done": "done", "snooze": "snooze", "undo": "undo", "quote": "quote"}[cmd.action]
    await run_action(router, ctx, task_id, action, days=cmd.days)


async def typed_command(router: Router, ctx: Ctx, text: str) -> bool:
    """A task command typed as plain text (``xong 12``, ``hoan 12 1 ngay``); False if it is not one."""
    cmd = parse(text)
    if cmd is None:
        return False
    await typed(router, ctx, cmd)
    return True


def _slash(verb: str) -> object:
    async def handler(router: Router, ctx: Ctx) -> None:
        cmd = parse(f"{verb} {ctx.args}")
        await typed(router, ctx, cmd or TaskCommand(verb, error="Thiếu mã nhiệm vụ."))

    return handler


command("xong", aliases=("done",), help="báo hoàn thành: /xong MÃ (mã có trong /nhiemvu)", order=6)(_slash("xong"))  # type: ignore[arg-type]
command("hoan", help="hoãn nhắc việc: /hoan MÃ 1 ngay hoặc /hoan MÃ 1 tuan", order=7)(_slash("hoan"))  # type: ignore[arg-type]
command("hoantac", aliases=("undo",), help="hoàn tác thay đổi vừa làm (trong 10 phút): /hoantac MÃ", order=8)(_slash("hoantac"))  # type: ignore[arg-type]
command("xem", help="xem đoạn văn bản giao nhiệm vụ: /xem MÃ", order=9)(_slash("xem"))  # type: ignore[arg-type]


def _strip_task_buttons(buttons: list[list[Button]], task_id: int, key: bytes) -> list[list[Button]]:
    out = []
    for row in buttons:
        kept = []
        for b in row:
            d = callbacks.verify(key, b.data)
            if d is None or d.action == "page" or d.task_id != task_id:
                kept.append(b)
        if kept:
            out.append(kept)
    return out


@callback(r"[dswuqp]\.[0-9a-z]+\.[0-9a-z]+\.[A-Za-z0-9_-]{16}")
async def on_button(router: Router, ctx: Ctx, m: re.Match[str]) -> None:
    key = secret(router)
    data = callbacks.verify(key, m.group(0))
    if data is None:
        await router.reply(ctx, "Nút này không hợp lệ.")
        return
    if data.action == "page":
        await show_page(router, ctx, data.version // 2, data.version % 2, data.task_id)
        return
    action = {"done": "done", "snooze_day": "snooze", "snooze_week": "snooze", "undo": "undo", "quote": "quote"}[data.action]
    days = {"snooze_day": 1, "snooze_week": 7}.get(data.action)
    result = await run_action(router, ctx, data.task_id, action, days=days, version=data.version)
    if result is not None and result.changed and ctx.inc.message_id and ctx.inc.buttons:
        kept = _strip_task_buttons(ctx.inc.buttons, data.task_id, key)
        await ctx.channel.edit_buttons(ctx.inc.chat_id, ctx.inc.message_id, kept or None)


# ------------------------------------------------------------------ digest and preferences
@command("tonghop", roles=LEADERS, help="tổng hợp nhiệm vụ quá hạn và đến hạn trong tuần (hoặc /tonghop Tên cơ quan)", order=10)
async def cmd_digest(router: Router, ctx: Ctx) -> None:
    agency = _agency_arg(ctx)
    if agency is None:
        await router.reply(ctx, "Hãy gõ: /tonghop Tên cơ quan")
        return
    text = await asyncio.to_thread(_reminders(router).digest_text, agency, router.today())
    await router.reply(ctx, text)


@command("tatnhac", help="tắt nhắc việc", order=11)
async def cmd_mute(router: Router, ctx: Ctx) -> None:
    await asyncio.to_thread(_reminders(router).set_muted, ctx.user.id, True)
    await router.reply(ctx, "Đã tắt nhắc việc. Gõ /batnhac để bật lại.")


@command("batnhac", help="bật lại nhắc việc", order=12)
async def cmd_unmute(router: Router, ctx: Ctx) -> None:
    await asyncio.to_thread(_reminders(router).set_muted, ctx.user.id, False)
    await router.reply(ctx, "Đã bật nhắc việc. Nhắc việc chỉ gửi trong giờ hành chính của ngày làm việc.")


@command("gionhac", help="giờ nhận nhắc việc trong ngày: /gionhac 9", order=13)
async def cmd_hour(router: Router, ctx: Ctx) -> None:
    reminders = _reminders(router)
    hours = reminders.hours()
    arg = ctx.args.strip().lower().removesuffix("h").removesuffix("giờ").strip()
    if not (arg.isascii() and arg.isdigit() and len(arg) <= 2 and int(arg) in hours):
        raise CchcError("bad hour", user_message=(
            f"Hãy ghi một giờ từ {hours[0]} đến {hours[-1]}, ví dụ: /gionhac 9"))
    await asyncio.to_thread(reminders.set_hour, ctx.user.id, int(arg))
    await router.reply(ctx, f"Từ nay bạn nhận nhắc việc lúc {int(arg)} giờ.")
