"""Telegram webhook receiver: PTB's documented custom-webhook pattern on our own tornado server.

PTB's built-in webhook server compares the ``X-Telegram-Bot-Api-Secret-Token`` header with ``!=``
(and logs a wrong token at DEBUG). Here the application is built without an ``Updater``; this server
checks the header with :func:`hmac.compare_digest`, caps the body size, turns the JSON into an
``Update`` and puts it on ``application.update_queue``, where PTB's own loop picks it up.
"""

from __future__ import annotations

import hmac
import json
import logging
from http import HTTPStatus
from typing import Any

import tornado.web
from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024  # Telegram updates are a few KB; documents arrive by file_id, not inline

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def secret_matches(got: str | None, secret: str) -> bool:
    """Constant-time comparison of a presented secret with the configured one (missing = no match)."""
    if not got:
        return False
    return hmac.compare_digest(got.encode("utf-8", "replace"), secret.encode("utf-8"))


class TelegramWebhook:
    """An HTTP endpoint at ``path`` on ``listen:port`` feeding updates to a PTB application."""

    def __init__(self, app: AnyApplication, *, secret: str, path: str, listen: str, port: int) -> None:
        self.app = app
        self.path = "/" + path.strip("/")
        self.listen = listen
        self.port = port
        web = tornado.web.Application([(self.path, _Handler, {"app": app, "secret": secret})])
        self._server = HTTPServer(web, xheaders=True, max_body_size=MAX_BODY_BYTES)

    def start(self) -> None:
        self._server.listen(self.port, address=self.listen)
        logger.info("telegram: webhook endpoint on %s:%d", self.listen, self.port)

    async def stop(self) -> None:
        self._server.stop()
        await self._server.close_all_connections()


class _Handler(tornado.web.RequestHandler):
    def initialize(self, app: AnyApplication, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def post(self) -> None:
        if not secret_matches(self.request.headers.get(SECRET_HEADER), self.secret):
            logger.warning("telegram webhook: request without the right secret token refused")
            self.set_status(HTTPStatus.FORBIDDEN)
            self.finish()
            return
        try:
            data = json.loads(self.request.body or b"")
            update = Update.de_json(data, self.app.bot) if isinstance(data, dict) else None
        except Exception:  # an untrusted body that PTB cannot read (any shape): refused, never a 500
            update = None
        if update is None:
            logger.warning("telegram webhook: a body that is not an update was refused")
            self.set_status(HTTPStatus.BAD_REQUEST)
            self.finish()
            return
        await self.app.update_queue.put(update)
        self.finish()
