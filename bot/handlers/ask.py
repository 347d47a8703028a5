"""Questions about the documents, and the 👍/👎 rating of an answer."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

from bot.channel import Button
from bot.commands import callback, command
from bot.formatting import format_answer

if TYPE_CHECKING:
    from bot.router import Ctx, Router

logger = logging.getLogger(__name__)


def feedback_buttons(feedback_id: int) -> list[list[Button]]:
    return [[Button("👍 Hữu ích", f"fb:{feedback_id}:+"), Button("👎 Chưa đúng", f"fb:{feedback_id}:-")]]


@command("hoi", aliases=("ask",), help="hỏi về tài liệu CCHC (hoặc gõ thẳng câu hỏi)", order=2)
async def cmd_ask(router: Router, ctx: Ctx) -> None:
    question = ctx.args.strip()
    if not question:
        await router.reply(ctx, "Hãy gõ câu hỏi sau lệnh, ví dụ: /hoi Sở Nội vụ phải làm gì về PAR INDEX?")
        return
    kn = router.knowledge
    answer = await asyncio.to_thread(kn.ask, question)
    fb_id = await asyncio.to_thread(
        lambda: kn.record_answer(user_id=ctx.user.id, channel=ctx.inc.channel, answer=answer)
    )
    await router.reply(ctx, format_answer(answer), feedback_buttons(fb_id))


@callback(r"fb:([0-9]{1,12}):([+-])")
async def on_rating(router: Router, ctx: Ctx, m: re.Match[str]) -> None:
    rating = 1 if m.group(2) == "+" else -1
    ok = await asyncio.to_thread(
        lambda: router.knowledge.rate_answer(int(m.group(1)), user_id=ctx.user.id, rating=rating)
    )
    await router.reply(ctx, "Cảm ơn bạn đã góp ý!" if ok else "Không tìm thấy câu trả lời để góp ý.")
