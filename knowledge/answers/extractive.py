"""Extractive answers with citations, and honest refusals.

``compose(question, retriever, settings)`` picks the best sentences of the top passages (exact
slices of the source text, numbers untouched), names the agency when the sentence's subject is only
in its section heading, cites every sentence, and refuses when the evidence is too thin or when the
question names a province or year the documents do not cover.
"""

from __future__ import annotations

import logging
import math
import re
import time

from core.errors import QuestionError
from core.text import (
    QUESTION_STOP,
    Span,
    analyze,
    fold,
    fold_token,
    has_diacritics,
    split_sentences,
    squash_ws,
)
from knowledge.answers.policy import RefusalPolicy
from knowledge.answers.types import Answer, Citation
from knowledge.search.lexical import LexicalIndex
from knowledge.search.retriever import Filters, Hit, Retriever, agency_heading, question_filters

logger = logging.getLogger(__name__)

_EN_WORDS = frozenset(
    ["the", "what", "is", "are", "how", "which", "of", "for", "does", "do", "and", "to", "in", "who", "when", "where", "why", "with", "this", "that", "please", "can", "you"]
)


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
    return {t: 1.0 for t in a.funi if t not in QUESTION_STOP}


def _idf(index: LexicalIndex, tok: str, kind: str = "fu") -> float:
    col = index.vocab.get(f"{kind}:{tok}")
    if col is None:
        col = index.vocab.get(f"t{kind}:{tok}")
    if col is None:
        # A word no passage has: the documents cannot speak to it, so it weighs like the rarest word.
        return math.log1p(len(index))
    return float(index.idf[col])


NUMBER_RE = re.compile(r"\d+(?:[.,/]\d+)*")


def _has_number(text: str, number: str) -> bool:
    return re.search(rf"(?<![\d.,/]){re.escape(number)}(?![\d]|[.,/]\d)", text) is not None


def _coverage(weights: dict[str, float], sent: set[str], ctx: set[str]) -> float:
    """IDF-weighted share of the question's content words found in the sentence (full credit) or
    in its headings (partial credit)."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    got = sum(w if t in sent else 0.5 * w if t in ctx else 0.0 for t, w in weights.items())
    return got / total


def _content_bigrams(question: str) -> set[str]:
    a = analyze(question)
    out = set()
    for b in a.fbi:
        x, y = b.split("_", 1)
        if x in QUESTION_STOP and y in QUESTION_STOP:
            continue
        out.add(b)
    return out


def _bigram_cover(q_bi: dict[str, float], sent: set[str], ctx: set[str]) -> float:
    """IDF-weighted share of the question's word pairs in the sentence (or, half, in its headings)."""
    total = sum(q_bi.values())
    if total <= 0:
        return 0.0
    return sum(w if b in sent else 0.5 * w if b in ctx else 0.0 for b, w in q_bi.items()) / total


_FOLLOW_UP = ("Nội dung này", "Việc này", "Trong đó", "Cụ thể", "Lý do")


def _units(text: str) -> list[Span]:
    """Sentences, with a short follow-up sentence that only makes sense after its predecessor
    ("... chưa giải quyết. Nội dung này do Sở Y tế ... chưa thực hiện.") kept in the same unit."""
    units: list[Span] = []
    for sp in split_sentences(text):
        piece = text[sp.start : sp.end]
        if units and piece.startswith(_FOLLOW_UP) and len(piece) < 220 and "\n" not in text[units[-1].end : sp.start]:
            units[-1] = Span(units[-1].start, sp.end)
        else:
            units.append(sp)
    return units


def _is_heading_line(sentence: str, section: str) -> bool:
    """The section's own heading line ("2.6. Cải cách tài chính công") is a label, not an answer."""
    last = section.split(" > ")[-1].strip()
    return len(sentence) <= len(last) + 2 and squash_ws(sentence).rstrip(":") == squash_ws(last).rstrip(":")


def compose(
    question: str,
    retriever: Retriever,
    *,
    passages: int = 6,
    max_sentences: int = 3,
    policy: RefusalPolicy | None = None,
    max_chars: int = 1000,
    home_province: str | None = None,
) -> Answer:
    t0 = time.perf_counter()
    policy = policy or RefusalPolicy()
    q = check_question(question, max_chars)
    if looks_english(q):
        return _refusal(q, t0, policy.not_vietnamese, "english")
    filters, named = question_filters(q)
    if len(named) > 1:
        filters = Filters(province=None, year=filters.year)
    known_prov = retriever.provinces()
    if filters.province and filters.province not in known_prov:
        return _refusal(
            q, t0,
            policy.unknown_province.format(province=filters.province, known=", ".join(known_prov) or "chưa có"),
            "province",
        )
    if filters.year is not None and filters.year not in retriever.years():
        years = retriever.years()
        span = f"{years[0]}–{years[-1]}" if years else "chưa có"
        return _refusal(
            q, t0,
            policy.unknown_year.format(year=filters.year, span=span),
            "year",
        )
    hits = retriever.search(q, k=passages, filters=filters)
    # A question that names an agency: also look inside the sections headed by that agency.
    named_agencies = retriever.agencies_named(q)
    agency_ids: set[int] = set().union(*named_agencies.values()) if named_agencies else set()
    if agency_ids:
        seen_ids = {h.passage.id for h in hits}
        extra = retriever.search(q, k=passages, filters=filters, restrict=agency_ids)
        hits += [Hit(h.passage, h.score, len(hits) + n) for n, h in enumerate(extra, 1) if h.passage.id not in seen_ids]
    if not hits and filters.year is not None:
        return _refusal(q, t0, policy.no_year_match.format(year=filters.year), "year")
    weights = {t: _idf(retriever.index, t) for t in _content_tokens(q)}
    # The province and year are enforced by the filters; sentences need not repeat them.
    for name in named:
        for t in analyze(name, expand=False).funi:
            weights.pop(t, None)
    if filters.year is not None:
        weights.pop(str(filters.year), None)
    q_bi = {b: _idf(retriever.index, b, "fb") for b in _content_bigrams(q)}
    q_nums = [n for n in NUMBER_RE.findall(q) if n != str(filters.year)]
    best_ev = 0.0
    top_score = max((h.score for h in hits), default=1.0) or 1.0
    scored: list[tuple[float, Hit, int, int, float]] = []
    for hit in hits:
        p = hit.passage
        agency = agency_heading(p.section)
        near_an = analyze(p.section.split(" > ")[-1] + (" " + agency if agency else ""))
        far_an = analyze(p.context + " " + p.section)
        near_uni, near_bi = set(near_an.funi), set(near_an.fbi)
        far_uni, far_bi = set(far_an.funi) - near_uni, set(far_an.fbi) - near_bi
        for sp in _units(p.text):
            sent = p.text[sp.start : sp.end]
            if _is_heading_line(sent, p.section):
                continue
            s_an = analyze(sent)
            cov = _coverage(weights, set(s_an.funi) | near_uni, far_uni)
            bi = _bigram_cover(q_bi, set(s_an.fbi) | near_bi, far_bi)
            num = 0.0
            if q_nums:
                num = 0.3 * sum(_has_number(sent, n) for n in q_nums) / len(q_nums)
            evidence = 0.5 * cov + 0.5 * bi
            best_ev = max(best_ev, evidence)
            score = cov + 0.5 * bi + num + 0.4 * hit.score / top_score + (0.5 if p.id in agency_ids else 0.0)
            scored.append((score, hit, sp.start, sp.end, evidence))
    if not scored or best_ev < policy.min_coverage:
        logger.debug("refused for thin evidence %.3f < %.3f", best_ev, policy.min_coverage)
        return _refusal(
            q, t0, policy.no_evidence, "evidence",
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
        if score < 0.75 * scored[0][0] or s_cov < policy.min_support:
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
        agency = agency_heading(p.section)
        shown = sent
        if agency and fold_token(agency.split(" ", 1)[0]) and fold(agency) not in fold(sent):
            shown = f"{agency}: {sent}"
        lines.append(f"{shown} [{n}]")
        cites.append(Citation(p.source, p.document, p.section, sent, p.province, p.id))
    text = "\n".join(lines)
    if answer_province and home_province and answer_province != home_province:
        text = policy.other_province.format(province=answer_province, home=home_province) + "\n" + text
    return Answer(q, text, False, cites, (time.perf_counter() - t0) * 1000, evidence=best_ev)


def _refusal(q: str, t0: float, message: str, reason: str) -> Answer:
    return Answer(q, message, True, [], (time.perf_counter() - t0) * 1000, reason)
