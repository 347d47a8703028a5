"""The terminal chat (``cchc chat``): type questions, read cited answers."""

from __future__ import annotations

import logging
import sys
from typing import Any

from bot.formatting import format_answer
from cchc.errors import CchcError

logger = logging.getLogger(__name__)

WELCOME = (
    "Trợ lý CCHC — trò chuyện trong terminal.\n"
    "Gõ câu hỏi (có dấu hoặc không dấu), ví dụ: 'Sở Nội vụ phải làm gì?'. Gõ /thoat để thoát."
)


def run_terminal_chat(knowledge: Any, *, stdin: Any = None, stdout: Any = None) -> None:
    inp = stdin or sys.stdin
    out = stdout or sys.stdout
    out.write(WELCOME + "\n")
    while True:
        out.write("\nBạn> ")
        out.flush()
        line = inp.readline()
        if not line:
            out.write("\n")
            return
        text = line.strip()
        if text in ("/thoat", "/quit", "/exit"):
            out.write("Tạm biệt.\n")
            return
        if not text:
            continue
        try:
            reply = format_answer(knowledge.ask(text))
        except CchcError as exc:
            reply = exc.user_message
        out.write("Trợ lý> " + reply + "\n")
