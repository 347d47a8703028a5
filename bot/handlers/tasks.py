"""Task commands: ``/nhiemvu`` (an agency's tasks), ``/hanchot`` (due soon), ``/xong`` and its button."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.channel import Button
from bot.commands import callback, command
from core.vocabulary import DONE
from knowledge.tasks.views import TaskView, format_task_line

if TYPE_CHECKING:
    from bot.router import Ctx, Router

logger = logging.getLogger(__name__)

DEADLINE_DAYS = 30
MAX_TASK_BUTTONS = 10


def _agency_of(ctx: Ctx) -> str | None:
    return ctx.args.strip() or ctx.user.agency or None


@command("nhiemvu", aliases=("tasks",), help="nhiệm vụ của cơ quan bạn (hoặc /nhiemvu Tên cơ quan)", order=4)
async def cmd_tasks(router: Router, ctx: Ctx) -> None:
    agency = _agency_of(ctx)
    if agency is None:
        await router.reply(ctx, "Tài khoản của bạn chưa gắn với cơ quan nào. Hãy gõ: /nhiemvu Tên cơ quan")
        return
    today = router.today()
    result = await asyncio.to_thread(lambda: router.knowledge.tasks_for_agency(agency, today=today))
    await router.reply(ctx, result.text(), done_buttons(result.tasks))


@command("hanchot", aliases=("deadlines",), help=f"nhiệm vụ sắp đến hạn trong {DEADLINE_DAYS} ngày", order=5)
async def cmd_deadlines(router: Router, ctx: Ctx) -> None:
    agency = _agency_of(ctx)
    start = router.today()
    end = start + timedelta(days=DEADLINE_DAYS)
    items = await asyncio.to_thread(lambda: router.knowledge.tasks_due(start, end, agency=agency, today=start))
    where = f" của {agency}" if agency else ""
    if not items:
        await router.reply(ctx, f"Không có nhiệm vụ nào{where} đến hạn từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}.")
        return
    lines = [f"Nhiệm vụ{where} đến hạn từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}:"]
    lines += [format_task_line(t) for t in items]
    await router.reply(ctx, "\n".join(lines), done_buttons(items))


def done_buttons(items: list[TaskView]) -> list[list[Button]] | None:
    rows = []
    for t in items:
        if t.status == DONE:
            continue
        short = t.title if len(t.title) <= 40 else t.title[:39].rstrip() + "…"
        rows.append([Button(f"✅ Đã xong #{t.id}: {short}", f"done:{t.id}")])
        if len(rows) >= MAX_TASK_BUTTONS:
            break
    return rows or None


@command("xong", aliases=("done",), help="báo hoàn thành nhiệm vụ: /xong SỐ_NHIỆM_VỤ", order=6)
async def cmd_done(router: Router, ctx: Ctx) -> None:
    m = re.fullmatch(r"#?([0-9]{1,12})", ctx.args.strip())
    if not m:
        await router.reply(ctx, "Hãy ghi số nhiệm vụ, ví dụ: /xong 12 (số nhiệm vụ có trong /nhiemvu).")
        return
    await _mark_done(router, ctx, int(m.group(1)))


@callback(r"done:([0-9]{1,12})")
async def on_done(router: Router, ctx: Ctx, m: re.Match[str]) -> None:
    await _mark_done(router, ctx, int(m.group(1)))


async def _mark_done(router: Router, ctx: Ctx, task_id: int) -> None:
    await asyncio.to_thread(lambda: router.knowledge.mark_done(task_id, by=ctx.user.key, channel=ctx.inc.channel))
    await router.reply(ctx, f"Đã ghi nhận: nhiệm vụ #{task_id} đã hoàn thành. Cảm ơn bạn!")
