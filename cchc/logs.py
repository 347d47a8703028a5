"""Logging set-up. Called only from ``main()``; modules just use ``logging.getLogger(__name__)``."""

from __future__ import annotations

import logging
import re
from pathlib import Path

_TOKEN_RE = re.compile(r"(bot)?\d{6,}:[A-Za-z0-9_-]{20,}|(?<=/bot)[^/\s]{10,}")


class RedactTokens(logging.Filter):
    """Last line of defence: masks anything shaped like a bot token in a log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if _TOKEN_RE.search(msg):
            record.msg = _TOKEN_RE.sub("<redacted>", msg)
            record.args = ()
        return True


def configure(level: str = "INFO", log_file: Path | None = None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.handlers.clear()
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(RedactTokens())
        root.addHandler(h)
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    for noisy in ("httpx", "httpcore", "telegram.ext.Updater", "apscheduler", "chromadb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
