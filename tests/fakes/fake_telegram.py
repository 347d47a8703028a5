"""A fake Telegram Bot API server speaking the real protocol over HTTP on 127.0.0.1.

Supports getMe, getUpdates (long polling with offset/timeout), setWebhook/deleteWebhook, sendMessage
(HTML parse mode checked: unbalanced tags get the real 400 "can't parse entities"), sendPhoto
(multipart upload), answerCallbackQuery, getFile and file download, setMyCommands; error injection
(e.g. 429 with ``parameters.retry_after``). Tests push updates as a user would and read ``sent``.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from tests.fakes.bot_api_http import FakeBotApi

BOT_ID = 7000000001
BOT_USERNAME = "cchc_test_bot"
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span", "tg-spoiler", "blockquote"}


class _HtmlCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = self.error or f"Unsupported start tag \"{tag}\""
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f"Can't find end tag corresponding to start tag \"{tag}\""
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(text: str) -> tuple[str | None, str]:
    """(error, visible text) like Telegram's HTML parser: bare '<' or '&' that is not an entity fails."""
    if re.search(r"<(?![a-zA-Z/])", text) or re.search(r"&(?!(amp|lt|gt|quot|#\d+);)", text):
        return "Can't parse entities: unexpected character", text
    p = _HtmlCheck()
    p.feed(text)
    p.close()
    if p.error is None and p.stack:
        p.error = f"Can't find end tag corresponding to start tag \"{p.stack[-1]}\""
    return p.error, "".join(p.text)


@dataclass
class Sent:
    method: str
    chat_id: int
    text: str | None = None  # visible text (after HTML parsing)
    raw: str | None = None
    parse_mode: str | None = None
    buttons: list[list[dict[str, Any]]] = field(default_factory=list)
    photo: bytes | None = None
    caption: str | None = None
    at: float = 0.0
    message_id: int = 0


class FakeTelegram(FakeBotApi):
    def __init__(self, token: str = "123456789:AAFakeTokenForTestsOnly_abcdefghijk") -> None:
        super().__init__(token)
        self.updates: list[dict[str, Any]] = []
        self.delivered_at: dict[int, float] = {}
        self.sent: list[Sent] = []
        self.callback_answers: list[str] = []
        self.edits: list[tuple[int, int, list[list[dict[str, Any]]]]] = []  # editMessageReplyMarkup calls
        self.webhook: dict[str, Any] | None = None
        self.files: dict[str, tuple[str, bytes]] = {}
        self.reject_html = False
        self._ids = itertools.count(1)
        self._msg_ids = itertools.count(1000)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ------------------------------------------------------------------ what a user does
    def _user(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": "vi"}

    def _chat(self, chat_id: int, chat_type: str) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = f"User{chat_id}"
        else:
            chat["title"] = "Nhóm CCHC"
        return chat

    def _push(self, update: dict[str, Any]) -> int:
        with self.cond:
            uid = next(self._ids)
            update["update_id"] = uid
            self.updates.append(update)
            self.cond.notify_all()
            return uid

    def push_message(self, user_id: int, text: str, *, chat_id: int | None = None, chat_type: str = "private",
                     document: dict[str, Any] | None = None) -> int:
        msg: dict[str, Any] = {
            "message_id": next(self._msg_ids), "date": int(time.time()),
            "chat": self._chat(chat_id or user_id, chat_type), "from": self._user(user_id),
        }
        if text:
            msg["text"] = text
            ents = []
            m = re.match(r"/\w+(@\w+)?", text)
            if m:
                ents.append({"type": "bot_command", "offset": 0, "length": m.end()})
            at = text.find("@" + BOT_USERNAME)
            if at >= 0 and not m:
                ents.append({"type": "mention", "offset": at, "length": len(BOT_USERNAME) + 1})
            if ents:
                msg["entities"] = ents
        if document is not None:
            msg["document"] = document
        return self._push({"message": msg})

    def push_document(self, user_id: int, name: str, data: bytes, mime: str = "application/octet-stream") -> int:
        fid = f"DOC{len(self.files) + 1}"
        self.files[fid] = (f"documents/{fid}_{name}", data)
        doc = {"file_id": fid, "file_unique_id": f"U{fid}", "file_name": name, "mime_type": mime, "file_size": len(data)}
        return self.push_message(user_id, "", document=doc)

    def push_callback(self, user_id: int, data: str, *, chat_id: int | None = None,
                      keyboard: list[list[dict[str, Any]]] | None = None, message_id: int | None = None) -> int:
        """A button press; ``keyboard`` is the pressed message's inline keyboard (as the API sends it)."""
        message: dict[str, Any] = {"message_id": message_id or next(self._msg_ids), "date": int(time.time()),
                                   "chat": self._chat(chat_id or user_id, "private"),
                                   "from": {"id": BOT_ID, "is_bot": True, "first_name": "CCHC", "username": BOT_USERNAME},
                                   "text": "…"}
        if keyboard:
            message["reply_markup"] = {"inline_keyboard": keyboard}
        q = {"id": f"cbq{next(self._msg_ids)}", "from": self._user(user_id), "chat_instance": "ci1", "data": data,
             "message": message}
        return self._push({"callback_query": q})

    # ------------------------------------------------------------------ what the bot sent
    def sent_to(self, chat_id: int) -> list[Sent]:
        with self.cond:
            return [s for s in self.sent if s.chat_id == chat_id]

    def texts_to(self, chat_id: int) -> list[str]:
        return [s.text or "" for s in self.sent_to(chat_id) if s.method == "sendMessage"]

    def wait_sent(self, chat_id: int, n: int = 1, timeout: float = 15.0) -> list[Sent]:
        self.wait_until(lambda: len([s for s in self.sent if s.chat_id == chat_id]) >= n, timeout)
        return self.sent_to(chat_id)

    # ------------------------------------------------------------------ the API
    def _message(self, chat_id: int, **extra: Any) -> dict[str, Any]:
        return {"message_id": next(self._msg_ids), "date": int(time.time()),
                "chat": self._chat(chat_id, "private" if chat_id > 0 else "group"),
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "CCHC", "username": BOT_USERNAME}, **extra}

    def get_file(self, path: str) -> bytes | None:
        for p, data in self.files.values():
            if p == path:
                return data
        return None

    def method(self, name: str, f: dict[str, Any], files: dict[str, bytes]) -> tuple[int, Any]:  # noqa: C901 - one branch per method
        ok = lambda result: (200, {"ok": True, "result": result})  # noqa: E731
        if name == "getMe":
            return ok({"id": BOT_ID, "is_bot": True, "first_name": "CCHC", "username": BOT_USERNAME,
                       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False})
        if name in ("deleteWebhook", "setMyCommands", "close", "logOut"):
            if name == "deleteWebhook":
                self.webhook = None
            return ok(True)
        if name == "setWebhook":
            self.webhook = dict(f)
            return ok(True)
        if name == "getWebhookInfo":
            return ok({"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False, "pending_update_count": 0})
        if name == "getUpdates":
            offset = int(f.get("offset") or 0)
            timeout = float(f.get("timeout") or 0)
            deadline = time.monotonic() + timeout
            with self.cond:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                while not self.updates and time.monotonic() < deadline:
                    self.cond.wait(min(0.5, max(0.0, deadline - time.monotonic())))
                batch = self.updates[:100]
                now = time.perf_counter()
                for u in batch:
                    self.delivered_at.setdefault(u["update_id"], now)
            return ok(batch)
        if name == "sendMessage":
            chat_id = int(f["chat_id"])
            raw = str(f.get("text", ""))
            mode = f.get("parse_mode")
            visible = raw
            if mode == "HTML":
                err, visible = parse_html(raw)
                if self.reject_html and err is None:
                    err = "Can't parse entities: unsupported start tag \"b\" at byte offset 0"
                if err:
                    return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {err}"}
            if not visible.strip():
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
            if len(visible) > 4096:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}
            markup = f.get("reply_markup")
            if isinstance(markup, str):
                markup = json.loads(markup)
            buttons = (markup or {}).get("inline_keyboard", [])
            msg = self._message(chat_id, text=visible)
            with self.cond:
                self.sent.append(Sent("sendMessage", chat_id, visible, raw, mode, buttons, at=time.perf_counter(),
                                      message_id=msg["message_id"]))
                self.cond.notify_all()
            return ok(msg)
        if name == "sendPhoto":
            chat_id = int(f["chat_id"])
            photo = files.get("photo")
            if photo is None:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: there is no photo in the request"}
            with self.cond:
                self.sent.append(Sent("sendPhoto", chat_id, photo=photo, caption=f.get("caption"), at=time.perf_counter()))
                self.cond.notify_all()
            return ok(self._message(chat_id, photo=[{"file_id": "P1", "file_unique_id": "UP1", "width": 800, "height": 600}]))
        if name == "editMessageReplyMarkup":
            markup = f.get("reply_markup")
            if isinstance(markup, str):
                markup = json.loads(markup)
            with self.cond:
                self.edits.append((int(f["chat_id"]), int(f["message_id"]), (markup or {}).get("inline_keyboard", [])))
                self.cond.notify_all()
            return ok(True)
        if name == "answerCallbackQuery":
            with self.cond:
                self.callback_answers.append(str(f.get("callback_query_id")))
            return ok(True)
        if name == "getFile":
            fid = str(f.get("file_id"))
            if fid not in self.files:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
            path, data = self.files[fid]
            return ok({"file_id": fid, "file_unique_id": f"U{fid}", "file_size": len(data), "file_path": path})
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
