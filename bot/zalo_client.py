"""A thin async client of the Zalo Bot API (``{base_url}/bot<TOKEN>/<method>``), over httpx.

Telegram-like: every reply is ``{"ok": bool, "result": ..., "error_code", "description"}``; ``ok:false``
raises :class:`ZaloApiError` (never swallowed). 429 replies are retried after ``retry_after``. Sends
share one rate limiter. The token is never logged: error messages carry the method name only.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from aiolimiter import AsyncLimiter

from core.errors import ChannelError, DeliveryError

logger = logging.getLogger(__name__)


class ZaloApiError(ChannelError):
    def __init__(self, method: str, error_code: int | None, description: str) -> None:
        super().__init__(f"zalo {method}: {error_code} {description}")
        self.method = method
        self.error_code = error_code
        self.description = description


class ZaloClient:
    def __init__(self, token: str, base_url: str = "https://bot-api.zaloplatforms.com", *, timeout_s: float = 15.0,
                 max_per_second: float = 20.0, max_retries: int = 3) -> None:
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.limiter = AsyncLimiter(max_per_second, 1.0)
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout_s), limits=httpx.Limits(max_connections=64))

    def _url(self, method: str) -> str:
        return f"{self.base_url}/bot{self._token}/{method}"

    async def call(self, method: str, payload: dict[str, Any] | None = None, *, timeout_s: float | None = None,
                   limited: bool = True) -> Any:
        for attempt in range(self.max_retries + 1):
            try:
                if limited:
                    async with self.limiter:
                        resp = await self._post(method, payload, timeout_s)
                else:
                    resp = await self._post(method, payload, timeout_s)
            except httpx.HTTPError as exc:  # str(exc) may contain the URL, hence the token
                raise ChannelError(f"zalo {method}: {type(exc).__name__}") from None
            try:
                data = resp.json()
            except ValueError:
                raise ZaloApiError(method, resp.status_code, "non-JSON reply") from None
            if not isinstance(data, dict):
                raise ZaloApiError(method, resp.status_code, "unexpected reply")
            code = data.get("error_code") or (resp.status_code if resp.status_code >= 400 else None)
            if data.get("ok") is True and resp.status_code < 400:
                return data.get("result")
            if code == 429 and attempt < self.max_retries:
                retry = float((data.get("parameters") or {}).get("retry_after") or 1)
                logger.warning("zalo %s: rate limited, retrying after %.1f s", method, retry)
                await asyncio.sleep(min(retry, 30.0))
                continue
            desc = str(data.get("description") or data.get("message") or "error")
            if code in (403,) or "block" in desc.lower():
                raise DeliveryError(f"zalo {method}: {code} {desc}")
            raise ZaloApiError(method, code, desc)
        raise ZaloApiError(method, 429, "too many requests")  # pragma: no cover

    async def _post(self, method: str, payload: dict[str, Any] | None, timeout_s: float | None) -> httpx.Response:
        timeout = httpx.Timeout(timeout_s) if timeout_s else httpx.USE_CLIENT_DEFAULT
        return await self._http.post(self._url(method), json=payload or {}, timeout=timeout)

    # ------------------------------------------------------------------ methods
    async def get_me(self) -> dict[str, Any]:
        return dict(await self.call("getMe") or {})

    async def get_updates(self, timeout_s: int = 30) -> list[dict[str, Any]]:
        """Long polling. The API returns one update object (or a list); a 408 means nothing arrived."""
        try:
            result = await self.call("getUpdates", {"timeout": str(timeout_s)}, timeout_s=timeout_s + 10, limited=False)
        except ZaloApiError as exc:
            if exc.error_code == 408:
                return []
            raise
        if result is None:
            return []
        if isinstance(result, list):
            return [r for r in result if isinstance(r, dict)]
        return [result] if isinstance(result, dict) else []

    async def set_webhook(self, url: str, secret_token: str) -> Any:
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> Any:
        return await self.call("deleteWebhook")

    async def send_message(self, chat_id: str, text: str) -> Any:
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> Any:
        payload: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            payload["caption"] = caption
        return await self.call("sendPhoto", payload)

    async def close(self) -> None:
        await self._http.aclose()
