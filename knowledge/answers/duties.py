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
from core.text import split_sentences, squash_ws
from knowledge.answers.engine import AnswerContext, answerer
from knowledge.answers.question import Question
from knowledge.answers.types import Answer, Citation
from knowledge.search.retriever import agency_heading
from knowledge.store.agencies import load_registry
from knowledge.store.documents import PassageRecord

logger = logging.getLogger(__name__)

MAX_CHARS = 1500
ITEM_CHARS = 170
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


def item_line(p: PassageRecord) -> tuple[str, str]:
    """(shown line, quote): the item's marker and its first (task) sentence, cut to ITEM_CHARS."""
    text = squash_ws(p.text)
    m = _MARKER_RE.match(text)
    marker = m.group(0).strip() if m else ""
    body = text[m.end():] if m else text
    spans = split_sentences(body)
    first = body[spans[0].start:spans[0].end] if spans else body
    quote = first.strip()
    shown = quote if len(quote) <= ITEM_CHARS else quote[: ITEM_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return (f"{marker} {shown}".strip(), quote)


def compose_duties(q: Question, sections: list[Section], agency: str) -> Answer:
    total = sum(len(s.passages) for s in sections)
    docs = len({s.document for s in sections})
    head = f"{agency} có {total} nhiệm vụ trong {docs} văn bản:" if docs > 1 else f"{agency} có {total} nhiệm vụ theo {sections[0].document}:"
    lines = [head]
    cites: list[Citation] = []
    shown = 0
    for s in sections:
        if docs > 1:
            lines.append(f"{s.document} ({len(s.passages)} nhiệm vụ):")
        for p in s.passages:
            line, quote = item_line(p)
            cand = f"{line} [{len(cites) + 1}]"
            if len("\n".join(lines)) + len(cand) + 60 > MAX_CHARS:
                break
            lines.append(cand)
            cites.append(Citation(p.source, p.document, p.section, quote, p.province, p.id))
            shown += 1
    if shown < total:
        lines.append(f"… còn {total - shown} nhiệm vụ nữa; hãy hỏi cụ thể theo từng văn bản để xem tiếp.")
    return Answer(q.text, "\n".join(lines), False, cites, evidence=1.0)


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
