"""A fake Zalo Bot API server (``/bot<TOKEN>/<method>``) over HTTP on 127.0.0.1.

getMe, getUpdates (long polling; one update per reply as ``{ok, result: {event_name, message}}``, a
408 when nothing arrived), setWebhook/deleteWebhook, sendMessage (2,000-character limit), sendPhoto by
URL (the fake fetches the URL, as Zalo does), error injection (429 with retry_after, ok:false).
"""

from __future__ import annotations

import itertools
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from tests.fakes.bot_api_http import FakeBotApi


@dataclass
class ZaloSent:
    method: str
    chat_id: str
    text: str | None = None
    photo_url: str | None = None
    photo: bytes | None = None
    caption: str | None = None
    at: float = 0.0


class FakeZalo(FakeBotApi):
    def __init__(self, token: str = "2900123456789:ZaloFakeTokenForTestsOnly_xyz") -> None:
        super().__init__(token)
        self.updates: list[dict[str, Any]] = []
        self.sent: list[ZaloSent] = []
        self.webhook: dict[str, Any] | None = None
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def update_for(self, user_id: str, text: str, *, chat_type: str = "PRIVATE", chat_id: str | None = None) -> dict[str, Any]:
        return {
            "event_name": "message.text.received",
            "message": {
                "message_id": f"m{next(self._ids)}", "date": int(time.time() * 1000), "text": text,
                "from": {"id": user_id, "display_name": f"Người dùng {user_id}", "is_bot": False},
                "chat": {"id": chat_id or user_id, "chat_type": chat_type},
            },
        }

    def push_text(self, user_id: str, text: str, **kw: Any) -> None:
        with self.cond:
            self.updates.append(self.update_for(user_id, text, **kw))
            self.cond.notify_all()

    def texts_to(self, chat_id: str) -> list[str]:
        with self.cond:
            return [s.text or "" for s in self.sent if s.chat_id == chat_id and s.method == "sendMessage"]

    def wait_sent(self, chat_id: str, n: int = 1, timeout: float = 15.0) -> list[ZaloSent]:
        self.wait_until(lambda: len([s for s in self.sent if s.chat_id == chat_id]) >= n, timeout)
        with self.cond:
            return [s for s in self.sent if s.chat_id == chat_id]

    def method(self, name: str, f: dict[str, Any], files: dict[str, bytes]) -> tuple[int, Any]:
        ok = lambda result: (200, {"ok": True, "result": result})  # noqa: E731
        if name == "getMe":
            return ok({"id": "bot123", "account_name": "cchc_bot", "account_type": "BASIC", "can_join_groups": True})
        if name == "setWebhook":
            if not f.get("url") or not f.get("secret_token"):
                return 400, {"ok": False, "error_code": 400, "description": "url and secret_token are required"}
            self.webhook = dict(f)
            return ok({"url": f["url"], "updated_at": int(time.time() * 1000)})
        if name == "deleteWebhook":
            self.webhook = None
            return ok({"url": ""})
        if name == "getUpdates":
            if self.webhook:
                return 400, {"ok": False, "error_code": 400, "description": "webhook is set"}
            deadline = time.monotonic() + float(f.get("timeout") or 30)
            with self.cond:
                while not self.updates and time.monotonic() < deadline:
                    self.cond.wait(min(0.5, max(0.0, deadline - time.monotonic())))
                if not self.updates:
                    return 200, {"ok": False, "error_code": 408, "description": "Request timeout"}
                upd = self.updates.pop(0)
            return ok(upd)
        if name == "sendMessage":
            text = str(f.get("text") or "")
            if not f.get("chat_id") or not text:
                return 400, {"ok": False, "error_code": 400, "description": "chat_id and text are required"}
            if len(text) > 2000:
                return 400, {"ok": False, "error_code": 400, "description": "text too long"}
            with self.cond:
                self.sent.append(ZaloSent("sendMessage", str(f["chat_id"]), text=text, at=time.perf_counter()))
                self.cond.notify_all()
            return ok({"message_id": f"s{next(self._ids)}", "date": int(time.time() * 1000)})
        if name == "sendPhoto":
            url = str(f.get("photo") or "")
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:  # Zalo fetches the photo by URL
                    data = resp.read()
            except Exception as exc:
                return 400, {"ok": False, "error_code": 400, "description": f"cannot fetch photo: {exc}"}
            with self.cond:
                self.sent.append(ZaloSent("sendPhoto", str(f["chat_id"]), photo_url=url, photo=data,
                                          caption=f.get("caption"), at=time.perf_counter()))
                self.cond.notify_all()
            return ok({"message_id": f"s{next(self._ids)}", "date": int(time.time() * 1000)})
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
