"""What part of a question names a document, and which sentences are in the asked scope.

"Sở Tư pháp chủ trì gì trong kế hoạch CCHC 6 tháng cuối năm 2025?": the words "kế hoạch CCHC 6 tháng cuối
năm 2025" identify a document; they are not evidence of the content, and that document answers first.
A sentence is in scope when it speaks of the asked year (or names none) and of the asked half-year.
"""

from __future__ import annotations

import logging
import re

from core.text import QUESTION_STOP, analyze, fold
from knowledge.answers.evidence import years_in
from knowledge.answers.question import Question
from knowledge.store.documents import PassageRecord

logger = logging.getLogger(__name__)

_DOC_PHRASE = re.compile(r"\b(ke hoach|ket luan|cong van|thong bao|bao cao|de an|chuong trinh)\b((?: (?!(?:duoc|phai|co|la|lam|"
                         r"dat|gom|giao|de nghi|ky|ban hanh|quy dinh|yeu cau)\b)[\w&-]+){0,9})")


def _doc_words(p: PassageRecord) -> set[str]:
    return set(analyze(fold(p.document + " " + p.context.split(" / ")[0] + " " + re.sub(r"[-_.]", " ", p.source))).funi)


def doc_reference(q: Question, passages: list[PassageRecord]) -> tuple[str, set[int]]:
    """The question without the words by which it names a document ("trong kế hoạch CCHC 6 tháng cuối
    năm 2025"), and the documents those words fit (most of them in the title). When no document fits,
    the question is returned whole."""
    span = _doc_span(q)
    if span is None:
        return q.folded, set()
    words = {t for t in analyze(q.folded[span[0]:span[1]]).funi if t not in QUESTION_STOP}
    if len(words) < 2:
        return q.folded, set()
    docs: dict[int, set[str]] = {}
    for p in passages:
        if p.document_id not in docs:
            docs[p.document_id] = _doc_words(p)
    fits = {d for d, w in docs.items() if len(words & w) >= 0.7 * len(words)}
    return (q.folded[: span[0]] + " " + q.folded[span[1]:], fits) if fits else (q.folded, set())


_YEAR_END = re.compile(r"(?:19|20)\d\d(?:\s*-\s*(?:19|20)\d\d)?")


def _doc_span(q: Question) -> tuple[int, int] | None:
    """Where the question names a document: its kind and title words up to the year or period that
    ends them ("kế hoạch CCHC 6 tháng cuối năm 2025"), or a period alone ("6 tháng cuối 2025")."""
    m = _DOC_PHRASE.search(q.folded)
    if m is not None:
        years = list(_YEAR_END.finditer(m.group(0)))
        if years:
            return m.start(), m.start() + years[-1].end()
        words = list(re.finditer(r"\S+", m.group(0)))
        return m.start(), m.start() + words[min(len(words), 5) - 1].end()
    if q.period and q.period in q.folded:
        i = q.folded.index(q.period)
        return i, i + len(q.period)
    return None


ASKING_WORDS: dict[str, frozenset[str]] = {
    k: frozenset(v.split()) for k, v in {
        "deadline": "han thoi chot truoc ngay nao khi xong", "date": "ngay nao khi thoi gian bao gio luc",
        "rank": "xep thu hang dung may vi tri", "percent": "ty le phan tram", "agency": "co quan nao ai don vi",
        "person": "ai nguoi", "count": "so luong", "points": "diem", "change": "tang giam bac thay doi",
    }.items()
}


def _period_ok(q: Question, doc: str) -> bool:
    """"6 tháng đầu năm" is not "6 tháng cuối năm": a document of the other half does not answer."""
    if not q.period or "6 thang" not in q.period:
        return True
    d = fold(doc)
    other = "6 thang cuoi" if "dau" in q.period else "6 thang dau"
    return other not in d


def in_scope(q: Question, sent: str, section: str, doc: str) -> bool:
    """A sentence speaks of the asked year when it, its section or its document names it (or names no year)."""
    if not _period_ok(q, doc):
        return False
    if not q.years:
        return True
    said = years_in(sent)
    if not said:
        return True
    around = years_in(section) | years_in(doc)
    return bool(set(q.years) & (said | around))
