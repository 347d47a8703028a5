"""A task schedule sheet (CSV/XLSX) -> validated rows: header aliases, agencies resolved against the
registry, dates, statuses and recurrences parsed. Pure: never opens the database; the caller writes.

Every problem is collected with its row number; :func:`parse_schedule` raises one ``ImportRowsError``
listing them, so a bad sheet imports nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from core.agencies import Registry, fold_aligned
from core.errors import ImportRowsError
from core.text import squash_ws
from core.vocabulary import TODO
from ingest.facts.deadlines import find_recurrence, parse_date_cell
from ingest.limits import Limits
from ingest.tables import read_rows

logger = logging.getLogger(__name__)


COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("mã", "mã nhiệm vụ", "ma", "code", "stt/mã", "số hiệu"),
    "title": ("nhiệm vụ", "nội dung", "nội dung nhiệm vụ", "tên nhiệm vụ", "task", "title"),
    "lead": ("cơ quan chủ trì", "đơn vị chủ trì", "chủ trì", "lead", "agency"),
    "support": ("cơ quan phối hợp", "đơn vị phối hợp", "phối hợp", "support"),
    "due": ("hạn hoàn thành", "thời hạn", "hạn", "deadline", "due"),
    "owner": ("người phụ trách", "cán bộ phụ trách", "phụ trách", "owner"),
    "doc_ref": ("văn bản giao", "căn cứ", "văn bản", "source"),
    "status": ("trạng thái", "tình trạng", "status"),
    "recurrence": ("lặp lại", "định kỳ", "recurrence"),
}
_REQUIRED = ("code", "title", "lead")
_STATUS_ALIASES = {
    "chua lam": "chưa làm", "chua thuc hien": "chưa làm", "moi": "chưa làm", "": "chưa làm",
    "dang lam": "đang làm", "dang thuc hien": "đang làm",
    "hoan thanh": "hoàn thành", "da hoan thanh": "hoàn thành", "xong": "hoàn thành", "done": "hoàn thành",
}
_RECUR_ALIASES = {"hang nam": "hằng năm", "hang quy": "hằng quý", "hang thang": "hằng tháng",
                  "6 thang": "6 tháng", "hang tuan": "hằng tuần", "": ""}
MAX_ROWS = 200_000


def _fold_header(h: object) -> str:
    return re.sub(r"\s+", " ", fold_aligned(str(h or "")).strip().strip(":*")).strip()


def _header_map(header: list[object]) -> dict[str, int]:
    aliases = {_fold_header(a): k for k, al in COLUMNS.items() for a in al}
    out: dict[str, int] = {}
    for i, h in enumerate(header):
        k = aliases.get(_fold_header(h))
        if k and k not in out:
            out[k] = i
    return out


def _cell(row: list[object], idx: int | None) -> object:
    if idx is None or idx >= len(row):
        return None
    v = row[idx]
    return v.strip() if isinstance(v, str) else v


@dataclass
class ScheduleRow:
    n: int
    code: str
    title: str
    lead: list[int]
    lead_names: list[str]
    support: list[int]
    support_names: list[str]
    due: date | None
    due_text: str | None
    owner: str | None
    doc_ref: str | None
    status: str
    recurrence: str | None


def _split_agencies(v: object) -> list[str]:
    return [x.strip() for x in re.split(r"[;\n]+", str(v or "")) if x.strip()]


@dataclass
class ParsedSchedule:
    rows: list[ScheduleRow] = field(default_factory=list)
    count: int = 0  # data rows read (blank rows excluded)
    skipped_blank: int = 0


def parse_schedule(path: Path, reg: Registry, limits: Limits | None = None) -> ParsedSchedule:
    """Read and validate every row; any problem -> ImportRowsError with row-numbered problems."""
    out = ParsedSchedule()
    problems: list[str] = []
    codes: dict[str, int] = {}
    header: dict[str, int] | None = None
    for n, cells in read_rows(path, limits):
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            out.skipped_blank += 1
            continue
        if header is None:
            header = _header_map(cells)
            missing = [COLUMNS[k][0] for k in _REQUIRED if k not in header]
            if missing:
                raise ImportRowsError([f"Dòng {n} (tiêu đề): thiếu cột {', '.join(repr(m) for m in missing)}. "
                                       f"Các cột nhận được: {', '.join(str(c) for c in cells if c)}"], path=str(path))
            continue
        out.count += 1
        if out.count > MAX_ROWS:
            raise ImportRowsError([f"Tệp có hơn {MAX_ROWS} dòng; hãy chia nhỏ."], path=str(path))
        r = _parse_row(n, cells, header, reg, problems)
        if r is None:
            continue
        if r.code in codes:
            problems.append(f"Dòng {n}: mã “{r.code}” trùng với dòng {codes[r.code]}")
            continue
        codes[r.code] = n
        out.rows.append(r)
    if header is None:
        raise ImportRowsError(["Tệp trống: không có dòng tiêu đề."], path=str(path))
    if problems:
        raise ImportRowsError(problems, path=str(path))
    return out


_RESOLVED: dict[tuple[int, str], Any] = {}


def _resolve_cached(reg: Registry, name: str) -> Any:
    key = (id(reg), name)
    if key not in _RESOLVED:
        if len(_RESOLVED) > 10_000:
            _RESOLVED.clear()
        _RESOLVED[key] = reg.resolve(name)
    return _RESOLVED[key]


def _parse_row(n: int, cells: list[object], h: dict[str, int], reg: Registry, problems: list[str]) -> ScheduleRow | None:
    before = len(problems)
    code = str(_cell(cells, h["code"]) or "").strip()
    if isinstance(_cell(cells, h["code"]), float) and float(code).is_integer():
        code = str(int(float(code)))
    title = squash_ws(str(_cell(cells, h["title"]) or ""))
    if not code:
        problems.append(f"Dòng {n}: thiếu mã nhiệm vụ (cột Mã)")
    elif len(code) > 90:
        problems.append(f"Dòng {n}: mã quá dài")
    if not title:
        problems.append(f"Dòng {n}: thiếu nội dung nhiệm vụ")
    lead: list[int] = []
    support: list[int] = []
    lead_names: list[str] = []
    support_names: list[str] = []
    for col, ids, names in (("lead", lead, lead_names), ("support", support, support_names)):
        for name in _split_agencies(_cell(cells, h.get(col))):
            a = _resolve_cached(reg, name)
            if a is None:
                sugg = reg.suggest(name)
                hint = f" (có phải: {', '.join(sugg)}?)" if sugg else ""
                problems.append(f"Dòng {n}: cơ quan “{name}” không có trong danh mục{hint}")
            else:
                ids.append(a.id)
                names.append(name)
    if not lead_names and not any(p.startswith(f"Dòng {n}: cơ quan") for p in problems[before:]):
        problems.append(f"Dòng {n}: thiếu cơ quan chủ trì")
    due: date | None = None
    raw_due = _cell(cells, h.get("due"))
    try:
        due = parse_date_cell(raw_due)
    except ValueError as exc:
        problems.append(f"Dòng {n}: hạn hoàn thành không hợp lệ: {exc}")
    due_text = raw_due if isinstance(raw_due, str) and raw_due else (due.strftime("%d/%m/%Y") if due else None)
    st_raw = fold_aligned(str(_cell(cells, h.get("status")) or "")).strip()
    status = _STATUS_ALIASES.get(st_raw)
    if status is None:
        problems.append(f"Dòng {n}: trạng thái “{_cell(cells, h.get('status'))}” không hợp lệ (chưa làm, đang làm, hoàn thành)")
    rc_raw = str(_cell(cells, h.get("recurrence")) or "")
    recurrence = _RECUR_ALIASES.get(fold_aligned(rc_raw).strip()) if rc_raw else None
    if rc_raw and recurrence is None:
        recurrence = find_recurrence(rc_raw) or find_recurrence("hằng " + rc_raw)
        if recurrence is None:
            problems.append(f"Dòng {n}: lặp lại “{rc_raw}” không hiểu (hằng năm, hằng quý, hằng tháng, 6 tháng)")
    if len(problems) > before:
        return None
    owner = _cell(cells, h.get("owner"))
    ref = _cell(cells, h.get("doc_ref"))
    return ScheduleRow(n, code, title, lead, lead_names, support, support_names, due, due_text,
                str(owner) if owner else None, str(ref) if ref else None, status or TODO, recurrence or None)


def row_agencies(r: ScheduleRow) -> list[tuple[int, str, str]]:
    return [(a, nm, "lead") for a, nm in zip(r.lead, r.lead_names, strict=True)] + \
           [(a, nm, "support") for a, nm in zip(r.support, r.support_names, strict=True)]
