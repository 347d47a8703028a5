"""``/diem``: the leaders' summary of index results, as text and a chart."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.commands import LEADERS, command

if TYPE_CHECKING:
    from bot.router import Ctx, Router

logger = logging.getLogger(__name__)


@command("diem", aliases=("scores",), roles=LEADERS, order=3,
         help="tóm tắt kết quả các chỉ số kèm biểu đồ (vd: /diem PAR 2022)")
async def cmd_scores(router: Router, ctx: Ctx) -> None:
    summary = await asyncio.to_thread(lambda: router.knowledge.summary(args=ctx.args, chart=True))
    await router.reply(ctx, summary.text)
    if summary.chart_png:
        await ctx.channel.send_photo(ctx.inc.chat_id, summary.chart_png, "Biểu đồ kết quả chỉ số")
