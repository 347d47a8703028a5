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
from dataclasses import dataclass

from core.agencies import norm_name
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
from knowledge.answers.evidence import canonical, holds_slot, names_role_holder, slot_position
from knowledge.answers.policy import RefusalPolicy
from knowledge.answers.question import Question, parse
from knowledge.answers.scope import ASKING_WORDS, doc_reference, in_scope
from knowledge.answers.types import Answer, Citation, EvidencePassage
from knowledge.search.lexical import LexicalIndex
from knowledge.search.retriever import Filters, Hit, Retriever, agency_heading, question_filters

logger = logging.getLogger(__name__)

_EN_WORDS = frozenset(
    [
        "the", "what", "is", "are", "how", "which", "of", "for", "does", "do", "and", "to", "in", "who",
        "when", "where", "why", "with", "this", "that", "please", "can", "you",
    ]
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
    a = analyze(canonical(question))
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
    a = analyze(canonical(question))
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
    """A heading of the section path ("2.6. Cải cách tài chính công", or the bare "Mục tiêu chung")
    is a label, not an answer."""
    sent = squash_ws(sentence).rstrip(":. ")
    for part in section.split(" > "):
        part = squash_ws(part).rstrip(":. ")
        bare = re.sub(r"^(?:[IVX]+|\d+(?:\.\d+)*|[a-zđ])[.)]\s*", "", part)
        if sent and sent in (part, bare):
            return True
    return False


@dataclass(frozen=True)
class Scored:
    score: float
    hit: Hit
    start: int
    end: int
    evidence: float  # 0.5 * word coverage + 0.5 * word-pair coverage of the question
    slot: bool  # the sentence (or its heading) holds what is asked

    @property
    def sentence(self) -> str:
        return self.hit.passage.text[self.start:self.end]


_ANSWER_CHARS = 700
_FRAGMENT_RE = re.compile(r"^\W*(?:[IVX]+|\d+(?:\.\d+)*|[a-zđ])?[.)]?\W*$")


def compose(
    question: str,
    retriever: Retriever,
    *,
    passages: int = 6,
    max_sentences: int = 3,
    policy: RefusalPolicy | None = None,
    max_chars: int = 1000,
    home_province: str | None = None,
    parsed: Question | None = None,
) -> Answer:
    """Cited sentences that answer ``question`` (parsed with ``parse`` unless ``parsed`` is given),
    the first one holding what is asked; or a refusal under ``policy``."""
    t0 = time.perf_counter()
    policy = policy or RefusalPolicy()
    q_text = check_question(question, max_chars)
    q = parsed or parse(q_text)
    if looks_english(q_text):
        return _refusal(q_text, t0, policy.not_vietnamese, "english")
    filters, named = question_filters(q_text)
    if len(named) > 1:
        filters = Filters(province=None, year=filters.year)
    gate = _gate(retriever, filters, policy)
    if gate:
        return _refusal(q_text, t0, gate[0], gate[1])
    hits, agency_ids = _hits(retriever, q_text, filters, passages)
    content, doc_ids = doc_reference(q, [h.passage for h in hits])
    if doc_ids:
        # The question names a document: also look for its content words inside that document.
        inside = {p.id for p in retriever.passages if p.document_id in doc_ids}
        seen_ids = {h.passage.id for h in hits}
        more = retriever.search(content, k=passages, filters=filters, restrict=inside)
        hits += [Hit(h.passage, h.score, len(hits) + n) for n, h in enumerate(more, 1) if h.passage.id not in seen_ids]
    if not hits and filters.year is not None:
        return _refusal(q_text, t0, policy.no_year_match.format(year=filters.year), "year")
    scored = _score(retriever, q, q_text, hits, named, filters, agency_ids)
    doc_ids = doc_reference(q, [h.passage for h in hits])[1]
    best_ev = max((x.evidence for x in scored), default=0.0)
    answering = [x for x in scored if x.slot and x.evidence >= policy.min_coverage]
    if not answering:
        logger.debug("refused: best evidence %.3f, none holds the asked %s", best_ev, q.asked)
        return _refusal(q_text, t0, _no_evidence(policy, q, scored), "evidence")
    # The answer comes first: the sentence that holds most of what was asked, then the better ranked.
    # When the question names a document, that document answers if it can.
    first = max(answering, key=lambda x: (x.hit.passage.document_id in doc_ids, round(x.evidence, 1), x.score))
    chosen = _choose(scored, first, max_sentences, policy)
    text, cites = _render(chosen, q)
    province = chosen[0].hit.passage.province
    if province and home_province and province != home_province:
        text = policy.other_province.format(province=province, home=home_province) + "\n" + text
    ev = [EvidencePassage(x.hit.passage.id, x.hit.passage.source, x.hit.passage.document, x.hit.passage.section,
                          x.hit.passage.text, x.hit.passage.province) for x in chosen]
    return Answer(q_text, text, False, cites, (time.perf_counter() - t0) * 1000, coverage=best_ev, evidence=ev)


def _gate(retriever: Retriever, filters: Filters, policy: RefusalPolicy) -> tuple[str, str] | None:
    known_prov = retriever.provinces()
    if filters.province and filters.province not in known_prov:
        return (policy.unknown_province.format(province=filters.province, known=", ".join(known_prov) or "chưa có"),
                "province")
    if filters.year is not None and filters.year not in retriever.years():
        years = retriever.years()
        span = f"{years[0]}–{years[-1]}" if years else "chưa có"
        return policy.unknown_year.format(year=filters.year, span=span), "year"
    return None


def _hits(retriever: Retriever, q: str, filters: Filters, passages: int) -> tuple[list[Hit], set[int]]:
    hits = retriever.search(q, k=passages, filters=filters)
    # A question that names an agency: also look inside the sections headed by that agency.
    named_agencies = retriever.agencies_named(q)
    agency_ids: set[int] = set().union(*named_agencies.values()) if named_agencies else set()
    if agency_ids:
        seen_ids = {h.passage.id for h in hits}
        extra = retriever.search(q, k=passages, filters=filters, restrict=agency_ids)
        hits += [Hit(h.passage, h.score, len(hits) + n) for n, h in enumerate(extra, 1) if h.passage.id not in seen_ids]
    return hits, agency_ids


_ROLE_RE = re.compile(r"\bai la (.+?)\s*\??$")


def _score(retriever: Retriever, q: Question, q_text: str, hits: list[Hit], named: set[str], filters: Filters,
           agency_ids: set[int]) -> list[Scored]:
    # Words that only name the document identify it, and words that ask ("hạn", "xếp thứ") are
    # checked by the slot: neither is evidence of the content.
    content, doc_ids = doc_reference(q, [h.passage for h in hits])
    asking = ASKING_WORDS.get(q.asked, frozenset())
    weights = {t: _idf(retriever.index, t) for t in _content_tokens(content) if t not in asking}
    # The province and year are enforced by the filters; sentences need not repeat them.
    for name in named:
        for t in analyze(name, expand=False).funi:
            weights.pop(t, None)
    for y in q.years:
        weights.pop(str(y), None)
    q_bi = {b: _idf(retriever.index, b, "fb") for b in _content_bigrams(content) if not set(b.split("_")) & asking}
    role_m = _ROLE_RE.search(q.folded) if q.asked == "person" else None
    role = role_m.group(1) if role_m else None
    strict_bi = {b for b in q_bi if not set(b.split("_")) & QUESTION_STOP}
    q_nums = [n for n in NUMBER_RE.findall(q_text) if not (len(n) == 4 and int(n) in q.years)]
    top_score = max((h.score for h in hits), default=1.0) or 1.0
    agency_keys = [norm_name(a) for a in q.agencies]
    out: list[Scored] = []
    for hit in hits:
        p = hit.passage
        agency = agency_heading(p.section)
        near_an = analyze(canonical(p.section.split(" > ")[-1] + (" " + agency if agency else "")))
        far_an = analyze(canonical(p.context + " " + p.section))
        near_uni, near_bi = set(near_an.funi), set(near_an.fbi)
        far_uni, far_bi = set(far_an.funi) - near_uni, set(far_an.fbi) - near_bi
        whole = p.context.split(" / ")[0] + " " + p.source
        for sp in _units(p.text):
            sent = p.text[sp.start : sp.end]
            if _is_heading_line(sent, p.section) or _FRAGMENT_RE.match(sent):
                continue
            s_an = analyze(canonical(sent))
            cov = _coverage(weights, set(s_an.funi) | near_uni, far_uni)
            bi = _bigram_cover(q_bi, set(s_an.fbi) | near_bi, far_bi)
            num = 0.3 * sum(_has_number(sent, n) for n in q_nums) / len(q_nums) if q_nums else 0.0
            slot = holds_slot(q.asked, sent, agency or "", q.counted) and in_scope(q, sent, p.section, whole)
            if slot and role:
                slot = names_role_holder(role, sent)
            if slot and q.asked == "duties" and agency_keys:
                where = f" {norm_name(sent + ' ' + p.section)} "
                slot = any(f" {k} " in where for k in agency_keys)
            # at least one of the question's pairs of content words must be there
            paired = not strict_bi or bool(strict_bi & (set(s_an.fbi) | near_bi | far_bi))
            evidence = 0.5 * cov + 0.5 * bi if paired else 0.0
            score = cov + 0.5 * bi + num + 0.4 * hit.score / top_score + (0.5 if p.id in agency_ids else 0.0)
            score += (0.3 if slot else 0.0) + (0.3 if p.document_id in doc_ids else 0.0)
            out.append(Scored(score, hit, sp.start, sp.end, evidence, slot))
    out.sort(key=lambda x: -x.score)
    return out


def _choose(scored: list[Scored], first: Scored, max_sentences: int, policy: RefusalPolicy) -> list[Scored]:
    """The answering sentence first, then at most two supporting ones from the same province."""
    chosen = [first]
    seen = {fold(squash_ws(first.sentence))}
    size = len(first.sentence)
    for x in scored:
        if len(chosen) >= max_sentences:
            break
        if x is first or x.hit.passage.province != first.hit.passage.province:
            continue  # never mix provinces in one answer
        if x.sentence[:1].islower():
            continue  # a fragment of a sentence cut by a page break does not support anything
        if x.score < 0.75 * first.score or x.evidence < policy.min_support:
            continue
        key = fold(squash_ws(x.sentence))
        if key in seen or any(key in s or s in key for s in seen):
            continue
        if size + len(x.sentence) + 40 > _ANSWER_CHARS:
            continue
        seen.add(key)
        size += len(x.sentence) + 40
        chosen.append(x)
    return chosen


_HEAD_ROOM = 260  # the answer's key fact must show within the first 300 characters


def clause_holding(sentence: str, pos: int) -> str:
    """The clause of a long sentence (between semicolons) that holds offset ``pos``, elided around."""
    start = sentence.rfind(";", 0, pos) + 1
    end = sentence.find(";", pos)
    end = len(sentence) if end < 0 else end + 1
    if pos - start > 150:  # begin at a comma (else a word) shortly before the asked fact
        comma = sentence.rfind(", ", start, pos - 40)
        start = comma + 2 if comma > pos - 150 else sentence.rfind(" ", 0, max(pos - 100, 0)) + 1
    if end - start > _HEAD_ROOM:
        end = min(end, pos + 120)
    clause = squash_ws(sentence[start:end])
    return ("… " if start > 0 else "") + clause + (" …" if end < len(sentence) else "")


def _render(chosen: list[Scored], q: Question) -> tuple[str, list[Citation]]:
    lines: list[str] = []
    cites: list[Citation] = []
    for n, x in enumerate(chosen, 1):
        p = x.hit.passage
        sent = squash_ws(x.sentence)
        if n == 1 and len(sent) > _HEAD_ROOM - 40:
            pos = slot_position(q.asked, x.sentence, q.counted)
            if pos is not None and pos > _HEAD_ROOM - 110:  # room for a province line and the agency
                sent = clause_holding(x.sentence, pos)
        agency = agency_heading(p.section)
        shown = sent
        if agency and fold_token(agency.split(" ", 1)[0]) and fold(agency) not in fold(sent):
            shown = f"{agency}: {sent}"
        room = _ANSWER_CHARS - 8 - len("\n".join(lines))
        if len(shown) > room:
            shown = shown[: max(room - 1, 0)].rsplit(" ", 1)[0] + "…"
        lines.append(f"{shown} [{n}]")
        cites.append(Citation(p.source, p.document, p.section, x.sentence, p.province, p.id))
    return "\n".join(lines), cites


def _no_evidence(policy: RefusalPolicy, q: Question, scored: list[Scored]) -> str:
    """The refusal, and what the documents hold that is close (when a sentence is on topic)."""
    close = next((x for x in scored if x.evidence >= policy.min_coverage), None)
    if close is None:
        return policy.no_evidence
    sent = squash_ws(close.sentence)
    if len(sent) > 240:
        sent = sent[:239].rsplit(" ", 1)[0] + "…"
    return f"{policy.no_evidence_close} Nội dung gần nhất trong tài liệu ({close.hit.passage.document}): “{sent}”"


def _refusal(q: str, t0: float, message: str, reason: str) -> Answer:
    return Answer(q, message, True, [], (time.perf_counter() - t0) * 1000, reason)
