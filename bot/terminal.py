"""The terminal chat (``cchc chat``): a :class:`Channel` on stdin/stdout that goes through the same router
as the bots, acting as a local admin (whoever can run it already owns the database)."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import TextIO

from bot.channel import Button, Channel, Incoming
from bot.router import Router
from core.private import private_dir
from core.settings import Settings
from knowledge.api import KnowledgeAPI
from reminders.service import RemindersAPI

logger = logging.getLogger(__name__)

WELCOME = (
    "Trợ lý CCHC — trò chuyện trong terminal (cùng lệnh như trên Telegram/Zalo).\n"
    "Gõ câu hỏi (có dấu hoặc không dấu), ví dụ: 'Sở Nội vụ phải làm gì?'. /trogiup: các lệnh. /thoat: thoát."
)


class TerminalChannel(Channel):
    name = "terminal"
    max_text_length = 4096
    supports_buttons = False
    rate_limited = False  # a local admin; `cchc chat < questions.txt` must not be throttled

    def __init__(self, out: TextIO, settings: Settings | None = None) -> None:
        self.out = out
        self.settings = settings
        self.sent: list[str] = []
        self.photos: list[bytes] = []

    async def send_text(self, chat_id: str, text: str, buttons: list[list[Button]] | None = None) -> None:
        self.sent.append(text)
        self.out.write("Trợ lý> " + text + "\n")
        self.out.flush()

    async def send_photo(self, chat_id: str, png: bytes, caption: str | None = None) -> None:
        self.photos.append(png)
        where = "(không lưu được ảnh)"
        if self.settings is not None:
            folder = self.settings.home / "charts"
            private_dir(folder)
            path = folder / f"bieu-do-{time.strftime('%Y%m%d-%H%M%S')}.png"
            path.write_bytes(png)
            where = str(path)
        self.out.write(f"Trợ lý> [ảnh] {caption or ''}: đã lưu tại {where}\n")
        self.out.flush()


def run_terminal_chat(knowledge: KnowledgeAPI, *, stdin: TextIO | None = None, stdout: TextIO | None = None,
                      settings: Settings | None = None, reminders: RemindersAPI | None = None) -> None:
    inp = stdin or sys.stdin
    out = stdout or sys.stdout
    settings = settings or knowledge.settings
    user = knowledge.accounts.ensure_local_admin()
    router = Router(settings, knowledge)
    router.reminders = reminders
    channel = TerminalChannel(out, settings)
    out.write(WELCOME + "\n")

    async def loop() -> None:
        while True:
            out.write("\nBạn> ")
            out.flush()
            line = inp.readline()
            if not line:
                out.write("\n")
                return
            text = line.strip()
            if text in ("/thoat", "/quit", "/exit"):
                out.write("Tạm biệt.\n")
                return
            if not text:
                continue
            inc = Incoming(channel="terminal", user_id=user.channel_user_id, chat_id=user.channel_user_id, text=text,
                           received_at=time.perf_counter())
            await router.handle(inc, channel)

    asyncio.run(loop())
