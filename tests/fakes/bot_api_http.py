"""Shared plumbing of the fake Telegram and Zalo Bot API servers: a real HTTP/1.1 server on 127.0.0.1
in a background thread, parsing query strings, form-encoded, JSON and multipart bodies."""

from __future__ import annotations

import json
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlparse


def parse_body(content_type: str, body: bytes, query: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(fields, files). Form values that are JSON (reply_markup) stay strings, as the real API gets them."""
    fields: dict[str, Any] = dict(parse_qsl(query))
    files: dict[str, bytes] = {}
    ctype = (content_type or "").lower()
    if "application/json" in ctype and body:
        data = json.loads(body)
        if isinstance(data, dict):
            fields.update(data)
    elif "application/x-www-form-urlencoded" in ctype:
        fields.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif "multipart/form-data" in ctype:
        msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                files[str(name)] = payload
            else:
                fields[str(name)] = payload.decode("utf-8")
    return fields, files


class FakeBotApi:
    """Subclasses implement ``method(name, fields, files) -> (status, json)`` and ``get_file(path)``."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.cond = threading.Condition()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._failures: list[tuple[str, int, dict[str, Any]]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ------------------------------------------------------------------ error injection
    def fail_next(self, method: str, status: int, body: dict[str, Any]) -> None:
        with self.cond:
            self._failures.append((method, status, body))

    def _take_failure(self, method: str, fields: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        for i, (m, status, body) in enumerate(self._failures):
            if m == method:
                del self._failures[i]
                return status, body
        return None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeBotApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, data: Any, ctype: str = "application/json") -> None:
                raw = data if isinstance(data, bytes) else json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = unquote(url.path).strip("/").split("/")
                if len(parts) >= 3 and parts[0] == "file":
                    if parts[1] != f"bot{api.token}":
                        self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                        return
                    data = api.get_file("/".join(parts[2:]))
                    if data is None:
                        self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                    else:
                        self._reply(200, data, "application/octet-stream")
                    return
                if len(parts) != 2 or parts[0] != f"bot{api.token}":
                    self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                    return
                method = parts[1]
                fields, files = parse_body(self.headers.get("Content-Type", ""), body, url.query)
                with api.cond:
                    api.calls.append((method, fields))
                    failure = api._take_failure(method, fields)
                if failure is not None:
                    self._reply(*failure)
                    return
                status, data = api.method(method, fields, files)
                self._reply(status, data)

            do_GET = _handle
            do_POST = _handle

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # socketserver's 5 drops connections when 50 users are answered at once

            def handle_error(self, request: Any, client_address: Any) -> None:
                import sys

                if not isinstance(sys.exc_info()[1], ConnectionError):  # clients hanging up a long poll
                    super().handle_error(request, client_address)

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self.cond:
            self.cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # ------------------------------------------------------------------ to override
    def method(self, name: str, fields: dict[str, Any], files: dict[str, bytes]) -> tuple[int, Any]:
        raise NotImplementedError

    def get_file(self, path: str) -> bytes | None:
        return None

    # ------------------------------------------------------------------ helpers
    def wait_until(self, predicate: Any, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.2))
        return True

    def methods_called(self) -> list[str]:
        with self.cond:
            return [m for m, _ in self.calls]
