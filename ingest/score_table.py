"""An index-result table (CSV/XLSX) -> validated records: header aliases (Vietnamese, diacritics
optional, any order), numbers with a decimal comma, ranks ``47`` or ``47/63``, signed changes.
Pure: never opens the database. Any problem -> one ``ImportRowsError`` with row-numbered problems.

Columns: ``index`` (chỉ số), ``year`` (năm), ``province`` (tỉnh), optional ``scope`` (phạm vi:
overall/tổng thể, field/lĩnh vực, component/thành phần), ``field`` (lĩnh vực / thành phần), ``score``
(điểm), ``max_score`` (điểm tối đa), ``rank`` (thứ hạng), ``rank_of`` (trên tổng số), ``rank_change``
(thay đổi: ``+12``, ``-3``, ``tăng 12``, ``giảm 3``, ``giữ nguyên``), ``source`` (nguồn), ``note`` (ghi chú).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import CchcError, ImportRowsError
from core.indices import INDEX_LABELS, INDICES, OVERALL_MAX, fields_of, match_field, resolve_index
from core.text import fmt_number, fold, nfc, province_key, squash_ws
from ingest.limits import Limits
from ingest.tables import read_rows

logger = logging.getLogger(__name__)


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



def read_table(path: Path, limits: Limits | None = None) -> list[tuple[int, list[str]]]:
    """(row number, cells as text) of a CSV or XLSX file, header included (row 1). Raises CchcError."""
    return [(n, ["" if v is None else _cell(v) for v in row]) for n, row in read_rows(path, limits)]


def _cell(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()



@dataclass
class ScoreTable:
    records: list[dict[str, Any]]  # validated rows: index, year, province, scope, field, score, ... row, raw
    keys: set[tuple[Any, ...]]  # (index, year, province key, scope, field) of every row


def parse_score_table(path: Path, limits: Limits | None = None) -> ScoreTable:
    """Validate every row of the table; any problem -> ImportRowsError listing row-numbered problems."""
    rows = read_table(path, limits)
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
        nat = (rec["index"], rec["year"], province_key(rec["province"]), rec["scope"], rec["field"])
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
    return ScoreTable(parsed, set(seen))


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
        errs.append(f"không nhận ra chỉ số '{get['index']}' (dùng {', '.join(INDEX_LABELS.values())})")
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
        scope = (INDICES[code].field_scope if code else "field") if fld_raw else "overall"
    if scope != "overall" and not fld_raw:
        errs.append("phạm vi lĩnh vực/thành phần cần cột 'lĩnh vực'")
    rec["scope"], rec["field"] = scope, (fld_raw or None)
    default_max = OVERALL_MAX.get(code or "") if scope == "overall" else None
    table = fields_of(code)
    if fld_raw and table:
        m = match_field(fld_raw, table)
        if m is None:
            errs.append(f"không nhận ra lĩnh vực '{fld_raw}' của {INDEX_LABELS[code or '']}")
        else:
            rec["field_order"], rec["field"], default_max = m[0], m[1], m[2]
    _validate_score(get, rec, errs, default_max)
    _validate_rank(get, rec, errs)
    if rec["rank"] is None and rec["score"] is None and not errs:
        errs.append("cần ít nhất thứ hạng hoặc điểm")
    _validate_change(get, rec, errs)
    return rec, errs


def _validate_score(get: dict[str, str], rec: dict[str, Any], errs: list[str], default_max: float | None) -> None:
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
        errs.append(f"điểm {get.get('score')} lớn hơn điểm tối đa {fmt_number(rec['max_score'])}")


def _validate_rank(get: dict[str, str], rec: dict[str, Any], errs: list[str]) -> None:
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


def _validate_change(get: dict[str, str], rec: dict[str, Any], errs: list[str]) -> None:
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
