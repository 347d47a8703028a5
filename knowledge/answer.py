"""Extractive answers with citations, and honest refusals.

``compose(question, retriever, settings)`` picks the best sentences of the top passages (exact
slices of the source text, numbers untouched), names the agency when the sentence's subject is only
in its section heading, cites every sentence, and refuses when the evidence is too thin or when the
question names a province or year the documents do not cover.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from cchc.errors import QuestionError
from knowledge.lexical import LexicalIndex
from knowledge.retriever import Filters, Hit, Retriever, question_filters
from knowledge.text import QUESTION_STOP, analyze, fold, fold_token, has_diacritics, split_sentences, squash_ws

logger = logging.getLogger(__name__)

AGENCY_HEAD_RE = re.compile(
    r"^(Sở|Văn phòng|Ban|Ủy ban|Uỷ ban|UBND|Báo|Đài|Công an|Thanh tra|Bảo hiểm|Ngân hàng|Cục|Chi cục|Trung tâm|Hội đồng|Đảng ủy|Kho bạc|Bưu điện)\b"
)
_EN_WORDS = frozenset(
    "the what is are how which of for does do and to in who when where why with this that please can you".split()
)


@dataclass(frozen=True)
class Citation:
    source: str
    document: str
    section: str
    quote: str
    province: str | None = None
    passage_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "document": self.document, "section": self.section, "quote": self.quote}


@dataclass
class Answer:
    question: str
    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    took_ms: float = 0.0
    reason: str | None = None  # why it was refused

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.as_dict() for c in self.citations],
            "took_ms": round(self.took_ms, 2),
        }


def check_question(question: str, max_chars: int) -> str:
    q = squash_ws(question or "")
    if not q:
        raise QuestionError("Câu hỏi trống. Hãy gõ câu hỏi, ví dụ: 'Sở Nội vụ phải làm gì về PAR INDEX?'")
    if len(q) > max_chars:
        raise QuestionError(f"Câu hỏi quá dài ({len(q)} ký tự); hãy hỏi ngắn gọn trong {max_chars} ký tự.")
    letters = sum(ch.isalpha() for ch in q)
    if letters < 2 or letters / len(q) < 0.4 or re.search(r"[\x00-\x08\x0e-\x1f\ufffd]", q):
        raise QuestionError("Không hiểu câu hỏi (nội dung không phải chữ). Hãy gõ câu hỏi bằng tiếng Việt.")
    return q


def looks_english(q: str) -> bool:
    if has_diacritics(q):
        return False
    toks = re.findall(r"[a-z]+", q.lower())
    en = sum(t in _EN_WORDS for t in toks)
    return len(toks) >= 3 and en >= 2 and en / len(toks) >= 0.25


def _content_tokens(question: str) -> dict[str, float]:
    """Folded content syllables of the question (no question words), with glossary expansions."""
    a = analyze(question)
    return {t: 1.0 for t in a.funi if t not in QUESTION_STOP and not t.isdigit() or re.fullmatch(r"\d{4}", t)}


def _idf(index: LexicalIndex, tok: str) -> float:
    col = index.vocab.get(f"fu:{tok}")
    if col is None:
        col = index.vocab.get(f"tfu:{tok}")
    if col is None:
        return 0.0  # a word no document has: cannot be evidence either way
    return float(index.idf[col])


def _coverage(weights: dict[str, float], text_tokens: set[str]) -> float:
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if t in text_tokens) / total


def _bigram_hits(q_bi: set[str], text_bi: set[str]) -> float:
    if not q_bi:
        return 0.0
    return len(q_bi & text_bi) / len(q_bi)


def _agency_heading(section_path: str) -> str | None:
    for part in reversed(section_path.split(" > ")):
        m = re.match(r"^\S+\s+(.*)$", part)
        head = m.group(1) if m else ""
        if head and AGENCY_HEAD_RE.match(head) and len(head) < 90:
            return head.rstrip(":")
    return None


def compose(
    question: str,
    retriever: Retriever,
    *,
    passages: int = 6,
    max_sentences: int = 3,
    min_coverage: float = 0.5,
    max_chars: int = 1000,
    home_province: str | None = None,
) -> Answer:
    t0 = time.perf_counter()
    q = check_question(question, max_chars)
    if looks_english(q):
        return _refusal(q, t0, "Trợ lý chỉ trả lời câu hỏi bằng tiếng Việt về tài liệu CCHC. Vui lòng đặt câu hỏi bằng tiếng Việt.", "english")
    filters, named = question_filters(q)
    if len(named) > 1:
        filters = Filters(province=None, year=filters.year)
    known_prov = retriever.provinces()
    if filters.province and filters.province not in known_prov:
        return _refusal(
            q, t0,
            f"Tài liệu hiện có không có thông tin về tỉnh {filters.province}. "
            f"Các tỉnh có tài liệu: {', '.join(known_prov) or 'chưa có'}.",
            "province",
        )
    if filters.year is not None and filters.year not in retriever.years():
        years = retriever.years()
        span = f"{years[0]}–{years[-1]}" if years else "chưa có"
        return _refusal(
            q, t0,
            f"Tài liệu hiện có không có thông tin về năm {filters.year} (các tài liệu nói về các năm {span}).",
            "year",
        )
    hits = retriever.search(q, k=passages, filters=filters)
    if not hits and filters.year is not None:
        return _refusal(q, t0, f"Không tìm thấy nội dung về năm {filters.year} trong tài liệu.", "year")
    weights = {t: _idf(retriever.index, t) for t in _content_tokens(q)}
    q_an = analyze(q)
    q_bi = {b for b in q_an.fbi}
    best_cov = 0.0
    scored: list[tuple[float, Hit, int, int, float]] = []
    for hit in hits:
        p = hit.passage
        p_an = analyze(p.text + " " + p.context)
        cov = _coverage(weights, set(p_an.funi))
        best_cov = max(best_cov, cov)
        for sp in split_sentences(p.text):
            sent = p.text[sp.start : sp.end]
            s_an = analyze(sent + " " + _agency_heading(p.section) if _agency_heading(p.section) else sent)
            s_cov = _coverage(weights, set(s_an.funi))
            s_bi = _bigram_hits(q_bi, set(s_an.fbi))
            score = s_cov + 0.5 * s_bi + 0.15 / hit.rank + 0.1 * cov
            scored.append((score, hit, sp.start, sp.end, s_cov))
    if not scored or best_cov < min_coverage:
        return _refusal(
            q, t0,
            "Xin lỗi, các tài liệu CCHC hiện có không có thông tin trả lời câu hỏi này. "
            "Hãy hỏi về nhiệm vụ, chỉ tiêu, kết quả các chỉ số (PAR INDEX, SIPAS, PAPI...) trong tài liệu.",
            "evidence",
        )
    scored.sort(key=lambda x: -x[0])
    top_hit = scored[0][1]
    answer_province = top_hit.passage.province
    chosen: list[tuple[float, Hit, int, int, float]] = []
    seen: set[str] = set()
    for item in scored:
        score, hit, a, b, s_cov = item
        if hit.passage.province != answer_province:
            continue  # never mix provinces in one answer
        if score < 0.6 * scored[0][0] or s_cov < 0.25:
            continue
        key = fold(squash_ws(hit.passage.text[a:b]))
        if key in seen or any(key in s or s in key for s in seen):
            continue
        seen.add(key)
        chosen.append(item)
        if len(chosen) >= max_sentences:
            break
    lines: list[str] = []
    cites: list[Citation] = []
    for n, (_score, hit, a, b, _c) in enumerate(chosen, 1):
        p = hit.passage
        sent = p.text[a:b]
        agency = _agency_heading(p.section)
        shown = sent
        if agency and fold_token(agency.split(" ", 1)[0]) and fold(agency) not in fold(sent):
            shown = f"{agency}: {sent}"
        lines.append(f"{shown} [{n}]")
        cites.append(Citation(p.source, p.document, p.section, sent, p.province, p.id))
    text = "\n".join(lines)
    if answer_province and home_province and answer_province != home_province:
        text = f"Theo tài liệu của tỉnh {answer_province} (không phải tỉnh {home_province}):\n{text}"
    return Answer(q, text, False, cites, (time.perf_counter() - t0) * 1000)


def _refusal(q: str, t0: float, message: str, reason: str) -> Answer:
    return Answer(q, message, True, [], (time.perf_counter() - t0) * 1000, reason)
