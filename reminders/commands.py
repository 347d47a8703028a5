"""One parser for task commands, typed or tapped: ``/xong 12``, ``xong 12``, ``hoan 12 1 ngay``.

Telegram commands, Zalo text commands and the terminal chat all go through :func:`parse`, so a
user types the same words everywhere. Accents, case and extra spaces do not matter.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

logger = logging.getLogger(__name__)

VERBS = {
    "xong": "done", "done": "done", "hoanthanh": "done",
    "hoan": "snooze", "snooze": "snooze", "gianhan": "snooze",
    "hoantac": "undo", "undo": "undo",
    "xem": "quote", "vanban": "quote", "xemvanban": "quote",
}
USAGE = {
    "done": "Cú pháp: xong MÃ (ví dụ: xong 12). Mã nhiệm vụ có trong danh sách /nhiemvu.",
    "snooze": "Cú pháp: hoan MÃ 1 ngay hoặc hoan MÃ 1 tuan (ví dụ: hoan 12 1 ngay).",
    "undo": "Cú pháp: hoantac MÃ (trong vòng 10 phút sau khi thay đổi).",
    "quote": "Cú pháp: xem MÃ để xem đoạn văn bản giao nhiệm vụ.",
}
_CODE = r"#?([0-9A-Za-z][0-9A-Za-z._/-]{0,39})"
_SNOOZE = re.compile(rf"^{_CODE}(?:\s+(1)?\s*(ngay|tuan|n|t))?$")
_MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class TaskCommand:
    """A parsed task command. ``code`` is lower-case (codes match case-insensitively); ``days`` is set
    for snooze (1 or 7); ``error`` holds a usage message."""

    action: str
    code: str | None = None
    days: int | None = None
    error: str | None = None


def _fold(text: str) -> str:
    t = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    t = "".join(c for c in t if unicodedata.category(c) != "Mn")
    return " ".join(t.lower().split())


def parse(text: str) -> TaskCommand | None:
    """The task command in ``text``, or None if it is not one (then it is a question).

    A command is a verb alone (usage help) or a verb and a task code; codes carry a digit (the
    schedule's ``HY-2026-001``, a document task's number), so a question that merely starts with a
    verb ("xem báo cáo quý 3") stays a question."""
    if not text or len(text) > _MAX_TEXT:
        return None
    folded = _fold(text.lstrip("/"))
    words = folded.split()
    if not words:
        return None
    words[0] = words[0].split("@", 1)[0]
    for n in (3, 2, 1):  # the longest verb first: "xem van ban", "hoan tac", "xong"
        verb = "".join(words[:n])
        if len(words) >= n and verb in VERBS:
            action, rest = VERBS[verb], " ".join(words[n:])
            break
    else:
        return None
    rest = rest.strip()
    if not rest:
        return TaskCommand(action, error=USAGE[action])
    if not any(ch in "0123456789" for ch in rest.split()[0]):
        return None  # "xem báo cáo quý 3", "xong việc chưa": a question, not a task code
    if action == "snooze":
        m = _SNOOZE.match(rest)
        if not m:
            return TaskCommand(action, error=USAGE[action])
        unit = m.group(3) or "ngay"
        return TaskCommand(action, m.group(1), 7 if unit.startswith("t") else 1)
    m = re.fullmatch(_CODE, rest)
    if not m:
        return TaskCommand(action, error=USAGE[action])
    return TaskCommand(action, m.group(1))
