"""Zalo channel on the Zalo Bot API: long polling or webhook, photos served by URL from our own endpoint.

Zalo has no buttons: the router shows numbered choices instead. Webhook requests must carry the
``X-Bot-Api-Secret-Token`` header (403 otherwise); both ``{event_name, message}`` and
``{ok, result: {...}}`` bodies are accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
import time
from typing import Any
from urllib.parse import urlparse

import tornado.web
from tornado.httpserver import HTTPServer

from bot.backend import Backend
from bot.channel import Button, Channel, Incoming
from bot.router import Router
from bot.zalo_client import ZaloClient
from core.errors import ConfigError
from core.settings import Settings

logger = logging.getLogger(__name__)

PHOTO_TTL_S = 3600.0
WEBHOOK_HEADER = "X-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024  # updates are small; a bigger body is refused before it is read whole


class PhotoStore:
    """PNG images kept in memory for an hour, served at ``/zalo/photo/<token>.png`` for Zalo to fetch."""

    def __init__(self, public_base_url: str | None) -> None:
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self._items: dict[str, tuple[bytes, float]] = {}

    def put(self, png: bytes) -> str | None:
        if self.public_base_url is None:
            return None
        now = time.monotonic()
        for key in [k for k, (_, t) in self._items.items() if now - t > PHOTO_TTL_S]:
            del self._items[key]
        token = secrets.token_urlsafe(16)
        self._items[token] = (png, now)
        return f"{self.public_base_url}/zalo/photo/{token}.png"

    def get(self, token: str) -> bytes | None:
        item = self._items.get(token)
        if item is None or time.monotonic() - item[1] > PHOTO_TTL_S:
            return None
        return item[0]


class ZaloChannel(Channel):
    name = "zalo"
    max_text_length = 2000
    supports_buttons = False

    def __init__(self, client: ZaloClient, photos: PhotoStore) -> None:
        self.client = client
        self.photos = photos

    async def send_text(self, chat_id: str, text: str, buttons: list[list[Button]] | None = None) -> None:
        await self.client.send_message(chat_id, text)

    async def send_photo(self, chat_id: str, png: bytes, caption: str | None = None) -> None:
        url = self.photos.put(png)
        if url is None:
            logger.warning("zalo.public_base_url is not set: cannot send photos")
            await self.client.send_message(chat_id, "(Chưa gửi được biểu đồ qua Zalo: máy chủ chưa cấu hình zalo.public_base_url.)")
            return
        await self.client.send_photo(chat_id, url, caption)


def unwrap(body: Any) -> dict[str, Any] | None:
    """``{event_name, message}`` or ``{ok, result: {event_name, message}}`` -> the update, else None."""
    if not isinstance(body, dict):
        return None
    if "result" in body and isinstance(body["result"], dict):
        body = body["result"]
    return body if isinstance(body.get("message"), dict) else None


def to_incoming(update: dict[str, Any], bot_name: str | None = None) -> Incoming | None:
    msg = update.get("message")
    sender = msg.get("from") if isinstance(msg, dict) else None
    if not isinstance(msg, dict) or not isinstance(sender, dict) or "id" not in sender:
        return None  # not a message from someone: nothing to answer
    raw_chat = msg.get("chat")
    chat: dict[str, Any] = raw_chat if isinstance(raw_chat, dict) else {}
    event = str(update.get("event_name") or "")
    text = str(msg.get("text") or "") if event in ("", "message.text.received") else ""
    is_group = str(chat.get("chat_type") or "PRIVATE").upper() == "GROUP"
    mentioned = False
    if bot_name and f"@{bot_name}".lower() in text.lower():
        mentioned = True
        i = text.lower().index(f"@{bot_name}".lower())
        text = (text[:i] + text[i + len(bot_name) + 1:]).strip()
    name = sender.get("display_name") or sender.get("name")
    return Incoming(
        channel="zalo", user_id=str(sender["id"]), chat_id=str(chat.get("id") or sender["id"]), text=text,
        is_group=is_group, mentioned=mentioned, display_name=str(name) if name else None,
        received_at=time.perf_counter(),
    )


class ZaloBot:
    """Receives Zalo updates (polling or webhook) and hands them to the router."""

    def __init__(self, settings: Settings, router: Router) -> None:
        z = settings.zalo
        if z.token is None:
            raise ConfigError("Chưa đặt CCHC_ZALO__TOKEN.")
        self.settings = settings
        self.router = router
        self.client = ZaloClient(z.token.get_secret_value(), z.base_url)
        self.photos = PhotoStore(z.public_base_url)
        self.channel = ZaloChannel(self.client, self.photos)
        self.bot_name: str | None = None
        self._server: HTTPServer | None = None
        self._poller: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    def dispatch(self, update: dict[str, Any]) -> None:
        inc = to_incoming(update, self.bot_name)
        if inc is None:
            return
        task = asyncio.get_running_loop().create_task(self.router.handle(inc, self.channel))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        z = self.settings.zalo
        me = await self.client.get_me()
        self.bot_name = str(me.get("account_name") or me.get("display_name") or me.get("name") or "") or None
        webhook_path = "/zalo/webhook"
        secret: str | None = None
        if z.mode == "webhook":
            # settings refuse webhook mode without a URL or a secret of 32+ characters; kept for direct callers
            if z.webhook_secret is None or not z.webhook_url:
                raise ConfigError("Chế độ webhook của Zalo cần zalo.webhook_url và biến môi trường CCHC_ZALO__WEBHOOK_SECRET.")
            webhook_path = urlparse(z.webhook_url).path or webhook_path
            secret = z.webhook_secret.get_secret_value()
        if z.mode == "webhook" or z.public_base_url:
            app = tornado.web.Application([
                (webhook_path, _WebhookHandler, {"bot": self, "secret": secret}),
                (r"/zalo/photo/([A-Za-z0-9_\-]+)\.png", _PhotoHandler, {"photos": self.photos}),
            ])
            self._server = HTTPServer(app, xheaders=True, max_body_size=MAX_BODY_BYTES)
            try:
                self._server.listen(z.port, address=z.listen)
            except OSError as exc:
                raise ConfigError(f"Không mở được cổng {z.listen}:{z.port} cho Zalo: {exc.strerror}.") from exc
            logger.info("zalo: HTTP endpoint on %s:%d", z.listen, z.port)
        if secret is not None and z.webhook_url:
            await self.client.set_webhook(z.webhook_url, secret)
            logger.info("zalo: webhook set")
        else:
            self._poller = asyncio.get_running_loop().create_task(self._poll())
            logger.info("zalo: polling")

    async def _poll(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            try:
                updates = await self.client.get_updates(self.settings.zalo.poll_timeout_s)
                backoff = 1.0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("zalo getUpdates failed (%s); retrying in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            for upd in updates:
                u = unwrap(upd)
                if u is not None:
                    self.dispatch(u)

    async def stop(self) -> None:
        self._stopping.set()
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poller
        if self._server is not None:
            self._server.stop()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
        await self.client.close()


class _WebhookHandler(tornado.web.RequestHandler):
    def initialize(self, bot: ZaloBot, secret: str | None) -> None:
        self.bot = bot
        self.secret = secret

    def post(self) -> None:
        got = self.request.headers.get(WEBHOOK_HEADER, "")
        if self.secret is None or not got or not hmac.compare_digest(got.encode("utf-8", "replace"), self.secret.encode()):
            logger.warning("zalo webhook: request without the right secret token refused")
            self.set_status(403)
            self.finish({"ok": False, "description": "forbidden"})
            return
        try:
            body = json.loads(self.request.body or b"{}")
        except (ValueError, RecursionError):  # not JSON, or nested too deep to read
            self.set_status(400)
            self.finish({"ok": False, "description": "bad json"})
            return
        update = unwrap(body)
        if update is not None:
            self.bot.dispatch(update)
        self.finish({"ok": True})


class _PhotoHandler(tornado.web.RequestHandler):
    def initialize(self, photos: PhotoStore) -> None:
        self.photos = photos

    def get(self, token: str) -> None:
        data = self.photos.get(token)
        if data is None:
            self.set_status(404)
            self.finish()
            return
        self.set_header("Content-Type", "image/png")
        self.finish(data)


class _Running:
    def __init__(self, bot: ZaloBot, label: str) -> None:
        self.bot = bot
        self.channel = bot.channel
        self.label = label

    async def stop(self) -> None:
        await self.bot.stop()


async def _start_backend(settings: Settings, router: Router) -> _Running:
    bot = ZaloBot(settings, router)
    await bot.start()
    return _Running(bot, f"zalo ({settings.zalo.mode})")


BACKEND = Backend("zalo", _start_backend)
