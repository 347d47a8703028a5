"""A fake OpenAI-compatible chat server: real HTTP/1.1 on 127.0.0.1, ``POST /v1/chat/completions``
and ``GET /v1/models``, as llama.cpp's ``llama-server``, Ollama and vLLM expose them.

Each test scripts the replies: a queue of :class:`Reply` (answer as JSON, as plain text, as a tool
call, a delay, an HTTP status, a raw body), or a ``responder`` function that sees the request and
decides, like a model would. Every request body is recorded in ``requests``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: str | None = None  # the assistant message's text
    tool_args: str | None = None  # arguments of one tool call (when the request offered tools)
    status: int = 200
    delay: float = 0.0  # seconds before answering
    raw: bytes | None = None  # a body sent as is (malformed JSON)


def sentences_json(*items: tuple[str, list[int]]) -> str:
    """The structured answer ``{"sentences": [{"text", "cites"}]}`` as a model writes it."""
    return json.dumps({"sentences": [{"text": t, "cites": c} for t, c in items]}, ensure_ascii=False)


class FakeOpenAI:
    def __init__(self, api_key: str = "sk-test", model: str = "fake-vi-7b", accepts_schema: bool = True) -> None:
        self.api_key = api_key
        self.model = model
        self.accepts_schema = accepts_schema  # False: answer 400 to response_format, as older servers do
        self.requests: list[dict[str, Any]] = []
        self.replies: list[Reply] = []
        self.responder: Callable[[dict[str, Any]], Reply] | None = None
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply) -> FakeOpenAI:
        with self.lock:
            self.replies.extend(replies)
        return self

    # ------------------------------------------------------------------ the model
    def answer(self, request: dict[str, Any]) -> Reply:
        with self.lock:
            if self.replies:
                return self.replies.pop(0)
        if self.responder is not None:
            return self.responder(request)
        return Reply(status=500, raw=b'{"error": {"message": "no scripted reply"}}')

    def completion(self, request: dict[str, Any], reply: Reply) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        finish = "stop"
        if reply.tool_args is not None:
            name = request.get("tools", [{}])[0].get("function", {}).get("name", "answer")
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": reply.tool_args}}],
            }
            finish = "tool_calls"
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model", self.model),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }

    # ------------------------------------------------------------------ HTTP
    def start(self) -> FakeOpenAI:
        handler = type("BoundHandler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out and hang up


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeOpenAI

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {self.fake.api_key}":
            return True
        self._send(401, b'{"error": {"message": "invalid api key", "type": "invalid_request_error"}}')
        return False

    def do_GET(self) -> None:
        if not self._authorised():
            return
        if self.path.rstrip("/") == "/v1/models":
            body = {"object": "list", "data": [{"id": self.fake.model, "object": "model", "owned_by": "local"}]}
            self._send(200, json.dumps(body).encode())
        else:
            self._send(404, b'{"error": {"message": "not found"}}')

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if not self._authorised():
            return
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, b'{"error": {"message": "not found"}}')
            return
        fake = self.fake
        request = json.loads(body or b"{}")
        with fake.lock:
            fake.requests.append(request)
        if "response_format" in request and not fake.accepts_schema:
            self._send(400, b'{"error": {"message": "response_format is not supported", "type": "invalid_request_error"}}')
            return
        reply = fake.answer(request)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.raw is not None:
            self._send(reply.status, reply.raw)
        elif reply.status != 200:
            self._send(reply.status, json.dumps({"error": {"message": "server error"}}).encode())
        else:
            self._send(200, json.dumps(fake.completion(request, reply), ensure_ascii=False).encode())
