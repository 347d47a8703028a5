"""The channels' side of the reminders' :class:`reminders.notifier.Notifier` port.

Telegram and Zalo both speak a Bot API of the form ``{base}/bot<TOKEN>/sendMessage`` with
``{"ok", "result" | "error_code", "description", "parameters": {"retry_after"}}`` replies. Pushes
use httpx directly rather than the interactive stack, because exactly-once delivery needs to know
*where* a failure happened, which a wrapped exception hides:

- connect errors and pool/connect timeouts happen before a byte of the request left: safe to retry;
- a read/write timeout or a dropped connection happens after the request may have arrived: the
  message may have been delivered, so the outcome is ``UNCERTAIN`` and the ledger never resends it;
- HTTP 429 (with ``retry_after``) and 5xx: the platform did not take the message: retry;
- a blocked, deactivated or unknown chat: ``UNDELIVERABLE``. On Zalo a push to a user outside the
  period in which the platform allows the bot to write first is refused the same way (docs/zalo.md).

Zalo has no buttons, so actions become typed commands under the text (``xong 12``), parsed by
:mod:`reminders.commands` like any other message.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from core.settings import Settings
from reminders.notifier import Delivery, Notice, Outcome

logger = logging.getLogger(__name__)

_UNDELIVERABLE = ("blocked", "chat not found", "user is deactivated", "bot was kicked", "not a member",
                  "user not found", "have no rights", "forbidden", "not allowed to send", "interaction")


def _typed_commands(notice: Notice) -> str:
    cmds = [a.command for row in notice.actions for a in row]
    if not cmds:
        return notice.text
    return notice.text + "\n\nTrả lời bằng một lệnh: " + " · ".join(cmds)


class BotApiNotifier:
    """Implements :class:`reminders.notifier.Notifier` for a Telegram-like Bot API."""

    def __init__(self, name: str, base_url: str, token: str, *, buttons: bool, timeout_s: float = 15.0,
                 max_chars: int = 4096, client: httpx.AsyncClient | None = None) -> None:
        self.name = name
        self._url = f"{base_url.rstrip('/')}{'' if base_url.rstrip('/').endswith('/bot') else '/bot'}{token}/sendMessage"
        self.buttons = buttons
        self.max_chars = max_chars
        self._http = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)))

    def payload(self, notice: Notice) -> dict[str, Any]:
        text = notice.text if self.buttons else _typed_commands(notice)
        body: dict[str, Any] = {"chat_id": notice.chat_id, "text": text[: self.max_chars]}
        if self.buttons and notice.actions:
            body["reply_markup"] = json.dumps({"inline_keyboard": [
                [{"text": a.label, "callback_data": a.data} for a in row] for row in notice.actions]})
        return body

    async def notify(self, notice: Notice) -> Delivery:
        try:
            resp = await self._http.post(self._url, json=self.payload(notice))
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            return Delivery(Outcome.RETRY, f"không kết nối được ({type(exc).__name__}), chưa gửi")
        except httpx.HTTPError as exc:  # the request may have reached the server
            return Delivery(Outcome.UNCERTAIN, f"không nhận được trả lời ({type(exc).__name__}) sau khi đã gửi")
        return classify(resp.status_code, _json(resp))

    async def close(self) -> None:
        await self._http.aclose()


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def classify(status: int, data: dict[str, Any]) -> Delivery:
    """The outcome of a Bot API reply."""
    code = int(data.get("error_code") or status) if not (data.get("ok") is True and status < 400) else 200
    desc = str(data.get("description") or data.get("message") or "")[:200]
    if code < 400:
        result = data.get("result")
        mid = result.get("message_id") if isinstance(result, dict) else None
        return Delivery(Outcome.SENT, "", message_id=str(mid) if mid is not None else None)
    if code == 429:
        params = data.get("parameters")
        retry = params.get("retry_after") if isinstance(params, dict) else None
        return Delivery(Outcome.RETRY, f"429 {desc}", retry_after=float(retry) if retry is not None else 1.0)
    if code >= 500:
        return Delivery(Outcome.RETRY, f"{code} {desc}")
    if (code in (400, 403, 404) and any(w in desc.lower() for w in _UNDELIVERABLE)) or code == 403:
        return Delivery(Outcome.UNDELIVERABLE, f"{code} {desc}")
    return Delivery(Outcome.FAILED, f"{code} {desc}")


def notifiers_for(settings: Settings) -> dict[str, BotApiNotifier]:
    """A notifier per configured channel (Telegram with buttons, Zalo with typed commands)."""
    out: dict[str, BotApiNotifier] = {}
    tg = settings.telegram
    if tg.enabled and tg.token is not None:
        out["telegram"] = BotApiNotifier("telegram", tg.base_url, tg.token.get_secret_value(), buttons=True)
    z = settings.zalo
    if z.enabled and z.token is not None:
        out["zalo"] = BotApiNotifier("zalo", z.base_url, z.token.get_secret_value(), buttons=False, max_chars=2000)
    return out
