"""Logging set-up. Called only from ``main()``; modules just use ``logging.getLogger(__name__)``."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from core.private import private_dir, private_file

_TOKEN_RE = re.compile(r"(bot)?\d{6,}:[A-Za-z0-9_-]{20,}|(?<=/bot)[^/\s]{10,}")


def redact(text: str) -> str:
    return _TOKEN_RE.sub("<redacted>", text)


class RedactingFormatter(logging.Formatter):
    """Masks anything shaped like a bot token in the whole formatted record, traceback included
    (libraries put the token in exception messages, e.g. telegram.error.InvalidToken)."""

    def __init__(self, fmt: str, *, tracebacks: bool = True) -> None:
        super().__init__(fmt)
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if not self.tracebacks and record.exc_info:
            # The terminal gets one line per problem; the full traceback goes to the log file.
            record = logging.makeLogRecord(record.__dict__)
            exc = record.exc_info[1] if record.exc_info else None
            record.msg = f"{record.getMessage()} ({type(exc).__name__}; chi tiết trong tệp nhật ký)"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return redact(super().format(record))


def configure(level: str = "INFO", log_file: Path | None = None) -> None:
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    console = logging.StreamHandler()
    console.setFormatter(RedactingFormatter(fmt, tracebacks=log_file is None))
    handlers: list[logging.Handler] = [console]
    if log_file is not None:
        private_dir(log_file.parent)
        private_file(log_file)  # 0600 before the handler opens it: logs name users and agencies
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(RedactingFormatter(fmt))
        handlers.append(file_handler)
    root = logging.getLogger()
    root.handlers.clear()
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    for noisy in ("httpx", "httpcore", "telegram.ext.Updater", "apscheduler", "chromadb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
