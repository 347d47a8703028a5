"""Logging: tokens are masked everywhere (tracebacks included); the terminal gets no tracebacks
when a log file keeps them."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from core import logs

TOKEN = "123456789:AAH" + "x" * 32


@pytest.fixture
def configured(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    log_file = tmp_path / "cchc.log"
    logs.configure("INFO", log_file)
    console = io.StringIO()
    next(h for h in root.handlers if type(h) is logging.StreamHandler).setStream(console)
    yield log_file, console
    for h in root.handlers:
        h.close()
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_token_in_an_exception_is_masked_in_file_and_terminal(configured: tuple[Path, io.StringIO]) -> None:
    log_file, console = configured
    log = logging.getLogger("cchc.test")
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        log.exception("telegram start failed")
    log.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    for h in logging.getLogger().handlers:
        h.flush()
    text = log_file.read_text(encoding="utf-8")
    err = console.getvalue()
    assert "telegram start failed" in text and "Traceback" in text  # the file keeps the traceback
    assert TOKEN not in text and TOKEN[-20:] not in text
    assert "<redacted>" in text
    assert "telegram start failed" in err and "RuntimeError" in err
    assert "Traceback" not in err  # one line on the terminal
    assert TOKEN not in err and TOKEN[-20:] not in err
