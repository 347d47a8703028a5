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
from knowledge.answers.question import Question, expand_shorthand
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


_HEAD_MARK = re.compile(r"^\s*(?:[IVX]+|\d+(?:\.\d+)*|[a-zđ])[.)]\s+")


def heading_agency(section: str, reg: Registry) -> tuple[int, str] | None:
    """The body a section is headed by ("3. Sở Nội vụ", "2. Các sở, ban, ngành; ..."): the nearest
    heading of the path that starts with a registered name."""
    for part in reversed(section.split(" > ")):
        m = _HEAD_MARK.match(part)
        if m is None:
            continue
        head = part[m.end():]
        if not head or len(head) > 200:
            continue
        short = agency_heading(part)
        if short:
            a = reg.resolve(short)
            if a is not None:
                return a.id, short
        ms = reg.mentions(head)
        if ms and ms[0].start <= 1:
            return ms[0].agency_id, head.split(";")[0].rstrip(":")
    return None


def _wanted(reg: Registry, q: Question, home: bool) -> set[int]:
    """The agency asked about and, in the home province's documents, its predecessors and successor
    (duties move with the body; the registry's reorganisation is the home province's)."""
    first = q.agency_ids[0]
    if not home:
        return {first}
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
    groups: dict[tuple[int, str], list[PassageRecord]] = {}
    for p in passages:
        if not _doc_matches(q, p, home):
            continue
        found = heading_agency(p.section, reg)
        if found and found[0] in _wanted(reg, q, bool(home) and p.province in (None, home)):
            groups.setdefault((p.document_id, found[1]), []).append(p)
    out = []
    for items in groups.values():
        p0 = items[0]
        head = next(k[1] for k, v in groups.items() if v is items)
        out.append(Section(p0.document, p0.source, p0.doc_date or "", p0.province, head,
                           tuple(sorted(items, key=lambda x: x.start))))
    return sorted(out, key=lambda s: s.doc_date, reverse=True)


_SENTENCE_END = re.compile(r"[.](?=\s|$)")
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


_PURPOSE = re.compile(r"\bde (?:nang cao|khac phuc|cai thien|thuc hien)\b.*$")
_TOPIC_STOP = frozenset([
    "so", "ban", "nganh", "phai", "lam", "gi", "can", "co", "nhiem", "vu", "trach", "nhiem", "duoc", "giao",
    "theo", "trong", "ve", "cua", "cac", "nhung", "noi", "dung", "tinh", "thuc", "hien", "viec", "gi", "nao",
    "va", "de", "chiu",
])


def purpose_documents(q: Question, sections: list[Section], anywhere: list[Section],
                      passages: list[PassageRecord]) -> list[Section]:
    """"... để khắc phục hạn chế về chỉ số CCHC": when another document is about that purpose (its title
    says so) and has a section for the body, its sections answer instead (even another province's)."""
    m = _PURPOSE.search(q.folded)
    if m is None:
        return sections
    want = {w for w in re.findall(r"[a-z]+", expand_shorthand(m.group(0))) if w not in _TOPIC_STOP}
    if len(want) < 3:
        return sections
    titles: dict[str, set[str]] = {}
    for p in passages:
        if p.document not in titles:
            head = fold_aligned(p.context.split(" / ")[0] + " " + p.document)
            titles[p.document] = set(re.findall(r"[a-z]+", expand_shorthand(head)))

    def cover(doc: str) -> float:
        return len(want & titles.get(doc, set())) / len(want)

    best = max(anywhere, key=lambda s: cover(s.document), default=None)
    current = max((cover(s.document) for s in sections), default=0.0)
    if best is None or cover(best.document) < 0.6 or cover(best.document) < current + 0.2:
        return sections
    return [s for s in anywhere if s.document == best.document]


def topic_words(q: Question, reg: Registry) -> set[str]:
    """What the question asks the duties about, beyond the body and the document ("về kiểm soát TTHC")."""
    f = _PURPOSE.sub("", q.folded)
    for m in reg.mentions(f):
        f = f[: m.start] + " " * (m.end - m.start) + f[m.end:]
    f = re.sub(r"\b(ke hoach|ket luan|cong van|de an|thong bao|bao cao)\b.*?(?=$|\?)", " ", f)
    if q.period:
        f = f.replace(q.period, " ")
    words = {w for w in re.findall(r"[a-z]+", f) if w not in _TOPIC_STOP and len(w) > 1}
    named = " ".join([*q.agencies, q.province or "", *q.indices, "par index sipas papi"])
    return words - set(re.findall(r"[a-z]+", fold_aligned(named)))


def narrow(sections: list[Section], topic: set[str]) -> list[Section] | None:
    """Only the items about the topic: those under a subsection heading that names it, else those whose
    text does; None when none is."""
    if not topic:
        return sections

    def words(text: str) -> set[str]:
        return set(re.findall(r"[a-z]+", fold_aligned(text)))

    for with_text in (False, True):
        out = []
        for s in sections:
            keep = tuple(p for p in s.passages
                         if len(topic & words(p.section + (" " + p.text if with_text else ""))) >= 0.6 * len(topic))
            if keep:
                out.append(Section(s.document, s.source, s.doc_date, s.province, s.heading, keep))
        if out:
            return out
    return None


def item_line(p: PassageRecord, room: int = ITEM_CHARS, heading: str = "") -> tuple[str, str]:
    """(shown line, quote): the item's marker and its first (task) sentence. The quote is an exact
    slice of the passage (without the body's own heading when the section has no sub-items); a sentence
    longer than ``room`` is shown with its middle elided (its head and its object)."""
    raw = p.text
    m = _MARKER_RE.match(raw)
    marker = m.group(0).strip() if m else ""
    start = m.end() if m else 0
    if heading and raw[start:].lstrip().startswith(heading):
        start = raw.index(heading, start) + len(heading)
        start += len(raw[start:]) - len(raw[start:].lstrip(" :\n"))
        marker = ""
    end_m = _SENTENCE_END.search(raw, start)
    quote = raw[start:end_m.end()] if end_m else raw[start:]
    shown = squash_ws(quote)
    if len(shown) > room:
        head = shown[: room // 2].rsplit(" ", 1)[0]
        tail = shown[-(room // 2):].split(" ", 1)[-1]
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
    room = 450 if total == 1 else ITEM_CHARS  # a single duty is shown whole
    for s in sections:
        if docs > 1:
            lines.append(f"{s.document} ({count_words(len(s.passages))} nhiệm vụ):")
        for p in s.passages:
            line, quote = item_line(p, room, s.heading)
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
    sections = purpose_documents(q, sections, sections_of(retriever.passages, reg, q, ""), retriever.passages)
    narrowed = narrow(sections, topic_words(q, reg))
    if narrowed is None:
        return None  # the body's sections do not speak of the topic asked: the passages may
    sections = narrowed
    agency = reg.get(q.agency_ids[0]).name
    answer = compose_duties(q, sections, agency)
    prov = sections[0].province
    if prov and prov != home:
        answer.text = f"Theo tài liệu của tỉnh {prov} (không phải tỉnh {home}):\n" + answer.text
    return answer
