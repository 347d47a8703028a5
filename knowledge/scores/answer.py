"""Rank and score questions answered from the structured index results, numbers as the document writes them."""

from __future__ import annotations

import logging
import re
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.indices import (
    INDEX_ALIASES,
    INDEX_LABELS,
    INDEX_RE,
    INDICES,
    fields_of,
    index_of_match,
    match_field,
)
from core.text import fmt_number, fold, nfc, province_key, squash_ws
from knowledge.answers.engine import AnswerContext, answerer
from knowledge.answers.policy import OTHER_PROVINCE
from knowledge.answers.types import Answer, Citation
from knowledge.scores.query import document_titles, pick_result
from knowledge.store.db import Database
from knowledge.store.models import Passage
from knowledge.store.score_models import IndexResult

logger = logging.getLogger(__name__)


_CUE_RE = re.compile(
    r"\b(?:thu may|xep thu|dung thu|thu hang|xep hang|hang may|hang bao nhieu|bao nhieu diem|may diem|diem so|"
    r"dat bao nhieu|bao nhieu bac|tang bao nhieu|giam bao nhieu|ket qua)\b"
)


def answer_score_question(db: Database, question: str, *, home_province: str) -> Answer | None:
    """Answer a rank/score question from the structured results, or None (not a score question, or no
    matching result: the caller falls back to text retrieval)."""
    t0 = time.perf_counter()
    q = squash_ws(nfc(question or ""))
    if not q or len(q) > 1000:
        return None
    low = fold(q)
    if not _CUE_RE.search(low):
        return None
    codes = [index_of_match(m) for m in INDEX_RE.finditer(q)]
    if not codes:
        for alias, c in sorted(INDEX_ALIASES.items(), key=lambda kv: -len(kv[0])):
            if len(alias) > 3 and re.search(rf"(?<![a-z]){re.escape(alias)}(?![a-z])", low):
                codes = [c]
                break
            if alias in ("papi", "sipas", "pci") and re.search(rf"\b{alias}\b", low):
                codes = [c]
                break
    if len(set(codes)) != 1:
        return None
    code = codes[0]
    years = [int(m.group(2)) for m in re.finditer(r"(so voi\s+(?:nam\s+)?)?\b((?:19|20)\d\d)\b", low) if not m.group(1)]
    if len(set(years)) > 1:
        return None
    year = years[0] if years else None
    table = fields_of(code) or None
    fld = match_field(q, table) if table else None
    if fld is not None and INDICES[code].field_scope == "component" and not re.search(r"hai long ve|thanh phan", low):
        fld = None
    with db.session() as s:
        rows = list(s.scalars(select(IndexResult).where(IndexResult.index_name == code)))
        provinces = sorted({r.province for r in rows})
        named = [p for p in provinces if re.search(rf"(?<![a-z]){re.escape(province_key(p))}(?![a-z])", low)]
        if len(named) > 1:
            return None
        if named:
            prov = named[0]
        else:
            if re.search(r"\btinh\s+[A-ZĐ]", q.replace("tỉnh", "tinh")):
                return None  # names a province we have no results for: let retrieval refuse or answer
            prov = home_province
        cand = [r for r in rows if province_key(r.province) == province_key(prov)
                and (r.scope == "overall" if fld is None else r.field == fld[1])]
        if year is not None:
            cand = [r for r in cand if r.year == year]
        elif cand:
            direct = [r for r in cand if not r.derived]
            if not direct:
                return None
            latest = max(r.year for r in direct)
            cand = [r for r in direct if r.year == latest]
        if not cand:
            return None
        conflict = any(r.conflict for r in cand)
        shown = cand if conflict else [pick_result(cand)]
        titles = document_titles(s, {r.document_id for r in shown if r.document_id})
        lines = []
        citations = []
        for n, r in enumerate(shown, 1):
            lines.append(_answer_sentence(r) + f" [{n}]")
            citations.append(_citation(s, r, titles))
        if conflict:
            lines.insert(0, "Lưu ý: các nguồn nêu số liệu khác nhau:")
        text = "\n".join(lines)
        if province_key(prov) != province_key(home_province):
            text = OTHER_PROVINCE.format(province=shown[0].province, home=home_province) + "\n" + text
        return Answer(q, text, False, citations, (time.perf_counter() - t0) * 1000)


def _answer_sentence(r: IndexResult) -> str:
    what = INDEX_LABELS[r.index_name] if r.scope == "overall" else f"{r.field} ({INDEX_LABELS[r.index_name]})"
    bits = []
    if r.score is not None:
        bits.append(f"đạt {fmt_number(r.score)}/{fmt_number(r.max_score)} điểm")
    if r.rank is not None:
        bits.append(f"xếp thứ {r.rank}/{r.rank_of}")
    if r.rank_change is not None:
        c = r.rank_change
        moved = "giữ nguyên" if c == 0 else (f"tăng {c} bậc" if c > 0 else f"giảm {-c} bậc")
        bits.append(f"{moved} so với năm {r.year - 1}")
    sent = f"Năm {r.year}, {what} của tỉnh {r.province} {', '.join(bits)}."
    if not r.derived and r.quote and r.document_id:
        # Numbers exactly as the document writes them ("06/63", "giảm 03 bậc"), never re-typed.
        sent = f"Năm {r.year}, {what} của tỉnh {r.province}: “{squash_ws(r.quote)}”."
    if r.derived:
        sent = f"Năm {r.year}, {what} của tỉnh {r.province} xếp thứ {r.rank}/{r.rank_of} ({r.note})."
    return sent


def _citation(s: Session, r: IndexResult, titles: dict[int, str]) -> Citation:
    pid = None
    if r.document_id and r.quote_start is not None:
        pid = s.scalars(select(Passage.id).where(Passage.document_id == r.document_id)
                        .where(Passage.start <= r.quote_start).where(Passage.end >= r.quote_start)
                        .order_by(Passage.start.desc())).first()
    doc = titles.get(r.document_id or -1, "") if r.document_id else f"Bảng số liệu {r.source}"
    return Citation(r.source, doc, r.section, r.quote, r.province, pid)


@answerer("index_results", order=10)
def _answer_from_results(ctx: AnswerContext, question: str) -> Answer | None:
    return answer_score_question(ctx.db, question, home_province=ctx.home_province)
