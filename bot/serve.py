"""``cchc serve``: the configured channels (Telegram, Zalo; polling or webhook) in one process.

Several webhook workers can run against one PostgreSQL database (see docs/deployment.md): all shared
state (users, invites, pending numbered choices, feedback, tasks) lives in the database; only the
per-user rate limits and the Zalo photo cache are per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from dataclasses import dataclass, field

from bot.backend import Running, backend, configured_channels
from bot.channel import Channel
from bot.files import make_file_handler
from bot.push import notifiers_for
from bot.router import Router
from bot.sender import Sender
from core.errors import CchcError
from core.settings import Settings
from knowledge.api import KnowledgeAPI
from reminders.scheduler import ReminderTick
from reminders.service import Reminders

logger = logging.getLogger(__name__)

NO_CHANNEL = (
    "Chưa cấu hình kênh nào: đặt biến môi trường CCHC_TELEGRAM__TOKEN (Telegram) hoặc CCHC_ZALO__TOKEN (Zalo).\n"
    "Trong lúc chờ, bạn có thể trò chuyện ngay trong terminal: cchc chat"
)


@dataclass
class Services:
    settings: Settings
    knowledge: KnowledgeAPI
    router: Router
    sender: Sender
    channels: dict[str, Channel] = field(default_factory=dict)


def build_services(settings: Settings, knowledge: KnowledgeAPI) -> Services:
    router = Router(settings, knowledge)
    router.file_handler = make_file_handler(settings, knowledge)
    channels: dict[str, Channel] = {}
    return Services(settings, knowledge, router, Sender(knowledge.accounts, channels), channels)


async def serve(settings: Settings, knowledge: KnowledgeAPI, stop: asyncio.Event | None = None,
                reminders: Reminders | None = None) -> None:
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
    svc.router.reminders = reminders
    try:
        await asyncio.to_thread(knowledge.refresh)  # load the index before the first question
    except CchcError as exc:
        logger.warning("index not loaded yet: %s", exc)
    from knowledge.scores.chart import warm_up

    await asyncio.to_thread(warm_up)  # matplotlib's import, paid now rather than by the first /diem
    running: list[Running] = []
    tick: ReminderTick | None = None
    try:
        for name in names:
            started = await backend(name).start(settings, svc.router)
            running.append(started)
            svc.channels[name] = started.channel
        if reminders is not None:  # the reminder scheduler: a tick every minute (see reminders/scheduler.py)
            tick = ReminderTick(reminders, notifiers_for(settings))
            tick.start()
        labels = ", ".join(r.label for r in running)
        logger.info("serving: %s", labels)
        print("Trợ lý CCHC đang chạy: " + labels + ". Nhấn Ctrl+C để dừng.", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        if tick is not None:
            tick.stop()
        for r in reversed(running):
            try:
                await r.stop()
            except Exception:
                logger.warning("%s did not stop cleanly", r.label, exc_info=True)
        logger.info("stopped")


def run_serve(settings: Settings, knowledge: KnowledgeAPI, reminders: Reminders | None = None) -> None:
    asyncio.run(serve(settings, knowledge, reminders=reminders))
