"""Extraction rules for index results (PAR INDEX, SIPAS, PAPI, PCI, ICT INDEX) from a document's text.

Pure functions over the repaired document text and its section list (no database, no model):

- overall ranks written in a sentence (``Chỉ số PAR INDEX xếp thứ 12/63 (giữ nguyên so với năm 2021)``),
  with the score before them (``tổng số điểm đạt 83,52/100 điểm``) and the signed change
  (``tăng 12 bậc`` +12, ``giảm 03 bậc`` -3, ``giữ nguyên`` 0);
- field results of a detailed PAR INDEX report (a section headed by a field name, then
  ``Tổng số đạt 8,82/9,5 điểm, ... xếp thứ 34/63 ... (tăng 7 bậc ...)``) and SIPAS components
  (``Chỉ số hài lòng về tiếp cận dịch vụ đạt 1,28/1,5 điểm``);
- deductions (``bị trừ 0,1 điểm do ...``, ``Trừ 0,154 điểm do ...``) with their reason and the agency the
  document names as responsible (``Nội dung này, Văn phòng UBND tỉnh tham mưu``);
- targets (``nằm trong nhóm 10 địa phương dẫn đầu``, ``tăng từ 2 đến 5 bậc``);
- the previous year's rank derived from a stated change (``derived=True``).

Every value carries the exact offsets of its quote in the document text.
"""

from __future__ import annotations

import logging
import re

from core.indices import INDEX_RE, PAR_FIELDS, SIPAS_COMPONENTS, index_of_match, match_field
from core.text import split_sentences
from ingest.facts.deductions import attach_deductions
from ingest.facts.score_rules import (
    CHANGE_RE,
    NUM,
    PROVINCE_RE,
    RANK_RE,
    SCORE_RE,
    YEAR_RE,
    ExtractedResult,
    Extraction,
    Found,
    SectionInfo,
    line_at,
    parse_number,
    section_chain,
    trim_span,
    year_of,
)
from ingest.facts.targets import find_targets

logger = logging.getLogger(__name__)


def extract(
    text: str,
    sections: list[SectionInfo],
    *,
    province: str | None,
    doc_date: str | None = None,
    title: str | None = None,
) -> Extraction:
    """All index results and targets stated in one document."""
    default_year = year_of(doc_date, title)
    results: list[ExtractedResult] = []
    results.extend(_rank_statements(text, sections, province, default_year))
    results.extend(_components(text, sections, province, default_year, results))
    results = _dedupe(results)
    attach_deductions(text, sections, results)
    results.extend(_derived(results))
    targets = find_targets(text, province, title)
    return Extraction(results, targets)


def _rank_statements(
    text: str, sections: list[SectionInfo], doc_province: str | None, default_year: int | None
) -> list[ExtractedResult]:
    out: list[ExtractedResult] = []
    for sp in split_sentences(text):
        sent = text[sp.start : sp.end]
        ranks = list(RANK_RE.finditer(sent))
        for i in range(len(ranks)):
            r = _one_rank(text, sections, sp.start, sent, ranks, i, doc_province, default_year)
            if r is not None:
                out.append(r)
    return out


def _one_rank(  # noqa: C901 - long: rank, score, change, field, year read in document order
    text: str, sections: list[SectionInfo], base: int, sent: str, ranks: list[re.Match[str]], i: int,
    doc_province: str | None, default_year: int | None,
) -> ExtractedResult | None:
    rm = ranks[i]
    rank, rank_of = int(rm.group(1)), int(rm.group(2))
    if not (1 <= rank <= rank_of <= 100):
        return None
    seg_a = ranks[i - 1].end() if i else 0  # this rank's part of the sentence
    seg_b = ranks[i + 1].start() if i + 1 < len(ranks) else len(sent)
    before = sent[seg_a : rm.start()]
    cut = max(before.rfind(";"), before.rfind(":"))
    clause_a = seg_a + cut + 1 if cut >= 0 else seg_a  # after the last ';' or ':' before the rank
    pre = sent[clause_a : rm.start()]
    mentions = list(INDEX_RE.finditer(pre))
    fld = match_field(pre, PAR_FIELDS)
    index: str | None = None
    scope = "overall"
    if mentions:
        index = index_of_match(mentions[-1])
        if index == "PAR" and fld and fld[3] > mentions[-1].end():
            scope = "field"  # "Chỉ số CCHC ... lĩnh vực Cải cách thể chế xếp thứ"
        m0 = next(m for m in mentions if index_of_match(m) == index)
        if not re.search(r"\b[Nn]ăm\s+\d{4}\b", pre[: m0.start()]):
            clause_a += m0.start()  # quote from the index name
    elif fld:
        index, scope = "PAR", "field"
    else:
        clause_a = seg_a  # "Tổng số đạt 12,3/15 điểm; ...; xếp thứ 48/63": keep the score in the quote
        for head in section_chain(sections, text, base + rm.start()):
            hf = match_field(head, PAR_FIELDS)
            if hf:
                index, scope, fld = "PAR", "field", hf
                break
            hm = list(INDEX_RE.finditer(head))
            if hm:
                index = index_of_match(hm[-1])
                break
    if index is None:
        return None
    if scope != "field":
        fld = None
    # signed change: right after the rank, else the last one before it in the clause
    change_m = CHANGE_RE.search(sent, rm.end(), seg_b)
    if change_m is not None and change_m.start() - rm.end() > 60:
        change_m = None
    after_rank = change_m is not None
    if change_m is None:
        cms = list(CHANGE_RE.finditer(sent, clause_a, rm.start()))
        change_m = cms[-1] if cms else None
    change: int | None = None
    if change_m is not None:
        change = 0 if change_m.group(3) else int(change_m.group(2)) * (1 if change_m.group(1).lower() == "tăng" else -1)
    # quote end: after the change (and a closing parenthesis), up to ';', '.', or a new clause
    q_end = change_m.end() if (change_m is not None and after_rank) else rm.end()
    stop = re.compile(r";|\.\s|\.$|\s+do\s").search(sent, q_end, seg_b)
    q_end = stop.start() if stop else seg_b
    if sent.count("(", clause_a, q_end) > sent.count(")", clause_a, q_end):
        close = sent.find(")", q_end, seg_b)
        if close >= 0:
            q_end = close + 1
    # year: "so với năm Y" in this clause -> Y+1; else the last "năm Y" before the rank; else headings
    year: int | None = None
    vs = re.search(r"so\s+với\s+năm\s+((?:19|20)\d\d)", sent[clause_a:seg_b], re.I)
    if vs:
        year = int(vs.group(1)) + 1
    else:
        ys = [y for y in YEAR_RE.finditer(sent[: rm.start()]) if not y.group(1)]
        if ys:
            year = int(ys[-1].group(2))
        else:
            for head in section_chain(sections, text, base):
                hy = YEAR_RE.search(head)
                if hy and not hy.group(1):
                    year = int(hy.group(2))
                    break
    year = year or default_year
    if year is None:
        return None
    pm = list(PROVINCE_RE.finditer(sent[: rm.start()]))
    prov = pm[-1].group(1) if pm else doc_province
    if not prov:
        return None
    score = max_score = None
    sm = list(SCORE_RE.finditer(sent, clause_a, rm.start()))
    if sm:
        score, max_score = parse_number(sm[-1].group(1)), parse_number(sm[-1].group(2))
    a, b = trim_span(text, base + clause_a, base + q_end)
    logger.debug("rank statement: %s %s %s %s/%s", index, year, prov, rank, rank_of)
    return ExtractedResult(
        index=index, year=year, province=prov, scope=scope,
        field=fld[1] if fld else None, field_order=fld[0] if fld else None,
        score=score, max_score=max_score, rank=rank, rank_of=rank_of, rank_change=change,
        derived=False, quote=Found(a, b),
    )


def _components(
    text: str, sections: list[SectionInfo], province: str | None, default_year: int | None,
    found: list[ExtractedResult],
) -> list[ExtractedResult]:
    """SIPAS components: ``Chỉ số hài lòng về <component> đạt X/Y điểm``."""
    out: list[ExtractedResult] = []
    sipas = [r for r in found if r.index == "SIPAS" and r.scope == "overall" and r.province == province]
    pat = re.compile(rf"Chỉ\s+số\s+hài\s+lòng\s+về\s+(?P<name>[^\n]{{3,120}}?)\s+đạt\s+({NUM})\s*/\s*({NUM})\s*điểm", re.I)
    for m in pat.finditer(text):
        comp = match_field(m.group("name"), SIPAS_COMPONENTS)
        if comp is None or not province:
            continue
        year = None
        near = [r for r in sipas if r.quote.start <= m.start()]
        if near:
            year = near[-1].year
        year = year or default_year
        if year is None:
            continue
        a, b = line_at(text, m.start())
        a, b = trim_span(text, a, b)
        out.append(
            ExtractedResult(
                index="SIPAS", year=year, province=province, scope="component", field=comp[1],
                field_order=comp[0], score=parse_number(m.group(2)), max_score=parse_number(m.group(3)),
                rank=None, rank_of=None, rank_change=None, derived=False, quote=Found(a, b),
            )
        )
    return out


def _dedupe(results: list[ExtractedResult]) -> list[ExtractedResult]:
    """One result per key and value within a document: a restatement with the same numbers is merged
    into the first (fuller) statement; different numbers are kept (and flagged as a conflict later)."""
    out: list[ExtractedResult] = []
    for r in results:
        same = [o for o in out if o.key == r.key]
        if any(_agrees(o, r) for o in same):
            for o in same:
                if _agrees(o, r):
                    o.score = o.score if o.score is not None else r.score
                    o.max_score = o.max_score if o.max_score is not None else r.max_score
                    o.rank_change = o.rank_change if o.rank_change is not None else r.rank_change
            continue
        out.append(r)
    return out


def _agrees(a: ExtractedResult, b: ExtractedResult) -> bool:
    def eq(x: float | int | None, y: float | int | None) -> bool:
        return x is None or y is None or abs(float(x) - float(y)) < 1e-9

    return (eq(a.rank, b.rank) and eq(a.rank_of, b.rank_of) and eq(a.score, b.score)
            and eq(a.rank_change, b.rank_change))


def _derived(results: list[ExtractedResult]) -> list[ExtractedResult]:
    out = []
    for r in results:
        if r.derived or r.rank is None or r.rank_of is None or r.rank_change is None:
            continue
        prev = r.rank + r.rank_change  # up 12 to 14th: it was 26th
        if not 1 <= prev <= r.rank_of:
            continue
        out.append(
            ExtractedResult(
                index=r.index, year=r.year - 1, province=r.province, scope=r.scope, field=r.field,
                field_order=r.field_order, score=None, max_score=None, rank=prev, rank_of=r.rank_of,
                rank_change=None, derived=True, quote=r.quote,
                note=f"suy ra từ thứ hạng năm {r.year} ({r.rank}/{r.rank_of}, {change_text(r.rank_change)})",
            )
        )
    return out


def change_text(c: int) -> str:
    return "giữ nguyên" if c == 0 else (f"tăng {c} bậc" if c > 0 else f"giảm {-c} bậc")
