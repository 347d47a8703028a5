"""Telegram channel on python-telegram-bot v22: polling by default, webhook behind a reverse proxy.

Webhook mode follows PTB's custom-webhook pattern (an application without ``Updater``, fed by our own
endpoint in :mod:`bot.telegram_webhook`, which checks the secret in constant time).

Replies use HTML parse mode (escaped per piece, after splitting) and fall back to plain text when
Telegram rejects the formatting. All sends go through PTB's ``AIORateLimiter`` (also the
out-of-handler sends of :mod:`bot.sender`, which use the same ``Bot``).
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlparse

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from bot.backend import Backend
from bot.channel import Button, Channel, Incoming, IncomingFile
from bot.formatting import to_telegram_html
from bot.router import GENERIC_ERROR, Router
from bot.telegram_webhook import TelegramWebhook
from core.errors import ChannelError, ConfigError, DeliveryError, FileTooLargeError
from core.settings import Settings

logger = logging.getLogger(__name__)

_PARSE_ERRORS = ("can't parse entities", "can't find end of the entity", "unsupported start tag", "can't parse")


class TelegramChannel(Channel):
    name = "telegram"
    max_text_length = 4096
    supports_buttons = True

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @staticmethod
    def _markup(buttons: list[list[Button]] | None) -> InlineKeyboardMarkup | None:
        if not buttons:
            return None
        return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in buttons])

    async def send_text(self, chat_id: str, text: str, buttons: list[list[Button]] | None = None) -> None:
        markup = self._markup(buttons)
        try:
            try:
                await self.bot.send_message(int(chat_id), to_telegram_html(text), parse_mode=ParseMode.HTML, reply_markup=markup)
            except BadRequest as exc:
                if not any(p in exc.message.lower() for p in _PARSE_ERRORS):
                    raise
                logger.warning("Telegram rejected the HTML formatting; resending as plain text")
                await self.bot.send_message(int(chat_id), text, reply_markup=markup)
        except Forbidden as exc:
            raise DeliveryError(f"telegram: {exc.message}") from exc
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise DeliveryError(f"telegram: {exc.message}") from exc
            raise ChannelError(f"telegram: {exc.message}") from exc

    async def send_photo(self, chat_id: str, png: bytes, caption: str | None = None) -> None:
        try:
            await self.bot.send_photo(int(chat_id), photo=png, caption=caption)
        except Forbidden as exc:
            raise DeliveryError(f"telegram: {exc.message}") from exc

    async def answer_callback(self, callback_id: str, text: str | None = None) -> None:
        try:
            await self.bot.answer_callback_query(callback_id, text=text)
        except TelegramError as exc:  # an old button: the reply still goes out
            logger.info("answerCallbackQuery failed: %s", type(exc).__name__)

    async def edit_buttons(self, chat_id: str, message_id: str, buttons: list[list[Button]] | None) -> None:
        try:
            await self.bot.edit_message_reply_markup(int(chat_id), int(message_id), reply_markup=self._markup(buttons))
        except TelegramError as exc:  # too old to edit, or unchanged: the action itself is done
            logger.info("editMessageReplyMarkup failed: %s", type(exc).__name__)

    async def download(self, file: IncomingFile, max_bytes: int) -> bytes:
        if file.size is not None and file.size > max_bytes:
            raise FileTooLargeError(f"{file.name}: quá lớn", path=file.name)
        f = await self.bot.get_file(file.file_id)
        data = bytes(await f.download_as_bytearray())
        if len(data) > max_bytes:
            raise FileTooLargeError(f"{file.name}: quá lớn", path=file.name)
        return data


def to_incoming(update: Update, bot_username: str | None) -> Incoming | None:
    """A PTB update in the router's neutral form; None for updates we do not handle."""
    received = time.perf_counter()
    q = update.callback_query
    if q is not None:
        chat = q.message.chat if q.message is not None else None
        markup = getattr(q.message, "reply_markup", None) if q.message is not None else None
        rows = [[Button(b.text, b.callback_data) for b in row if isinstance(b.callback_data, str)]
                for row in (markup.inline_keyboard if markup else ())]
        return Incoming(
            channel="telegram", user_id=str(q.from_user.id), chat_id=str(chat.id if chat else q.from_user.id),
            callback_data=q.data, callback_id=q.id, is_group=bool(chat and chat.type != ChatType.PRIVATE),
            display_name=q.from_user.full_name, received_at=received,
            message_id=str(q.message.message_id) if q.message is not None else None, buttons=[r for r in rows if r],
        )
    msg = update.message
    if msg is None or msg.from_user is None:
        return None
    text = msg.text or msg.caption or ""
    is_group = msg.chat.type != ChatType.PRIVATE
    mentioned = False
    if bot_username:
        tag = "@" + bot_username.lower()
        if tag in text.lower():
            mentioned = True
            i = text.lower().index(tag)
            if not text.startswith("/"):
                text = (text[:i] + text[i + len(tag):]).strip()
    if msg.reply_to_message is not None and msg.reply_to_message.from_user is not None:
        mentioned = mentioned or (msg.reply_to_message.from_user.is_bot and (
            bot_username is None or msg.reply_to_message.from_user.username == bot_username))
    file = None
    if msg.document is not None:
        d = msg.document
        file = IncomingFile(name=d.file_name or "tep", size=d.file_size, file_id=d.file_id, mime=d.mime_type)
    return Incoming(
        channel="telegram", user_id=str(msg.from_user.id), chat_id=str(msg.chat.id), text=text, file=file,
        is_group=is_group, mentioned=mentioned,
        display_name=msg.from_user.full_name, received_at=received,
    )


def build_application(settings: Settings, router: Router) -> tuple[Application[Any, Any, Any, Any, Any, Any], TelegramChannel]:
    tg = settings.telegram
    if tg.token is None:
        raise ConfigError("Chưa đặt CCHC_TELEGRAM__TOKEN.")
    builder = (
        Application.builder()
        .token(tg.token.get_secret_value())
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(64)
        .connection_pool_size(64)
        .get_updates_read_timeout(tg.poll_timeout_s + 10)
    )
    if tg.mode == "webhook":
        builder = builder.updater(None)  # PTB's custom-webhook pattern: our endpoint feeds update_queue
    app = builder.build()
    channel = TelegramChannel(app.bot)

    async def on_update(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            return
        inc = to_incoming(update, context.bot.username if context.bot else None)
        if inc is not None:
            await router.handle(inc, channel)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        err = context.error
        if isinstance(err, RetryAfter):
            logger.warning("Telegram flood control: retry after %s", err.retry_after)
            return
        logger.error("telegram handler error", exc_info=(type(err), err, err.__traceback__) if err else None)
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await context.bot.send_message(update.effective_chat.id, GENERIC_ERROR)
            except TelegramError:
                logger.warning("could not tell the user about the error")

    app.add_handler(TypeHandler(Update, on_update))
    app.add_error_handler(on_error)
    return app, channel


async def start(app: Application[Any, Any, Any, Any, Any, Any], settings: Settings) -> TelegramWebhook | None:
    """Initialise, start and begin receiving updates (polling, or our webhook endpoint). Stop with :func:`stop`."""
    tg = settings.telegram
    await app.initialize()
    await app.start()
    allowed = ["message", "callback_query"]
    if tg.mode != "webhook":
        await app.updater.start_polling(timeout=tg.poll_timeout_s, allowed_updates=allowed)  # type: ignore[union-attr]
        logger.info("telegram: polling")
        return None
    if tg.webhook_secret is None or not tg.webhook_url:  # settings refuse this at load; kept for direct callers
        raise ConfigError("Chế độ webhook cần telegram.webhook_url và biến môi trường CCHC_TELEGRAM__WEBHOOK_SECRET.")
    secret = tg.webhook_secret.get_secret_value()
    last_segment = urlparse(tg.webhook_url).path.rstrip("/").rsplit("/", 1)[-1]  # the local path (docs/deployment.md)
    hook = TelegramWebhook(app, secret=secret, path=last_segment, listen=tg.listen, port=tg.port)
    try:
        hook.start()
    except OSError as exc:
        raise ConfigError(f"Không mở được cổng {tg.listen}:{tg.port} cho webhook Telegram: {exc.strerror}.") from exc
    await app.bot.set_webhook(url=tg.webhook_url, secret_token=secret, allowed_updates=allowed)
    return hook


async def stop(app: Application[Any, Any, Any, Any, Any, Any], hook: TelegramWebhook | None = None) -> None:
    if hook is not None:
        await hook.stop()
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


class _Running:
    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], channel: TelegramChannel, label: str,
                 hook: TelegramWebhook | None) -> None:
        self.app = app
        self.channel = channel
        self.label = label
        self.hook = hook

    async def stop(self) -> None:
        await stop(self.app, self.hook)


async def _start_backend(settings: Settings, router: Router) -> _Running:
    app, channel = build_application(settings, router)
    try:
        hook = await start(app, settings)
    except InvalidToken as exc:
        raise ConfigError(
            "Telegram từ chối token (CCHC_TELEGRAM__TOKEN sai hoặc đã bị thu hồi); hãy kiểm tra lại với BotFather."
        ) from exc
    return _Running(app, channel, f"telegram ({settings.telegram.mode})", hook)


BACKEND = Backend("telegram", _start_backend)
