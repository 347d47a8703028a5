"""Duties of an agency as complete lists: every item of the sections headed by that agency.

"Sở Nội vụ phải làm gì (trong kế hoạch X)?" lists each item of the agency's sections in the
matching documents, grouped by document (newest first) with a count, one line per item (its marker,
cut to the task sentence) and a citation each. A question that names a year, period, kind of
document or province narrows the documents; the home province's documents come first.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from core.agencies import Registry, fold_aligned
from core.text import squash_ws
from knowledge.answers.engine import AnswerContext, answerer
from knowledge.answers.question import Question
from knowledge.answers.types import Answer, Citation
from knowledge.search.retriever import agency_heading
from knowledge.store.agencies import load_registry
from knowledge.store.documents import PassageRecord

logger = logging.getLogger(__name__)

MAX_CHARS = 1500
ITEM_CHARS = 150
_MARKER_RE = re.compile(r"^\s*(?:[a-zđ]\)|\d+(?:\.\d+)*\.|[-+•])\s*")


@dataclass(frozen=True)
class Section:
    document: str
    source: str
    doc_date: str
    province: str | None
    heading: str
    passages: tuple[PassageRecord, ...]


def _claim(q: Question) -> float:
    return 0.8 if q.asked == "duties" and q.agency_ids else 0.0


def _same_body(reg: Registry, heading: str, wanted: set[int]) -> bool:
    a = reg.resolve(heading)
    return a is not None and a.id in wanted


def _wanted(reg: Registry, q: Question) -> set[int]:
    """The agency asked about, its predecessors and successor (duties move with the body)."""
    first = q.agency_ids[0]
    out = {first}
    out |= {p.id for p in reg.predecessors(first)}
    succ = reg.successor(first)
    if succ is not None:
        out.add(succ.id)
    return out


def _doc_matches(q: Question, p: PassageRecord, home: str) -> bool:
    title = fold_aligned(p.document + " " + p.source.replace("-", " "))
    if q.province and p.province and q.province != p.province:
        return False
    if q.province is None and home and p.province and p.province != home:
        return False
    if q.years and not any(str(y) in title or str(y) in (p.doc_date or "") for y in q.years):
        return False
    return not (q.period and "thang cuoi" in q.period and "thang cuoi" not in title)


def sections_of(passages: list[PassageRecord], reg: Registry, q: Question, home: str) -> list[Section]:
    wanted = _wanted(reg, q)
    groups: dict[tuple[int, str], list[PassageRecord]] = {}
    for p in passages:
        head = agency_heading(p.section)
        if head and _same_body(reg, head, wanted) and _doc_matches(q, p, home):
            key = (p.document_id, head)
            groups.setdefault(key, []).append(p)
    out = []
    for items in groups.values():
        p0 = items[0]
        head = agency_heading(p0.section) or ""
        out.append(Section(p0.document, p0.source, p0.doc_date or "", p0.province, head,
                           tuple(sorted(items, key=lambda x: x.start))))
    return sorted(out, key=lambda s: s.doc_date, reverse=True)


_SENTENCE_END = re.compile(r"[.;](?=\s|$)")
_UNITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def count_words(n: int) -> str:
    """A count in words ("bảy", "mười hai", "bốn mươi sáu"): our own tally, not a document's number."""
    if n < 10:
        return _UNITS[n]
    tens, unit = divmod(n, 10)
    head = "mười" if tens == 1 else f"{_UNITS[tens]} mươi"
    if unit == 0:
        return head
    tail = {1: "mốt" if tens > 1 else "một", 5: "lăm", 4: "tư" if tens > 1 else "bốn"}.get(unit, _UNITS[unit])
    return f"{head} {tail}" if n < 100 else str(n)


def item_line(p: PassageRecord) -> tuple[str, str]:
    """(shown line, quote): the item's marker and its first (task) sentence. The quote is an exact
    slice of the passage; a long sentence is shown with its middle elided (its head and its object)."""
    raw = p.text
    m = _MARKER_RE.match(raw)
    marker = m.group(0).strip() if m else ""
    start = m.end() if m else 0
    end_m = _SENTENCE_END.search(raw, start)
    quote = raw[start:end_m.end()] if end_m else raw[start:]
    shown = squash_ws(quote)
    if len(shown) > ITEM_CHARS:
        head = shown[: ITEM_CHARS // 2].rsplit(" ", 1)[0]
        tail = shown[-(ITEM_CHARS // 2):].split(" ", 1)[-1]
        shown = f"{head} … {tail}"
    return (f"{marker} {shown}".strip(), quote)


def compose_duties(q: Question, sections: list[Section], agency: str) -> Answer:
    total = sum(len(s.passages) for s in sections)
    docs = len({s.document for s in sections})
    n_items = count_words(total)
    head = (f"{agency} có {n_items} nhiệm vụ trong {count_words(docs)} văn bản:" if docs > 1
            else f"{agency} có {n_items} nhiệm vụ theo {sections[0].document}:")
    lines = [head]
    cites: list[Citation] = []
    shown = 0
    for s in sections:
        if docs > 1:
            lines.append(f"{s.document} ({count_words(len(s.passages))} nhiệm vụ):")
        for p in s.passages:
            line, quote = item_line(p)
            cand = f"{line} [{len(cites) + 1}]"
            if len("\n".join(lines)) + len(cand) + 60 > MAX_CHARS:
                break
            lines.append(cand)
            cites.append(Citation(p.source, p.document, p.section, quote, p.province, p.id))
            shown += 1
    if shown < total:
        lines.append(f"… còn {count_words(total - shown)} nhiệm vụ nữa; hãy hỏi cụ thể theo từng văn bản để xem tiếp.")
    return Answer(q.text, "\n".join(lines), False, cites, coverage=1.0)


@answerer("duties", claim=_claim)
def answer_duties(ctx: AnswerContext, q: Question) -> Answer | None:
    reg = load_registry(ctx.db)
    retriever = ctx.retriever()
    home = ctx.home_province
    sections = sections_of(retriever.passages, reg, q, home)
    if not sections and q.province is None:
        # Home province first; another province's document answers only when home has nothing.
        sections = [s for s in sections_of(retriever.passages, reg, q, "") if s.province != home]
    if not sections:
        return None  # no section headed by this body: the passage answerer looks for sentences naming it
    agency = reg.get(q.agency_ids[0]).name
    answer = compose_duties(q, sections, agency)
    prov = sections[0].province
    if prov and prov != home:
        answer.text = f"Theo tài liệu của tỉnh {prov} (không phải tỉnh {home}):\n" + answer.text
    return answer
