"""Signed button data for task actions, inside Telegram's 64-byte ``callback_data`` limit.

A button carries ``<action>.<task id>.<version>.<signature>``: the action letter, the task id and
the task's version (its latest history entry id when the message was drawn), all base 36, and the
first 16 characters of an HMAC-SHA256 (url-safe base64, 96 bits) over them with the server secret
(:func:`core.keys.load_or_create_secret`). A forged button fails the signature; a replayed one
carries an old version, so the action refuses it and nothing changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)

MAX_BYTES = 64
SIG_CHARS = 16
ACTIONS = {
    "d": "done",
    "s": "snooze_day",
    "w": "snooze_week",
    "u": "undo",
    "q": "quote",
    "p": "page",
}
_LETTER = {v: k for k, v in ACTIONS.items()}


@dataclass(frozen=True, slots=True)
class ButtonData:
    """What a verified button asks: an action on a task (``page``: ``task_id`` is the offset, ``version`` the list)."""

    action: str
    task_id: int
    version: int


def _b36(n: int) -> str:
    if n < 0:
        raise ValueError("negative")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _sig(secret: bytes, body: str) -> str:
    mac = hmac.new(secret, b"cchc-button:" + body.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii")[:SIG_CHARS]


def sign(secret: bytes, action: str, task_id: int, version: int = 0) -> str:
    """The callback data of a button; always ASCII and at most 64 bytes."""
    body = f"{_LETTER[action]}.{_b36(task_id)}.{_b36(version)}"
    data = f"{body}.{_sig(secret, body)}"
    if len(data.encode("ascii")) > MAX_BYTES:  # ids beyond 10^30: not a real schedule
        raise ValueError("callback data too long")
    return data


def verify(secret: bytes, data: str) -> ButtonData | None:
    """The button's request if the signature holds, else None (forged, truncated or from another server)."""
    parts = data.split(".")
    if len(parts) != 4 or parts[0] not in ACTIONS or len(data) > MAX_BYTES:
        return None
    body = ".".join(parts[:3])
    if not hmac.compare_digest(_sig(secret, body), parts[3]):
        logger.warning("rejected a button with a bad signature")
        return None
    try:
        return ButtonData(ACTIONS[parts[0]], int(parts[1], 36), int(parts[2], 36))
    except ValueError:
        return None
