"""Responsibility questions ("Sở Nội vụ phải làm gì?") answered from the task schedule, with exact quotes."""

from __future__ import annotations

import logging
import re
import time
from datetime import date

from core.agencies import fold_aligned
from core.text import nfc, squash_ws
from knowledge.answers.engine import AnswerContext, answerer
from knowledge.answers.policy import OTHER_PROVINCE
from knowledge.answers.types import Answer, Citation
from knowledge.store.agencies import load_registry
from knowledge.store.db import Database
from knowledge.tasks.query import tasks_for_agency

logger = logging.getLogger(__name__)


# Matched on the diacritic-free form, so "so noi vu phai lam gi" works too.
_Q_PATTERNS = [
    re.compile(r"^(?P<a>.+?)\s+(?:phai|can|co)\s+(?:lam|thuc hien)\s+(?:nhung\s+)?(?:viec\s+)?gi$"),
    re.compile(r"^(?P<a>.+?)\s+(?:co|duoc giao)\s+(?:nhung\s+)?(?:nhiem vu|trach nhiem)\s+gi$"),
    re.compile(r"^(?:cac\s+|nhung\s+)?(?:nhiem vu|trach nhiem|viec)\s+(?:duoc giao\s+)?(?:cua|cho)\s+(?P<a>.+?)(?:\s+la\s+gi)?$"),
    re.compile(r"^/nhiemvu\s+(?P<a>.+)$"),
]


def parse_responsibility_question(question: str) -> str | None:
    """The agency named by a bare responsibility question ("Sở Nội vụ phải làm gì?"), else None."""
    q = squash_ws(nfc(question)).rstrip(" ?.!").strip()
    low = fold_aligned(q)
    for rx in _Q_PATTERNS:
        m = rx.match(low)
        if m:
            a, b = m.span("a")
            return q[a:b].strip(" ,")
    return None


def answer_responsibility_question(db: Database, question: str, *, today: date | None = None,
                                   max_items: int = 8) -> Answer | None:
    """An Answer listing an agency's tasks with exact quotes, or None if the question is not of the
    form "<cơ quan> phải làm gì?" / "nhiệm vụ của <cơ quan>" or names no registered agency."""
    t0 = time.perf_counter()
    name = parse_responsibility_question(question)
    if not name:
        return None
    reg = load_registry(db)
    agency = reg.resolve(name)
    if agency is None:
        return None
    res = tasks_for_agency(db, agency.name, today=today)
    items = [t for t in res.tasks if t.quote and t.origin == "document"]
    if not items:
        return None
    home = [t for t in items if not t.province or t.province == reg.province]
    items = home or items  # never mix provinces in one answer
    lines: list[str] = []
    other = items[0].province if items[0].province and reg.province and items[0].province != reg.province else None
    if other:
        lines.append(OTHER_PROVINCE.format(province=other, home=reg.province))
    lines.append(f"Nhiệm vụ được giao cho {agency.name}:")
    cites: list[Citation] = []
    for i, t in enumerate(items[:max_items], 1):
        role = res.roles.get(t.id, "lead")
        if role == "lead":
            who = "chủ trì" if len(t.leads) <= 1 else f"giao cho {', '.join(t.leads)}"
        elif role in ("support", "group-support"):
            who = f"phối hợp với {t.agency}"
        else:
            who = f"giao chung cho {', '.join(t.leads)}"
        when = f"hạn {t.due:%d/%m/%Y} (“{t.due_text}”)" if t.due else (t.recurrence or "không ghi hạn")
        lines.append(f"{i}. {(t.quote or '').strip()} — {who}; {when}; trạng thái: {t.status}. [{i}]")
        cites.append(Citation(t.source or "", t.document or "", t.section or "", t.quote or "", t.province, None))
    if len(items) > max_items:
        lines.append(f"... và {len(items) - max_items} nhiệm vụ khác (/nhiemvu {agency.name}).")
    if res.successor_note:
        lines.append(f"Lưu ý: {res.successor_note}")
    return Answer(squash_ws(question), "\n".join(lines), False, cites, (time.perf_counter() - t0) * 1000)


@answerer("responsibilities", order=20)
def _answer_from_tasks(ctx: AnswerContext, question: str) -> Answer | None:
    return answer_responsibility_question(ctx.db, question)
