"""``cchc serve``: the configured channels (Telegram, Zalo; polling or webhook) in one process.

Several webhook workers can run against one PostgreSQL database (see docs/deployment.md): all shared
state (users, invites, pending numbered choices, feedback, tasks) lives in the database; only the
per-user question rate limit and the Zalo photo cache are per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from dataclasses import dataclass, field
from typing import Any

from telegram.error import InvalidToken

from bot.access import Access
from bot.channel import Channel
from bot.files import make_file_handler
from bot.router import Router
from bot.sender import Sender
from cchc.errors import CchcError, ConfigError
from cchc.settings import Settings

logger = logging.getLogger(__name__)

NO_CHANNEL = (
    "Chưa cấu hình kênh nào: đặt biến môi trường CCHC_TELEGRAM__TOKEN (Telegram) hoặc CCHC_ZALO__TOKEN (Zalo).\n"
    "Trong lúc chờ, bạn có thể trò chuyện ngay trong terminal: cchc chat"
)


@dataclass
class Services:
    settings: Settings
    knowledge: Any
    access: Access
    router: Router
    sender: Sender
    channels: dict[str, Channel] = field(default_factory=dict)


def build_services(settings: Settings, knowledge: Any) -> Services:
    access = Access(knowledge.db, settings)
    router = Router(settings, knowledge, access)
    router.file_handler = make_file_handler(settings, knowledge)
    channels: dict[str, Channel] = {}
    return Services(settings, knowledge, access, router, Sender(access, channels), channels)


def configured_channels(settings: Settings) -> list[str]:
    out = []
    if settings.telegram.token is not None and settings.telegram.token.get_secret_value():
        out.append("telegram")
    if settings.zalo.token is not None and settings.zalo.token.get_secret_value():
        out.append("zalo")
    return out


async def serve(settings: Settings, knowledge: Any, stop: asyncio.Event | None = None) -> None:
    names = configured_channels(settings)
    if not names:
        raise CchcError(NO_CHANNEL)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)
    logging.getLogger("tornado.access").setLevel(logging.WARNING)  # request lines carry photo tokens
    svc = build_services(settings, knowledge)
    try:
        await asyncio.to_thread(knowledge.refresh)  # load the index before the first question
    except CchcError as exc:
        logger.warning("index not loaded yet: %s", exc)
    from knowledge.score_chart import warm_up

    await asyncio.to_thread(warm_up)  # matplotlib's import, paid now rather than by the first /diem
    tg_app: Any = None
    zalo: Any = None
    started: list[str] = []
    try:
        if "telegram" in names:
            from bot import telegram as tg

            tg_app, tg_channel = tg.build_application(settings, svc.router)
            svc.channels["telegram"] = tg_channel
            try:
                await tg.start(tg_app, settings)
            except InvalidToken as exc:
                tg_app = None
                raise ConfigError(
                    "Telegram từ chối token (CCHC_TELEGRAM__TOKEN sai hoặc đã bị thu hồi); hãy kiểm tra lại với BotFather."
                ) from exc
            started.append(f"telegram ({settings.telegram.mode})")
        if "zalo" in names:
            from bot.zalo import ZaloBot

            zalo = ZaloBot(settings, svc.router)
            svc.channels["zalo"] = zalo.channel
            await zalo.start()
            started.append(f"zalo ({settings.zalo.mode})")
        logger.info("serving: %s", ", ".join(started))
        print("Trợ lý CCHC đang chạy: " + ", ".join(started) + ". Nhấn Ctrl+C để dừng.", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        if zalo is not None:
            await zalo.stop()
        if tg_app is not None:
            from bot import telegram as tg

            try:
                await tg.stop(tg_app)
            except Exception:
                logger.warning("telegram did not stop cleanly", exc_info=True)
        logger.info("stopped")


def run_serve(settings: Settings, knowledge: Any) -> None:
    asyncio.run(serve(settings, knowledge))
