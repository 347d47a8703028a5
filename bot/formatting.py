"""Reply formatting shared by every channel: answers with citations, message splitting."""

from __future__ import annotations

import html

from knowledge.answers.types import Answer


def format_answer(answer: Answer, *, max_quote: int = 300) -> str:
    """Plain text: the answer, then numbered sources (document, section, exact quote)."""
    if answer.refused or not answer.citations:
        return answer.text
    lines = [answer.text, "", "Nguồn:"]
    for n, c in enumerate(answer.citations, 1):
        quote = c.quote if len(c.quote) <= max_quote else c.quote[: max_quote - 1].rstrip() + "…"
        where = c.document + (f" (tỉnh {c.province})" if c.province else "")
        lines.append(f"[{n}] {where}\n    Mục: {c.section}\n    Trích: “{quote}”")
    return "\n".join(lines)


def split_message(text: str, limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters, at paragraph boundaries, else at
    line boundaries, else at spaces; a line is never broken unless it alone exceeds the limit."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for block in _units(text, limit):
        sep = "\n" if current else ""
        if len(current) + len(sep) + len(block) <= limit:
            current = current + sep + block
        else:
            if current:
                pieces.append(current)
            current = block
    if current:
        pieces.append(current)
    return [p for p in (p.strip("\n") for p in pieces) if p]


def _units(text: str, limit: int) -> list[str]:
    units: list[str] = []
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            units.append(line[:cut])
            line = line[cut:].lstrip()
        units.append(line)
    return units


def to_telegram_html(text: str) -> str:
    """Plain reply text -> Telegram HTML: escaped, with the 'Nguồn:' heading in bold.

    Applied per piece after :func:`split_message`, so markup never straddles two messages.
    """
    out = []
    for line in html.escape(text, quote=False).split("\n"):  # Telegram HTML: only & < > are special
        out.append(f"<b>{line}</b>" if line in ("Nguồn:", "Nhiệm vụ:") else line)
    return "\n".join(out)


def numbered_choices(labels: list[str]) -> str:
    """Numbered choices for channels without buttons (Zalo): the user answers with the number."""
    lines = [f"{n}. {label}" for n, label in enumerate(labels, 1)]
    return "Trả lời bằng số để chọn:\n" + "\n".join(lines)
