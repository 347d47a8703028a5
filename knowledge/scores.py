"""Index results: store, query, import from tables, conflict flags, leaders' summaries and score answers.

- :func:`refresh_from_documents` re-extracts results from every stored document (rules in
  ``ingest.facts.scores``); imported rows are kept.
- :func:`import_table` reads a CSV or XLSX table (columns below), validates every row and imports all
  rows or none; re-importing the same file (or the same index/year/province/field) replaces the rows.
- :func:`query` / :func:`result_dict`: results by index, year, province, field (the ``cchc scores`` JSON).
- :func:`summarize`: the ``/diem`` and ``cchc summary`` text (Vietnamese, each number with its source)
  and an optional PNG chart.
- :func:`answer_score_question`: an :class:`~knowledge.answer.Answer` for "PAR INDEX 2024 của Hưng Yên
  đứng thứ mấy?" from the structured results, or ``None`` to fall back to text retrieval.

Import columns (header row; Vietnamese headers accepted, diacritics optional, any order):
``index`` (chỉ số: PAR INDEX, SIPAS, PAPI, PCI, ICT INDEX, Chỉ số CCHC...), ``year`` (năm), ``province``
(tỉnh), optional ``scope`` (phạm vi: overall/tổng thể, field/lĩnh vực, component/thành phần), ``field``
(lĩnh vực / thành phần), ``score`` (điểm, ``83,52`` or ``83.52``), ``max_score`` (điểm tối đa),
``rank`` (thứ hạng, ``47`` or ``47/63``), ``rank_of`` (trên tổng số), ``rank_change`` (thay đổi:
``+12``, ``-3``, ``tăng 12``, ``giảm 3``, ``giữ nguyên``), ``source`` (nguồn), ``note`` (ghi chú).
"""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from cchc.errors import CchcError, ImportRowsError
from ingest.facts.scores import (
    INDEX_ALIASES,
    INDEX_CODES,
    INDEX_LABELS,
    PAR_FIELDS,
    SIPAS_COMPONENTS,
    SectionInfo,
    extract,
    match_field,
)
from ingest.tables import read_rows
from knowledge.answer import Answer, Citation
from knowledge.db import Database
from knowledge.models import Document, Passage, Section
from knowledge.score_models import Deduction, IndexResult, ScoreTarget
from knowledge.text import fold, nfc, squash_ws

logger = logging.getLogger(__name__)

OVERALL_MAX = {"PAR": 100.0, "SIPAS": 10.0}


# =========================================================================== refresh
def refresh_from_documents(db: Database, documents: Collection[int] | None = None) -> dict[str, int]:
    """Re-extract index results and targets from all stored documents, or only from ``documents``
    (ids, after an ingest) (idempotent).

    Rows extracted earlier from those documents are replaced; imported rows are kept. Conflicts are
    re-flagged across all results.
    """
    t0 = time.perf_counter()
    n_res = n_ded = n_tgt = 0
    with db.session() as s:
        old_res = delete(IndexResult).where(IndexResult.origin == "document")
        old_tgt = delete(ScoreTarget).where(ScoreTarget.origin == "document")
        docs_q = select(Document).order_by(Document.id)
        if documents is not None:
            ids = list(documents)
            old_res = old_res.where(IndexResult.document_id.in_(ids))
            old_tgt = old_tgt.where(ScoreTarget.document_id.in_(ids))
            docs_q = docs_q.where(Document.id.in_(ids))
        s.execute(old_res)
        s.execute(old_tgt)
        for doc in s.scalars(docs_q):
            secs = list(s.execute(select(Section.start, Section.path).where(Section.document_id == doc.id)
                                  .order_by(Section.ordinal)))
            infos = [SectionInfo(a, p) for a, p in secs]
            spans = list(s.execute(select(Passage.start, Passage.end, Passage.section_path)
                                   .where(Passage.document_id == doc.id).order_by(Passage.start)))
            try:
                ex = extract(doc.text, infos, province=doc.province, doc_date=doc.date, title=doc.title)
            except Exception:  # one odd document must not stop the others
                logger.exception("score extraction failed for %s", doc.source)
                continue
            for r in ex.results:
                row = IndexResult(
                    index_name=r.index, year=r.year, province=r.province, scope=r.scope, field=r.field,
                    field_order=r.field_order, score=r.score, max_score=r.max_score, rank=r.rank,
                    rank_of=r.rank_of, rank_change=r.rank_change, derived=r.derived, origin="document",
                    document_id=doc.id, source=doc.source, section=_section_path(secs, r.quote.start, spans),
                    quote=doc.text[r.quote.start : r.quote.end], quote_start=r.quote.start,
                    quote_end=r.quote.end, conflict=False, note=r.note,
                )
                for i, d in enumerate(r.deductions):
                    row.deductions.append(
                        Deduction(
                            ordinal=i, parent_ordinal=d.parent, level=d.level, amount=d.amount, reason=d.reason,
                            agency=d.agency, agency_inherited=d.agency_inherited,
                            quote=doc.text[d.quote.start : d.quote.end], quote_start=d.quote.start,
                            quote_end=d.quote.end, note=d.note,
                        )
                    )
                    n_ded += 1
                s.add(row)
                n_res += 1
            for t in ex.targets:
                s.add(
                    ScoreTarget(
                        index_name=t.index, province=t.province, kind=t.kind, value_min=t.value_min,
                        value_max=t.value_max, year_from=t.year_from, year_to=t.year_to, base_year=t.base_year,
                        origin="document", document_id=doc.id, source=doc.source,
                        section=_section_path(secs, t.quote.start, spans), quote=doc.text[t.quote.start : t.quote.end],
                        quote_start=t.quote.start, quote_end=t.quote.end,
                    )
                )
                n_tgt += 1
        s.flush()
        n_conf = _flag_conflicts(s)
    logger.info("index results refreshed: %d results, %d deductions, %d targets, %d in conflict (%.0f ms)",
                n_res, n_ded, n_tgt, n_conf, (time.perf_counter() - t0) * 1000)
    return {"results": n_res, "deductions": n_ded, "targets": n_tgt, "conflicts": n_conf}


def _section_path(secs: list[Any], pos: int, spans: Collection[Any] = ()) -> str:
    """The section path of the passage holding ``pos`` (sections own only their own paragraphs: a
    paragraph after a bullet list belongs to the enclosing section), else the last section started."""
    for a, b, path in spans:
        if a <= pos < b:
            return str(path)
    best = ""
    for a, p in secs:
        if a <= pos:
            best = p
        else:
            break
    return best or "Phần mở đầu"


def _flag_conflicts(s: Session) -> int:
    """Mark every result whose index/year/province/field has different numbers in different sources."""
    groups: dict[tuple[Any, ...], list[IndexResult]] = defaultdict(list)
    for r in s.scalars(select(IndexResult)):
        groups[(r.index_name, r.year, r.province, r.scope, r.field)].append(r)
    n = 0
    for rows in groups.values():
        bad = False
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                if (a.source, a.derived) == (b.source, b.derived) and a.source and not a.derived:
                    same_source = a.quote_start != b.quote_start  # two statements in one document
                else:
                    same_source = False
                differs = (_neq(a.rank, b.rank) or _neq(a.rank_of, b.rank_of) or _neq(a.score, b.score))
                if differs and (a.source != b.source or a.derived != b.derived or same_source):
                    bad = True
        for r in rows:
            r.conflict = bad
        n += len(rows) if bad else 0
    return n


def _neq(x: float | int | None, y: float | int | None) -> bool:
    return x is not None and y is not None and abs(float(x) - float(y)) > 1e-9


# =========================================================================== query
def resolve_index(name: str) -> str | None:
    """'PAR INDEX', 'chỉ số cchc', 'papi' ... -> code; None when unknown."""
    key = re.sub(r"[\s_-]+", " ", fold(nfc(name)).strip())
    if key.upper() in INDEX_CODES:
        return key.upper()
    return INDEX_ALIASES.get(key)


def query(
    db: Database,
    *,
    index: str | None = None,
    year: int | None = None,
    province: str | None = None,
    field_name: str | None = None,
    include_derived: bool = True,
) -> list[dict[str, Any]]:
    """Results as JSON-ready dicts (see the ``cchc scores`` contract), ordered by province, year, index."""
    with db.session() as s:
        stmt = select(IndexResult)
        if index:
            code = resolve_index(index)
            if code is None:
                raise CchcError(f"Không nhận ra chỉ số '{index}'. Dùng một trong: {', '.join(INDEX_LABELS.values())}.")
            stmt = stmt.where(IndexResult.index_name == code)
        if year is not None:
            stmt = stmt.where(IndexResult.year == year)
        if not include_derived:
            stmt = stmt.where(IndexResult.derived.is_(False))
        rows = list(s.scalars(stmt))
        if province:
            want = _prov_key(province)
            rows = [r for r in rows if _prov_key(r.province) == want]
        if field_name:
            fk = fold(field_name)
            rows = [r for r in rows if r.field and fk in fold(r.field)]
        rows.sort(key=lambda r: (r.province, r.year, INDEX_CODES.index(r.index_name) if r.index_name in INDEX_CODES
                                 else 9, r.scope != "overall", r.field_order or 0, r.derived))
        titles = _titles(s, {r.document_id for r in rows if r.document_id})
        return [result_dict(r, titles.get(r.document_id or -1)) for r in rows]


def targets(db: Database, *, province: str | None = None, index: str | None = None) -> list[dict[str, Any]]:
    with db.session() as s:
        rows = list(s.scalars(select(ScoreTarget).order_by(ScoreTarget.id)))
        code = resolve_index(index) if index else None
        return [
            {"index": t.index_name, "province": t.province, "kind": t.kind, "value_min": t.value_min,
             "value_max": t.value_max, "year_from": t.year_from, "year_to": t.year_to, "base_year": t.base_year,
             "source": t.source, "section": t.section, "quote": t.quote}
            for t in rows
            if (province is None or _prov_key(t.province) == _prov_key(province)) and (code is None or t.index_name == code)
        ]


def result_dict(r: IndexResult, document: str | None = None) -> dict[str, Any]:
    return {
        "index": r.index_name,
        "index_label": INDEX_LABELS.get(r.index_name, r.index_name),
        "year": r.year,
        "province": r.province,
        "scope": r.scope,
        "field": r.field,
        "score": r.score,
        "max_score": r.max_score,
        "rank": r.rank,
        "rank_of": r.rank_of,
        "rank_change": r.rank_change,
        "derived": r.derived,
        "conflict": r.conflict,
        "origin": r.origin,
        "source": r.source,
        "document": document,
        "section": r.section,
        "quote": r.quote,
        "note": r.note,
        "deductions": [
            {"amount": d.amount, "reason": d.reason, "agency": d.agency, "agency_inherited": d.agency_inherited,
             "level": d.level, "parent": d.parent_ordinal, "quote": d.quote, "note": d.note}
            for d in r.deductions
        ],
    }


def _titles(s: Session, ids: set[int]) -> dict[int, str]:
    from knowledge.store import display_title, metadata_only

    if not ids:
        return {}
    docs = s.scalars(select(Document).options(metadata_only()).where(Document.id.in_(ids)))
    return {d.id: display_title(d) for d in docs}


def _prov_key(name: str) -> str:
    k = fold(nfc(name)).strip()
    k = re.sub(r"^(tinh|thanh pho|tp\.?)\s+", "", k)
    return re.sub(r"\s+", " ", k)


# =========================================================================== import
_HEADERS: dict[str, tuple[str, ...]] = {
    "index": ("index", "chi so", "ten chi so", "chi so (index)"),
    "year": ("year", "nam", "nam danh gia"),
    "province": ("province", "tinh", "tinh/thanh pho", "tinh, thanh pho", "dia phuong", "tinh thanh"),
    "scope": ("scope", "pham vi", "cap do", "loai"),
    "field": ("field", "linh vuc", "thanh phan", "linh vuc/thanh phan", "noi dung", "chi so thanh phan"),
    "score": ("score", "diem", "diem so", "diem dat", "tong diem"),
    "max_score": ("max_score", "max score", "diem toi da"),
    "rank": ("rank", "thu hang", "xep hang", "hang", "xep thu"),
    "rank_of": ("rank_of", "rank of", "tren tong so", "tong so tinh", "so tinh", "tong so"),
    "rank_change": ("rank_change", "rank change", "thay doi", "tang/giam", "tang giam", "thay doi (bac)",
                    "tang/giam (bac)", "tang giam bac"),
    "source": ("source", "nguon", "nguon so lieu"),
    "note": ("note", "ghi chu"),
}
_SCOPES = {"overall": "overall", "tong the": "overall", "chung": "overall", "tong": "overall", "field": "field",
           "linh vuc": "field", "component": "component", "thanh phan": "component", "chi so thanh phan": "component"}


@dataclass
class ImportReport:
    file: str
    imported: int
    replaced: int

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "imported": self.imported, "replaced": self.replaced}


def read_table(path: Path) -> list[tuple[int, list[str]]]:
    """(row number, cells as text) of a CSV or XLSX file, header included (row 1). Raises CchcError."""
    return [(n, ["" if v is None else _cell(v) for v in row]) for n, row in read_rows(path)]


def _cell(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def import_table(db: Database, path: Path) -> ImportReport:
    """Validate every row, then import all rows in one transaction (or none, with row-numbered errors)."""
    rows = read_table(path)
    rows = [(n, cells) for n, cells in rows if any(c.strip() for c in cells)]
    if not rows:
        raise CchcError(f"{path.name}: tệp trống")
    header_n, header = rows[0]
    cols: dict[str, int] = {}
    problems: list[str] = []
    for j, h in enumerate(header):
        key = re.sub(r"\s+", " ", fold(nfc(h)).strip())
        name = next((k for k, alts in _HEADERS.items() if key in alts), None)
        if name is None and key:
            problems.append(f"Dòng {header_n}: cột '{h}' không được hỗ trợ (các cột: {', '.join(_HEADERS)})")
        elif name is not None:
            if name in cols:
                problems.append(f"Dòng {header_n}: cột '{h}' bị lặp")
            cols[name] = j
    for req in ("index", "year", "province"):
        if req not in cols:
            problems.append(f"Dòng {header_n}: thiếu cột bắt buộc '{req}' ({'/'.join(_HEADERS[req][:2])})")
    if problems:
        raise ImportRowsError(problems, path=str(path))
    parsed: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for n, cells in rows[1:]:
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            problems.append(f"Dòng {n}: có {len(cells)} ô, nhiều hơn {len(header)} cột của tiêu đề")
            continue
        get = {k: (cells[j].strip() if j < len(cells) else "") for k, j in cols.items()}
        rec, errs = _validate_row(get)
        if errs:
            problems.extend(f"Dòng {n}: {e}" for e in errs)
            continue
        nat = (rec["index"], rec["year"], _prov_key(rec["province"]), rec["scope"], rec["field"])
        if nat in seen:
            problems.append(f"Dòng {n}: trùng với dòng {seen[nat]} (cùng chỉ số, năm, tỉnh, lĩnh vực)")
            continue
        seen[nat] = n
        rec["row"] = n
        rec["raw"] = "; ".join(f"{header[j]}={cells[j]}" for j in range(min(len(cells), len(header))) if cells[j])
        parsed.append(rec)
    if problems:
        raise ImportRowsError(problems, path=str(path))
    if not parsed:
        raise CchcError(f"{path.name}: không có dòng dữ liệu nào dưới tiêu đề")
    replaced = 0
    with db.session() as s:
        old = list(s.scalars(select(IndexResult).where(IndexResult.origin == "import").where(
            or_(IndexResult.source == path.name, IndexResult.index_name.in_({r["index"] for r in parsed})))))
        keys = set(seen)
        for o in old:
            if o.source == path.name or (o.index_name, o.year, _prov_key(o.province), o.scope, o.field) in keys:
                s.delete(o)
                replaced += 1
        s.flush()
        for rec in parsed:
            s.add(
                IndexResult(
                    index_name=rec["index"], year=rec["year"], province=rec["province"], scope=rec["scope"],
                    field=rec["field"], field_order=rec["field_order"], score=rec["score"], max_score=rec["max_score"],
                    rank=rec["rank"], rank_of=rec["rank_of"], rank_change=rec["rank_change"], derived=False,
                    origin="import", document_id=None, source=path.name, section=f"dòng {rec['row']}",
                    quote=rec["raw"], quote_start=None, quote_end=None, conflict=False,
                    note=rec["note"] or (f"nguồn: {rec['source']}" if rec["source"] else None),
                )
            )
        s.flush()
        _flag_conflicts(s)
    logger.info("imported %d index results from %s (%d replaced)", len(parsed), path.name, replaced)
    return ImportReport(path.name, len(parsed), replaced)


def _num(raw: str) -> float:
    t = raw.strip().replace(" ", "")
    if re.fullmatch(r"\d+,\d+", t):
        t = t.replace(",", ".")
    if not re.fullmatch(r"\d+(?:\.\d+)?", t):
        raise ValueError(raw)
    return float(t)


def _validate_row(get: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    errs: list[str] = []
    rec: dict[str, Any] = {"field_order": None, "note": get.get("note") or None, "source": get.get("source") or None}
    code = resolve_index(get.get("index", "")) if get.get("index") else None
    if not get.get("index"):
        errs.append("thiếu tên chỉ số")
    elif code is None:
        errs.append(f"không nhận ra chỉ số '{get['index']}' (dùng PAR INDEX, SIPAS, PAPI, PCI hoặc ICT INDEX)")
    rec["index"] = code
    y = get.get("year", "")
    if not re.fullmatch(r"\d{4}", y) or not 2000 <= int(y) <= 2100:
        errs.append(f"năm '{y}' không hợp lệ (cần 4 chữ số, ví dụ 2024)")
        rec["year"] = None
    else:
        rec["year"] = int(y)
    prov = squash_ws(nfc(get.get("province", "")))
    prov = re.sub(r"^(?:[Tt]ỉnh|[Tt]hành phố|TP\.?)\s+", "", prov)
    if not prov or not re.search(r"[^\W\d_]", prov):
        errs.append("thiếu tên tỉnh")
    rec["province"] = prov
    fld_raw = squash_ws(nfc(get.get("field", "")))
    scope_raw = fold(get.get("scope", "")).strip()
    scope = _SCOPES.get(scope_raw) if scope_raw else None
    if scope_raw and scope is None:
        errs.append(f"phạm vi '{get['scope']}' không hợp lệ (tổng thể, lĩnh vực hoặc thành phần)")
    if scope is None:
        scope = ("component" if code == "SIPAS" else "field") if fld_raw else "overall"
    if scope != "overall" and not fld_raw:
        errs.append("phạm vi lĩnh vực/thành phần cần cột 'lĩnh vực'")
    rec["scope"], rec["field"] = scope, (fld_raw or None)
    default_max = OVERALL_MAX.get(code or "") if scope == "overall" else None
    if fld_raw and code in ("PAR", "SIPAS"):
        table = PAR_FIELDS if code == "PAR" else SIPAS_COMPONENTS
        m = match_field(fld_raw, table)
        if m is None:
            errs.append(f"không nhận ra lĩnh vực '{fld_raw}' của {INDEX_LABELS[code]}")
        else:
            rec["field_order"], rec["field"], default_max = m[0], m[1], m[2]
    # score / max
    rec["score"] = rec["max_score"] = None
    for k in ("score", "max_score"):
        if get.get(k):
            try:
                rec[k] = _num(get[k])
            except ValueError:
                errs.append(f"{'điểm' if k == 'score' else 'điểm tối đa'} '{get[k]}' không phải là số")
    if rec["max_score"] is None and rec["score"] is not None:
        rec["max_score"] = default_max
    if rec["score"] is not None and rec["max_score"] is not None and rec["score"] > rec["max_score"] + 1e-9:
        errs.append(f"điểm {get.get('score')} lớn hơn điểm tối đa {_fmt(rec['max_score'])}")
    # rank
    rec["rank"] = rec["rank_of"] = None
    r_raw = get.get("rank", "").replace(" ", "")
    of_raw = get.get("rank_of", "").strip()
    if r_raw:
        m2 = re.fullmatch(r"(\d{1,3})(?:/(\d{1,3}))?", r_raw)
        if not m2:
            errs.append(f"thứ hạng '{get['rank']}' không hợp lệ (ví dụ 12 hoặc 12/63)")
        else:
            rec["rank"] = int(m2.group(1))
            of = m2.group(2) or of_raw
            if of and not of.isdigit():
                errs.append(f"tổng số tỉnh '{of}' không phải là số")
            elif of:
                rec["rank_of"] = int(of)
            elif rec["year"]:
                rec["rank_of"] = 63 if rec["year"] <= 2024 else 34  # 34 provinces after the 2025 merger
                inferred = f"tổng số tỉnh {rec['rank_of']} suy ra theo năm, bảng chỉ ghi thứ hạng"
                rec["note"] = f"{rec['note']}; {inferred}" if rec["note"] else inferred
            if rec["rank_of"] is not None and not 1 <= rec["rank"] <= rec["rank_of"] <= 100:
                errs.append(f"thứ hạng {rec['rank']}/{rec['rank_of']} không hợp lệ")
    if rec["rank"] is None and rec["score"] is None and not errs:
        errs.append("cần ít nhất thứ hạng hoặc điểm")
    # change
    rec["rank_change"] = None
    c_raw = fold(get.get("rank_change", "")).strip()
    if c_raw:
        mc = re.fullmatch(r"([+-]?)\s*(\d{1,2})(?:\s*bac)?|(tang|giam)\s+(\d{1,2})(?:\s*bac)?|(giu nguyen|0)", c_raw)
        if not mc:
            errs.append(f"thay đổi '{get['rank_change']}' không hợp lệ (ví dụ +12, -3, tăng 12, giảm 3, giữ nguyên)")
        elif mc.group(5):
            rec["rank_change"] = 0
        elif mc.group(3):
            rec["rank_change"] = int(mc.group(4)) * (1 if mc.group(3) == "tang" else -1)
        else:
            rec["rank_change"] = int(mc.group(2)) * (-1 if mc.group(1) == "-" else 1)
    return rec, errs


# =========================================================================== formatting
def _fmt(x: float | int | None) -> str:
    """83.52 -> '83,52' (Vietnamese decimal comma); 4.0 -> '4'."""
    if x is None:
        return "?"
    s = f"{float(x):.3f}".rstrip("0").rstrip(".")
    return s.replace(".", ",")


def _change(c: int | None, prev_year: int | None = None) -> str:
    if c is None:
        return ""
    since = f" so với {prev_year}" if prev_year else ""
    if c == 0:
        return f"giữ nguyên{since}"
    return f"▲ tăng {c} bậc{since}" if c > 0 else f"▼ giảm {-c} bậc{since}"


def _short_section(section: str) -> str:
    parts = [p.strip() for p in section.split(" > ") if re.search(r"\w", p)]
    return " > ".join(parts[-2:]) if parts else "phần mở đầu"


def _clip(text: str, n: int) -> str:
    text = squash_ws(text)
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


# =========================================================================== summary
@dataclass
class ScoreSummary:
    text: str
    chart_png: bytes | None = None
    province: str | None = None
    year: int | None = None
    index: str | None = None
    found: bool = True
    sources: list[dict[str, str]] = field(default_factory=list)
    took_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"province": self.province, "year": self.year, "index": self.index, "found": self.found,
                "text": self.text, "sources": self.sources, "took_ms": round(self.took_ms, 1)}


class _Cites:
    """Numbered sources: each number is one (document, section); documents are lettered once."""

    def __init__(self, titles: dict[int, str]) -> None:
        self.titles = titles
        self.keys: list[tuple[str, str]] = []
        self.docs: dict[str, str] = {}

    def ref(self, r: IndexResult | ScoreTarget) -> str:
        key = (r.source, r.section)
        if key not in self.keys:
            self.keys.append(key)
            if r.source not in self.docs:
                self.docs[r.source] = self.titles.get(r.document_id or -1, "") if r.document_id else "bảng số liệu nhập"
        return f"[{self.keys.index(key) + 1}]"

    def lines(self) -> list[str]:
        letters = {src: chr(ord("A") + i) for i, src in enumerate(self.docs)}
        out = [f"{letters[src]}: {title} ({src})" for src, title in self.docs.items()]
        out += [f"[{i}] {letters[k[0]]}, mục {_short_section(k[1])}" for i, k in enumerate(self.keys, 1)]
        return out

    def as_list(self) -> list[dict[str, str]]:
        return [{"ref": str(i), "source": k[0], "document": self.docs[k[0]], "section": k[1]}
                for i, k in enumerate(self.keys, 1)]


def _parse_args(args: str, provinces: list[str]) -> tuple[int | None, str | None, str | None, str | None, list[str]]:
    """(year, index code, province, bad_year_text, leftover words) from '/diem' arguments."""
    low = fold(nfc(args or "")).strip()
    year = None
    bad_year = None
    for m in re.finditer(r"\d+", low):
        if len(m.group(0)) == 4 and 1990 <= int(m.group(0)) <= 2100:
            year = int(m.group(0))
        else:
            bad_year = m.group(0)
    low = re.sub(r"\d+", " ", low)
    code = None
    for alias in sorted(INDEX_ALIASES, key=len, reverse=True):
        m2 = re.search(rf"(?<![a-z]){re.escape(alias)}(?![a-z])", low)
        if m2:
            code = INDEX_ALIASES[alias]
            low = low[: m2.start()] + " " + low[m2.end() :]
            break
    prov = None
    for p in sorted(provinces, key=len, reverse=True):
        pk = _prov_key(p)
        if pk and re.search(rf"(?<![a-z]){re.escape(pk)}(?![a-z])", low):
            prov = p
            low = low.replace(pk, " ")
            break
    left = [w for w in re.findall(r"[a-z]+", low) if w not in {"tinh", "nam", "chi", "so", "cua", "thanh", "pho", "diem"}]
    return year, code, prov, bad_year, left


def _availability(rows: list[IndexResult]) -> str:
    by: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        by[r.province].add(r.year)
    if not by:
        return "Chưa có kết quả chỉ số nào. Hãy nạp tài liệu (cchc ingest) hoặc nhập bảng (cchc scores import)."
    parts = [f"{p}: {', '.join(str(y) for y in sorted(ys))}" for p, ys in sorted(by.items())]
    return "Dữ liệu chỉ số hiện có — " + "; ".join(parts) + "."


def summarize(
    db: Database,
    *,
    args: str = "",
    year: int | None = None,
    province: str | None = None,
    index: str | None = None,
    home_province: str = "Hưng Yên",
    chart: bool = True,
) -> ScoreSummary:
    """The leader's summary of index results for one province and year (``/diem`` arguments accepted)."""
    t0 = time.perf_counter()
    with db.session() as s:
        rows = list(s.scalars(select(IndexResult)))
        tgts = list(s.scalars(select(ScoreTarget)))
        titles = _titles(s, {r.document_id for r in rows if r.document_id} | {t.document_id for t in tgts if t.document_id})
        provinces = sorted({r.province for r in rows} | {t.province for t in tgts})
        a_year, a_code, a_prov, bad_year, left = _parse_args(args, provinces)
        year = year if year is not None else a_year
        code = resolve_index(index) if index else a_code
        if index and code is None:
            return _done(ScoreSummary(f"Không nhận ra chỉ số '{index}'. Các chỉ số: "
                                      f"{', '.join(INDEX_LABELS.values())}.", found=False), t0)
        prov_in = province or a_prov
        if bad_year:
            return _done(ScoreSummary(f"Năm '{bad_year}' không hợp lệ. {_availability(rows)}", found=False), t0)
        if province is None and a_prov is None and left:
            return _done(ScoreSummary(f"Không có kết quả chỉ số cho '{' '.join(left)}'. {_availability(rows)}",
                                      found=False), t0)
        prov = prov_in or home_province
        prow = [r for r in rows if _prov_key(r.province) == _prov_key(prov)]
        if not prow:
            return _done(ScoreSummary(f"Không có kết quả chỉ số của tỉnh {prov}. {_availability(rows)}",
                                      province=prov, found=False), t0)
        prov = prow[0].province
        if code:
            prow_i = [r for r in prow if r.index_name == code]
            if not prow_i:
                have = sorted({INDEX_LABELS[r.index_name] for r in prow})
                return _done(ScoreSummary(f"Chưa có kết quả {INDEX_LABELS[code]} của tỉnh {prov}. "
                                          f"Các chỉ số có dữ liệu: {', '.join(have)}. {_availability(rows)}",
                                          province=prov, found=False), t0)
            prow = prow_i
        direct_years = sorted({r.year for r in prow if not r.derived})
        all_years = sorted({r.year for r in prow})
        if year is None:
            year = direct_years[-1] if direct_years else all_years[-1]
        if year not in all_years:
            return _done(ScoreSummary(f"Không có kết quả chỉ số năm {year} của tỉnh {prov}. {_availability(rows)}",
                                      province=prov, year=year, found=False), t0)
        cites = _Cites(titles)
        text = _compose_summary(prov, year, code, prow, [t for t in tgts if _prov_key(t.province) == _prov_key(prov)
                                                         and (code is None or t.index_name == code)],
                                home_province, cites)
        png = None
        if chart:
            from knowledge.score_chart import render_chart

            png = render_chart(prov, year, _trend(prow), _fields_lost(prow, year))
        out = ScoreSummary(text, png, prov, year, code, True, cites.as_list())
    return _done(out, t0)


def _done(s: ScoreSummary, t0: float) -> ScoreSummary:
    s.took_ms = (time.perf_counter() - t0) * 1000
    return s


def _pick(rows: list[IndexResult]) -> IndexResult:
    return sorted(rows, key=lambda r: (r.derived, r.origin != "document", r.score is None, r.id))[0]


def _compose_summary(
    prov: str, year: int, code: str | None, rows: list[IndexResult], tgts: list[ScoreTarget], home: str, cites: _Cites
) -> str:
    lines: list[str] = []
    head = f"📊 KẾT QUẢ CHỈ SỐ — TỈNH {prov.upper()} — NĂM {year}"
    lines.append(head)
    if _prov_key(prov) != _prov_key(home):
        lines.append(f"⚠ Số liệu của tỉnh {prov}, không phải tỉnh {home}.")
    codes = [code] if code else list(INDEX_CODES)
    missing = []
    for c in codes:
        cand = [r for r in rows if r.index_name == c and r.year == year and r.scope == "overall"]
        if not cand:
            missing.append(INDEX_LABELS[c])
            continue
        lines.append(_result_phrase(_pick(cand), cites))
    if missing:
        lines.append(f"• {', '.join(missing)}: chưa có kết quả năm {year} trong dữ liệu.")
    # detailed fields (most points lost first) and SIPAS components
    flds = [r for r in rows if r.year == year and r.scope == "field" and not r.derived]
    if flds:
        lines.append("")
        lines.append(f"🔎 {INDEX_LABELS[flds[0].index_name]} {year} theo lĩnh vực (mất nhiều điểm nhất trước):")
        by_field: dict[str, IndexResult] = {}
        for r in flds:
            by_field.setdefault(r.field or "", _pick([x for x in flds if x.field == r.field]))
        ordered = sorted(by_field.values(), key=lambda r: -((r.max_score or 0) - (r.score or 0)))
        for n, r in enumerate(ordered, 1):
            lines.extend(_field_lines(n, r, cites))
    comps = [r for r in rows if r.year == year and r.scope == "component" and not r.derived]
    if comps:
        uniq = {r.field: _pick([x for x in comps if x.field == r.field]) for r in comps}
        ordered_c = sorted(uniq.values(), key=lambda r: -((r.max_score or 0) - (r.score or 0)))
        lines.append("")
        lines.append(f"🔎 Thành phần SIPAS {year} (mất nhiều điểm nhất trước):")
        for r in ordered_c:
            rank = f", hạng {r.rank}/{r.rank_of}" if r.rank else ""
            lost = round((r.max_score or 0) - (r.score or 0), 3)
            lines.append(f"• {r.field}: {_fmt(r.score)}/{_fmt(r.max_score)} điểm (mất {_fmt(lost)}){rank} {cites.ref(r)}")
    # trend
    trend = _trend(rows)
    if any(len(v) > 1 for v in trend.values()):
        ys = sorted({y for v in trend.values() for y, _r, _d, _row in v})
        lines.append("")
        lines.append(f"📈 Diễn biến thứ hạng ({ys[0]}–{ys[-1]}):")
        any_derived = False
        for label, pts in trend.items():
            if len(pts) < 2:
                continue
            segs = []
            for y, rnk, der, _row in pts:
                any_derived |= der
                segs.append(f"{y}: {rnk}{'*' if der else ''}")
            refs = "".join(sorted({cites.ref(p[3]) for p in pts}))
            lines.append(f"• {label}: {' → '.join(segs)} {refs}")
        if any_derived:
            lines.append("(* suy ra từ mức tăng/giảm bậc nêu trong tài liệu)")
    # targets
    if tgts:
        lines.append("")
        lines.append("🎯 Mục tiêu:")
        lines.extend(_target_lines(tgts, rows, cites))
    lines.append("")
    lines.append("Nguồn:")
    lines.extend(cites.lines())
    return "\n".join(lines)


def _result_phrase(r: IndexResult, cites: _Cites) -> str:
    bits = []
    if r.rank is not None:
        bits.append(f"hạng {r.rank}/{r.rank_of}")
    if r.rank_change is not None:
        bits.append(_change(r.rank_change, r.year - 1))
    if r.score is not None:
        bits.append(f"{_fmt(r.score)}/{_fmt(r.max_score)} điểm")
    if r.derived:
        bits.append("suy ra từ thay đổi thứ hạng năm sau")
    line = f"• {INDEX_LABELS[r.index_name]}: {', '.join(bits)} {cites.ref(r)}"
    if r.conflict:
        line += "\n   ⚠ Các nguồn nêu số liệu khác nhau; xem: cchc scores"
    return line


def _field_lines(n: int, r: IndexResult, cites: _Cites) -> list[str]:
    lost = (r.max_score or 0) - (r.score or 0)
    bits = [f"{_fmt(r.score)}/{_fmt(r.max_score)} điểm (mất {_fmt(round(lost, 3))})"]
    if r.rank is not None:
        bits.append(f"hạng {r.rank}/{r.rank_of}")
    if r.rank_change is not None:
        bits.append(_change(r.rank_change).replace(" bậc", ""))
    out = [f"{n}. {r.field}: {', '.join(bits)} {cites.ref(r)}"]
    top = [d for d in r.deductions if d.level == 0]
    top.sort(key=lambda d: -(d.amount or 0))
    for d in top[:3]:
        amt = f"−{_fmt(d.amount)}" if d.amount is not None else "−?"
        out.append(f"   {amt}: {_clip(d.reason, 90)}")
    agencies: list[str] = []
    for d in r.deductions:
        if d.agency and d.agency not in agencies:
            agencies.append(d.agency)
    if agencies:
        out.append(f"   Trách nhiệm: {'; '.join(agencies)}")
    elif r.deductions:
        out.append("   Trách nhiệm: tài liệu không nêu cơ quan")
    return out


def _trend(rows: list[IndexResult]) -> dict[str, list[tuple[int, int, bool, IndexResult]]]:
    out: dict[str, list[tuple[int, int, bool, IndexResult]]] = {}
    for c in INDEX_CODES:
        pts = []
        for y in sorted({r.year for r in rows if r.index_name == c and r.scope == "overall" and r.rank is not None}):
            cand = [r for r in rows if r.index_name == c and r.scope == "overall" and r.year == y and r.rank is not None]
            p = _pick(cand)
            assert p.rank is not None
            pts.append((y, p.rank, p.derived, p))
        if pts:
            out[INDEX_LABELS[c]] = pts
    return out


def _fields_lost(rows: list[IndexResult], year: int) -> list[tuple[str, float]]:
    seen: dict[str, float] = {}
    for r in rows:
        if r.year == year and r.scope == "field" and not r.derived and r.score is not None and r.max_score is not None:
            seen.setdefault(r.field or "", round(r.max_score - r.score, 3))
    return sorted(seen.items(), key=lambda kv: -kv[1])


def _target_lines(tgts: list[ScoreTarget], rows: list[IndexResult], cites: _Cites) -> list[str]:
    groups: dict[tuple[Any, ...], list[ScoreTarget]] = defaultdict(list)
    for t in tgts:
        groups[(t.kind, t.value_min, t.value_max, t.year_from, t.year_to, t.base_year, t.source, t.quote_start)].append(t)
    out = []
    for (kind, vmin, vmax, yf, yt, base, _src, _q), ts in groups.items():
        names = ", ".join(INDEX_LABELS[t.index_name] for t in ts)
        when = f"Năm {yf}" if yf and yf == yt else (f"Giai đoạn {yf}–{yt}" if yf else "")
        if kind == "top":
            goal = f"nằm trong nhóm {vmax} địa phương dẫn đầu"
        elif kind == "rank_up":
            goal = f"tăng từ {vmin} đến {vmax} bậc so với năm {base}" if base else f"tăng từ {vmin} đến {vmax} bậc"
        else:
            goal = f"có điểm cao hơn năm {base}"
        out.append(f"• {when + ': ' if when else ''}{names} {goal} {cites.ref(ts[0])}")
        checks = [_target_check(t, rows, cites) for t in ts]
        out.append("   → " + "; ".join(checks) + ".")
    return out


def _target_check(t: ScoreTarget, rows: list[IndexResult], cites: _Cites) -> str:
    """How the latest result compares with a target (✓ met, ✗ not met)."""
    label = INDEX_LABELS[t.index_name]
    direct = [r for r in rows if r.index_name == t.index_name and r.scope == "overall" and not r.derived
              and r.rank is not None]
    if not direct:
        return f"{label}: chưa có kết quả"
    latest = _pick([r for r in direct if r.year == max(x.year for x in direct)])
    assert latest.rank is not None
    in_period = t.year_from is None or (t.year_from <= latest.year <= (t.year_to or t.year_from))
    lead = f"{label} {latest.rank}/{latest.rank_of} ({latest.year}{'' if in_period else ', gần nhất'}) {cites.ref(latest)}"
    if t.kind == "top" and t.value_max:
        return f"{lead} {'✓ đạt' if latest.rank <= t.value_max else '✗ chưa đạt'}"
    if t.kind == "rank_up" and latest.rank_change is not None and in_period:
        ok = (t.value_min or 0) <= latest.rank_change
        return f"{lead}, {_change(latest.rank_change)} {'✓ đạt' if ok else '✗ chưa đạt'}"
    if t.kind == "score_up":
        return f"{label}: chưa có điểm số để so sánh"
    return lead


# =========================================================================== answers
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
    from ingest.facts.scores import INDEX_RE, index_of_match

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
    table = PAR_FIELDS if code == "PAR" else SIPAS_COMPONENTS if code == "SIPAS" else None
    fld = match_field(q, table) if table else None
    if fld is not None and code == "SIPAS" and not re.search(r"hai long ve|thanh phan", low):
        fld = None
    with db.session() as s:
        rows = list(s.scalars(select(IndexResult).where(IndexResult.index_name == code)))
        provinces = sorted({r.province for r in rows})
        named = [p for p in provinces if re.search(rf"(?<![a-z]){re.escape(_prov_key(p))}(?![a-z])", low)]
        if len(named) > 1:
            return None
        if named:
            prov = named[0]
        else:
            if re.search(r"\btinh\s+[A-ZĐ]", q.replace("tỉnh", "tinh")):
                return None  # names a province we have no results for: let retrieval refuse or answer
            prov = home_province
        cand = [r for r in rows if _prov_key(r.province) == _prov_key(prov)
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
        shown = cand if conflict else [_pick(cand)]
        titles = _titles(s, {r.document_id for r in shown if r.document_id})
        lines = []
        citations = []
        for n, r in enumerate(shown, 1):
            lines.append(_answer_sentence(r) + f" [{n}]")
            citations.append(_citation(s, r, titles))
        if conflict:
            lines.insert(0, "Lưu ý: các nguồn nêu số liệu khác nhau:")
        text = "\n".join(lines)
        if _prov_key(prov) != _prov_key(home_province):
            text = f"Theo tài liệu của tỉnh {shown[0].province} (không phải tỉnh {home_province}):\n{text}"
        return Answer(q, text, False, citations, (time.perf_counter() - t0) * 1000)


def _answer_sentence(r: IndexResult) -> str:
    what = INDEX_LABELS[r.index_name] if r.scope == "overall" else f"{r.field} ({INDEX_LABELS[r.index_name]})"
    bits = []
    if r.score is not None:
        bits.append(f"đạt {_fmt(r.score)}/{_fmt(r.max_score)} điểm")
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

