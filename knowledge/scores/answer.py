"""Index questions answered from the structured index results (numbers as the document writes them),
and summary questions with the leaders' summary.

The index answerer answers only what its data holds: asked for points when only a rank is known, it
gives the rank and says the documents give no points; asked for a year it has no result for, it
refuses and says which years it has.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.indices import INDEX_CODES, INDEX_LABELS, fields_of, match_field
from core.text import fmt_number, fold, nfc, province_key, squash_ws
from knowledge.answers.engine import AnswerContext, answerer
from knowledge.answers.policy import OTHER_PROVINCE
from knowledge.answers.question import Question, parse
from knowledge.answers.types import Answer, Citation
from knowledge.scores.query import document_titles, pick_result
from knowledge.store.db import Database
from knowledge.store.models import Passage
from knowledge.store.score_models import IndexResult

logger = logging.getLogger(__name__)

_SCORE_ASKED = ("rank", "points", "change")


_TARGET = re.compile(r"\b(?:muc tieu|phan dau|chi tieu|dat muc tieu|ke hoach dat)\b")


def _claim_index(q: Question) -> float:
    """Rank, points and change questions about one index; a plan's target for it is the documents' to say."""
    if q.asked not in _SCORE_ASKED or len(set(q.indices)) != 1 or _TARGET.search(q.folded):
        return 0.0
    return 0.9


def _claim_summary(q: Question) -> float:
    return 0.9 if q.asked == "summary" else 0.0


def answer_score_question(db: Database, question: str, *, home_province: str) -> Answer | None:
    """Answer a rank/score question from the structured results, or None when it is not one."""
    q = parse(squash_ws(nfc(question or "")))
    if _claim_index(q) <= 0:
        return None
    return answer_index(db, q, home_province=home_province)


# How officials name PAR INDEX fields, in the folded form the field table knows.
_FIELD_WORDS = ((r"\bchinh quyen so\b", "chinh quyen dien tu"), (r"\bchi dao,? dieu hanh\b", "chi dao dieu hanh"))


def _field(q: Question, code: str) -> tuple[int, str, float, int] | None:
    table = fields_of(code)
    text = q.folded
    for rx, rep in _FIELD_WORDS:
        text = re.sub(rx, rep, text)
    fld = match_field(text, table) if table else None
    if fld is not None and code == "SIPAS" and not re.search(r"hai long ve|thanh phan", fold(q.text)):
        return None
    return fld


def _refuse(q: Question, text: str) -> Answer:
    return Answer(q.text, text, True, [], reason="index-results")


def answer_index(db: Database, q: Question, *, home_province: str) -> Answer | None:
    code = q.indices[0]
    label = INDEX_LABELS[code]
    fld = _field(q, code)
    prov = q.province or home_province
    with db.session() as s:
        rows = [r for r in s.scalars(select(IndexResult).where(IndexResult.index_name == code))
                if province_key(r.province) == province_key(prov)]
        scoped = [r for r in rows if (r.scope == "overall" if fld is None else r.field == fld[1])]
        what = label if fld is None else f"{fld[1]} ({label})"
        if not scoped:
            if fld is not None:
                return None  # a field the results do not hold: the passages may name it
            return _refuse(q, f"Tài liệu hiện có không nêu kết quả {what} của tỉnh {prov}.")
        years = sorted({r.year for r in scoped})
        if q.years:
            cand = [r for r in scoped if r.year == q.years[0]]
            if not cand:
                have = ", ".join(str(y) for y in years)
                return _refuse(q, f"Tài liệu không nêu kết quả {what} năm {q.years[0]} của tỉnh {prov}; "
                                  f"các năm có kết quả: {have}.")
        else:
            direct = [r for r in scoped if not r.derived]
            if not direct:
                return None
            latest = max(r.year for r in direct)
            cand = [r for r in direct if r.year == latest]
        return _compose(s, q, cand, prov, home_province, what)


def _compose(s: Session, q: Question, cand: list[IndexResult], prov: str, home: str, what: str) -> Answer:
    conflict = any(r.conflict for r in cand)
    shown = cand if conflict else [pick_result(cand)]
    titles = document_titles(s, {r.document_id for r in shown if r.document_id})
    lines: list[str] = []
    cites: list[Citation] = []
    for n, r in enumerate(shown, 1):
        lines.append(_sentence(r, what, show_province=province_key(prov) != province_key(home)) + f" [{n}]")
        cites.append(_citation(s, r, titles))
    if q.asked == "points" and all(r.score is None for r in shown):
        lines[0] = f"Tài liệu không nêu điểm {what} năm {shown[0].year}; chỉ nêu thứ hạng. " + lines[0]
    if conflict:
        lines.insert(0, "Lưu ý: các nguồn nêu số liệu khác nhau:")
    text = "\n".join(lines)
    if province_key(prov) != province_key(home):
        text = OTHER_PROVINCE.format(province=shown[0].province, home=home) + "\n" + text
    return Answer(q.text, text, False, cites, coverage=1.0)


def _sentence(r: IndexResult, what: str, *, show_province: bool) -> str:
    where = f" của tỉnh {r.province}" if show_province else ""
    if r.derived:
        return f"Năm {r.year}, {what}{where} xếp thứ {r.rank}/{r.rank_of} ({r.note})."
    if r.quote and r.document_id:
        # Numbers exactly as the document writes them ("06/63", "giảm 03 bậc"), never re-typed.
        return f"Năm {r.year}, {what}{where}: “{squash_ws(r.quote)}”."
    bits = []
    if r.score is not None:
        bits.append(f"đạt {fmt_number(r.score)}/{fmt_number(r.max_score)} điểm")
    if r.rank is not None:
        bits.append(f"xếp thứ {r.rank}/{r.rank_of}")
    if r.rank_change is not None:
        c = r.rank_change
        bits.append("giữ nguyên" if c == 0 else (f"tăng {c} bậc" if c > 0 else f"giảm {-c} bậc"))
    return f"Năm {r.year}, {what}{where} {', '.join(bits)}."


def _citation(s: Session, r: IndexResult, titles: dict[int, str]) -> Citation:
    pid = None
    if r.document_id and r.quote_start is not None:
        pid = s.scalars(select(Passage.id).where(Passage.document_id == r.document_id)
                        .where(Passage.start <= r.quote_start).where(Passage.end >= r.quote_start)
                        .order_by(Passage.start.desc())).first()
    doc = titles.get(r.document_id or -1, "") if r.document_id else f"Bảng số liệu {r.source}"
    return Citation(r.source, doc, r.section, r.quote, r.province, pid)


@answerer("index_results", claim=_claim_index)
def _answer_from_results(ctx: AnswerContext, q: Question) -> Answer | None:
    return answer_index(ctx.db, q, home_province=ctx.home_province)


def answer_summary(db: Database, q: Question, *, home_province: str) -> Answer:
    """The leaders' summary in chat form: each index's result for the year (the latest year when none
    is named; every year for "qua các năm"), quoted from the documents, one line per index."""
    prov = q.province or home_province
    with db.session() as s:
        rows = [r for r in s.scalars(select(IndexResult).where(IndexResult.scope == "overall"))
                if province_key(r.province) == province_key(prov) and not r.derived
                and (not q.indices or r.index_name in q.indices)]
        if not rows:
            return _refuse(q, f"Chưa có kết quả chỉ số nào của tỉnh {prov} trong tài liệu.")
        every_year = bool(re.search(r"\bcac nam\b|\bqua tung nam\b|\bdien bien\b", q.folded)) and not q.years
        year = q.years[0] if q.years else max(r.year for r in rows)
        chosen = [r for r in rows if every_year or r.year == year]
        if not chosen:
            have = ", ".join(str(y) for y in sorted({r.year for r in rows}))
            return _refuse(q, f"Chưa có kết quả chỉ số năm {year} của tỉnh {prov}; các năm có kết quả: {have}.")
        keys = sorted({(r.year, r.index_name) for r in chosen}, key=lambda k: (-k[0], INDEX_CODES.index(k[1])))
        shown = [pick_result([r for r in chosen if (r.year, r.index_name) == k]) for k in keys]
        titles = document_titles(s, {r.document_id for r in shown if r.document_id})
        where = "" if province_key(prov) == province_key(home_province) else f" của tỉnh {prov}"
        head = (f"Kết quả các chỉ số{where} qua các năm:" if every_year else f"Kết quả các chỉ số năm {year}{where}:")
        lines = [head]
        cites: list[Citation] = []
        for r in shown:
            line = f"• {_summary_line(r, every_year)} [{len(cites) + 1}]"
            if len("\n".join(lines)) + len(line) > 680:
                break
            lines.append(line)
            cites.append(_citation(s, r, titles))
        missing = [INDEX_LABELS[c] for c in INDEX_CODES if not every_year and c not in {r.index_name for r in shown}
                   and (not q.indices or c in q.indices)]
        if missing and len("\n".join(lines)) < 620:
            lines.append(f"Chưa có kết quả năm {year}: {', '.join(missing)}.")
        return Answer(q.text, "\n".join(lines), False, cites, coverage=1.0)


_RANK_WORDS = re.compile(r"(?:xếp|đứng)\s+(?:vị trí\s+)?thứ", re.IGNORECASE)


def _summary_line(r: IndexResult, with_year: bool) -> str:
    """"PAR INDEX: “đứng thứ 14/63 tỉnh, thành, tăng 12 bậc so với năm 2023”" (the tail of the quote)."""
    year = f" {r.year}" if with_year else ""
    if r.quote and not r.derived:
        q = squash_ws(r.quote)
        m = _RANK_WORDS.search(q)
        return f"{INDEX_LABELS[r.index_name]}{year}: “{q[m.start():] if m else q}”"
    return _sentence(r, INDEX_LABELS[r.index_name], show_province=False)


@answerer("summary", claim=_claim_summary)
def _answer_summary(ctx: AnswerContext, q: Question) -> Answer | None:
    return answer_summary(ctx.db, q, home_province=ctx.home_province)
