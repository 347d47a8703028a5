"""Task questions answered from the task schedule: what is due by a date or in a month, an agency's
pending tasks, the deadline of a named task; and an agency's responsibilities with exact quotes."""

from __future__ import annotations

import calendar
import logging
import re
import time
from datetime import date, timedelta

from core.agencies import fold_aligned
from core.text import nfc, squash_ws
from core.vocabulary import DONE
from knowledge.answers.engine import AnswerContext, answerer
from knowledge.answers.policy import OTHER_PROVINCE
from knowledge.answers.question import Question
from knowledge.answers.types import Answer, Citation
from knowledge.store.agencies import load_registry
from knowledge.store.db import Database
from knowledge.tasks.query import list_tasks, tasks_due_between, tasks_for_agency
from knowledge.tasks.views import TaskView

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

# ---- the schedule answerer


MAX_CHARS = 1500
_STOP = frozenset([
    "la", "ngay", "nao", "khi", "nao", "han", "hoan", "thanh", "cua", "cac", "nhung", "viec", "nhiem", "vu",
    "gi", "co", "trong", "thi", "bao", "gio", "phai",
])


def _claim(q: Question) -> float:
    if q.asked == "tasks":
        return 0.85
    if q.asked == "deadline" and q.document is None:
        return 0.5  # a named task's deadline; documents answer when no task matches
    return 0.0


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", fold_aligned(text)) if w not in _STOP and not w.isdigit()}


def _line(n: int, t: TaskView) -> str:
    due = f"hạn {t.due:%d/%m/%Y}" if t.due else (t.recurrence or "không ghi hạn")
    who = t.agency or ", ".join(t.leads) or "chưa rõ cơ quan"
    return f"{n}. {t.title} — {who}; {due}; {t.status}. [{n}]"


def _cite(t: TaskView) -> Citation:
    quote = (t.quote or t.title).strip()
    return Citation(t.source or "lịch công tác", t.document or "Lịch công tác", t.section or t.code, quote, t.province, None)


def _window(q: Question, today: date) -> tuple[date, date, str] | None:
    if q.dates and q.date_relation == "in":
        d = q.dates[-1]
        end = date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])
        return d, end, f"trong tháng {d.month}/{d.year}"
    if q.dates and q.date_relation == "before":
        return today, q.dates[-1], f"từ nay đến {q.dates[-1]:%d/%m/%Y}"
    if q.dates and q.date_relation == "after":
        return q.dates[-1], date.max, f"sau {q.dates[-1]:%d/%m/%Y}"
    return None


def _listing(q: Question, items: list[TaskView], head: str) -> Answer:
    lines = [head]
    cites: list[Citation] = []
    for t in items:
        line = _line(len(cites) + 1, t)
        if len("\n".join(lines)) + len(line) + 60 > MAX_CHARS:
            break
        lines.append(line)
        cites.append(_cite(t))
    if len(cites) < len(items):
        lines.append(f"… còn {len(items) - len(cites)} nhiệm vụ nữa (xem bằng lệnh /nhiemvu).")
    return Answer(q.text, "\n".join(lines), False, cites, coverage=1.0)


def answer_tasks(ctx: AnswerContext, q: Question, today: date | None = None) -> Answer | None:
    today = today or date.today()
    agency = q.agencies[0] if q.agencies else None
    overdue = bool(re.search(r"\bqua han\b", q.folded))
    window = _window(q, today)
    if window is not None:
        items = tasks_due_between(ctx.db, window[0], window[1], agency=agency, today=today)
        what = window[2]
    else:
        items = list_tasks(ctx.db, agency=agency, today=today) if agency else tasks_due_between(
            ctx.db, today, today + timedelta(days=45), today=today)
        what = "quá hạn" if overdue else ("chưa hoàn thành" if agency else "đến hạn trong 45 ngày tới")
    items = [t for t in items if t.status != DONE]
    if re.search(r"\blich cong tac\b", q.folded):
        items = [t for t in items if t.origin == "sheet"]  # the schedule, not tasks read from documents
    if overdue:
        items = [t for t in items if t.due and t.due < today]
    # what is due next first, then what is already late, then what has no date
    # the body's own tasks before its groups' ("Các sở, ban, ngành"); what is due next first, then
    # what is already late, then what has no date
    items.sort(key=lambda t: (bool(agency) and agency not in t.leads and t.agency != agency, t.due is None,
                              bool(t.due and t.due < today and not overdue), t.due or date.max, t.id))
    if not items:
        who = f" của {agency}" if agency else ""
        return Answer(q.text, f"Lịch công tác không có nhiệm vụ{who} {what}.", True, [], reason="tasks")
    who = f"{agency} có" if agency else "Có"
    return _listing(q, items, f"{who} {len(items)} nhiệm vụ {what}:")


def answer_deadline(ctx: AnswerContext, q: Question, today: date | None = None) -> Answer | None:
    """The deadline of the schedule task the question names (most of its words), else None."""
    want = _words(q.text)
    best: tuple[float, TaskView] | None = None
    for t in list_tasks(ctx.db, today=today or date.today()):
        tw = _words(t.title)
        if not tw or not t.due:
            continue
        cover = len(tw & want) / len(tw)
        if cover >= 0.7 and (best is None or cover > best[0]):
            best = (cover, t)
    if best is None:
        return None
    t = best[1]
    who = t.agency or ", ".join(t.leads)
    text = f"Hạn hoàn thành: {t.due:%d/%m/%Y} — “{t.title}” ({who}; {t.status}). [1]"
    return Answer(q.text, text, False, [_cite(t)], coverage=1.0)


@answerer("task_schedule", claim=_claim)
def _answer_from_schedule(ctx: AnswerContext, q: Question) -> Answer | None:
    if q.asked == "deadline":
        return answer_deadline(ctx, q)
    return answer_tasks(ctx, q)
