"""Tasks: who must do what, by when.

- :func:`refresh_from_documents` re-extracts assigned tasks from every stored document (idempotent;
  imported schedule tasks and the status history of unchanged tasks are kept).
- :func:`import_schedule` loads a CSV/XLSX schedule (streamed, all-or-nothing, idempotent by code).
- :func:`tasks_for_agency`, :func:`tasks_due_between`, :func:`mark_done`, :func:`list_tasks` are what
  the CLI and the bot call; :func:`answer_responsibility_question` answers "<cơ quan> phải làm gì?".
Status ``quá hạn`` is derived: a task not done whose due date is before today.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, selectinload

from cchc.errors import CchcError, ImportRowsError, NotFoundError
from ingest.facts.deadlines import find_recurrence, parse_date_cell
from ingest.facts.tasks import DocInput, extract_tasks
from ingest.tables import read_rows
from knowledge.agencies import Registry, fold_aligned, load_registry
from knowledge.answer import Answer, Citation
from knowledge.db import Database
from knowledge.models import Document, Passage
from knowledge.task_models import OVERDUE, STATUSES, Task, TaskAgency, TaskStatusChange
from knowledge.text import nfc, squash_ws

logger = logging.getLogger(__name__)

DONE = "hoàn thành"
TODO = "chưa làm"


# --------------------------------------------------------------------------- views
@dataclass(frozen=True)
class TaskView:
    id: int
    code: str
    title: str
    agency: str | None  # lead, canonical name
    supporting: list[str]
    due: date | None
    due_text: str | None
    recurrence: str | None
    status: str
    source: str | None
    section: str | None
    quote: str | None
    leads: list[str] = field(default_factory=list)
    province: str | None = None
    document: str | None = None
    document_date: str | None = None
    owner: str | None = None
    origin: str = "document"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "code": self.code, "agency": self.agency, "agencies": self.leads,
            "supporting": self.supporting, "title": self.title,
            "due": self.due.isoformat() if self.due else None, "due_text": self.due_text,
            "recurrence": self.recurrence, "status": self.status, "source": self.source,
            "section": self.section, "quote": self.quote, "province": self.province, "owner": self.owner,
            "origin": self.origin,
        }


def derive_status(stored: str, due: date | None, today: date) -> str:
    if stored != DONE and due is not None and due < today:
        return OVERDUE
    return stored


def format_task_line(t: TaskView) -> str:
    """One line for a chat or terminal list: title, who leads/supports, deadline, status."""
    parts = [t.title]
    who = []
    if t.agency:
        who.append(f"chủ trì: {', '.join(t.leads) if len(t.leads) > 1 else t.agency}")
    if t.supporting:
        who.append(f"phối hợp: {', '.join(t.supporting)}")
    if who:
        parts.append("(" + "; ".join(who) + ")")
    if t.due:
        written = f" – “{t.due_text}”" if t.due_text else ""
        parts.append(f"– hạn {t.due:%d/%m/%Y}{written}")
    elif t.recurrence:
        parts.append(f"– {t.recurrence}")
    else:
        parts.append("– không ghi hạn")
    parts.append(f"[{t.status}]")
    return " ".join(parts)


def _doc_titles(s: Session) -> dict[int, tuple[str, str | None, str | None]]:
    from knowledge.store import display_title, metadata_only

    return {d.id: (display_title(d), d.date, d.province) for d in s.scalars(select(Document).options(metadata_only()))}


def _views(s: Session, tasks: list[Task], reg: Registry, today: date) -> list[TaskView]:
    titles = _doc_titles(s)
    out = []
    for t in tasks:
        leads = [_canon(reg, a) for a in t.agencies if a.role == "lead"]
        sup = [_canon(reg, a) for a in t.agencies if a.role == "support"]
        doc = titles.get(t.document_id) if t.document_id else None
        out.append(TaskView(
            id=t.id, code=t.code, title=t.title, agency=leads[0] if leads else None, supporting=sup,
            due=t.due, due_text=t.due_text, recurrence=t.recurrence,
            status=derive_status(t.status, t.due, today), source=t.source, section=t.section, quote=t.quote,
            leads=leads, province=t.province, document=doc[0] if doc else t.doc_ref,
            document_date=doc[1] if doc else None, owner=t.owner, origin=t.origin,
        ))
    return out


def _canon(reg: Registry, ta: TaskAgency) -> str:
    if ta.agency_id is not None and ta.agency_id in reg.agencies:
        return reg.get(ta.agency_id).name
    return ta.name


def _load(s: Session, *where: Any) -> list[Task]:
    q = select(Task).options(selectinload(Task.agencies)).order_by(Task.id)
    for w in where:
        q = q.where(w)
    return list(s.scalars(q))


# --------------------------------------------------------------------------- extraction
@dataclass
class RefreshReport:
    documents: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    kept: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def refresh_from_documents(db: Database, documents: Collection[int] | None = None) -> RefreshReport:
    """Re-extract the tasks of every stored document (or only of ``documents``, by id, after an
    ingest), in one transaction (see module docstring). Task codes hash the source and quote, so a
    partial refresh only touches the tasks of the documents it reads, plus those orphaned by a
    replaced document."""
    reg = load_registry(db)
    rep = RefreshReport()
    now = datetime.now(UTC)
    with db.session() as s:
        q = select(Document).order_by(Document.id)
        if documents is not None:
            q = q.where(Document.id.in_(list(documents)))
        docs = list(s.scalars(q))
        rep.documents = len(docs)
        extracted = []
        for d in docs:
            ps = [(p.id, p.start, p.end) for p in s.scalars(select(Passage).where(Passage.document_id == d.id))]
            for t in extract_tasks(DocInput(d.source, d.text, d.date, ps), reg):
                extracted.append((d, t))
        scope = [Task.origin == "document"]
        if documents is not None:
            scope.append(or_(Task.document_id.in_(list(documents)), Task.document_id.is_(None)))
        existing = {t.code: t for t in _load(s, *scope)}
        seen: set[str] = set()
        for d, et in extracted:
            if et.code in seen:
                continue
            seen.add(et.code)
            row = existing.get(et.code)
            if row is None:
                row = Task(code=et.code, origin="document", status=TODO, created_at=now)
                s.add(row)
                rep.added += 1
            else:
                rep.updated += 1
            row.title, row.due, row.due_text, row.recurrence = et.title, et.due, et.due_text, et.recurrence
            row.province, row.document_id, row.passage_id, row.source = d.province, d.id, et.passage_id, d.source
            row.section, row.quote, row.quote_start, row.quote_end = et.section, et.quote, et.start, et.end
            row.updated_at = now
            row.agencies.clear()
            s.flush()
            refs = [(r, "lead") for r in et.lead] + [(r, "support") for r in et.support]
            for i, (r, role) in enumerate(refs):
                row.agencies.append(TaskAgency(agency_id=r.agency_id, name=r.name, role=role, ordinal=i))
        stale = [code for code in existing if code not in seen]
        if stale:
            s.execute(delete(Task).where(Task.code.in_(stale)))
        rep.removed = len(stale)
    logger.info("tasks refreshed: %s", rep.as_dict())
    return rep


# --------------------------------------------------------------------------- queries
def _matching_task_ids(s: Session, reg: Registry, agency_id: int) -> dict[int, str]:
    """Task ids assigned to the agency (directly, through a group it belongs to, or to a predecessor
    it took over from), with the role: 'lead' or 'support'."""
    targets = {agency_id} | reg.groups_of(agency_id)
    rows = s.execute(select(TaskAgency.task_id, TaskAgency.role, TaskAgency.agency_id).where(TaskAgency.agency_id.in_(targets)))
    rank = {"lead": 0, "support": 1, "group": 2, "group-support": 3}
    out: dict[int, str] = {}
    for tid, role, aid in rows:
        r = role if aid == agency_id else ("group" if role == "lead" else "group-support")
        if tid not in out or rank[r] < rank[out[tid]]:
            out[tid] = r
    return out


@dataclass
class AgencyTasks:
    agency: str
    tasks: list[TaskView]
    roles: dict[int, str]
    successor_note: str | None
    home_province: str | None
    predecessors: list[str] = field(default_factory=list)

    def text(self, *, limit: int = 40) -> str:
        lines = [f"Nhiệm vụ của {self.agency} ({len(self.tasks)} nhiệm vụ):"]
        if self.successor_note:
            lines.append(f"Lưu ý: {self.successor_note}")
        if not self.tasks:
            lines.append("Chưa tìm thấy nhiệm vụ nào được giao trong các tài liệu và lịch công tác đã nạp.")
        groups: dict[str, list[TaskView]] = {}
        for t in self.tasks:
            groups.setdefault(t.document or t.source or "Lịch công tác", []).append(t)
        shown = 0
        for doc, items in groups.items():
            prov = items[0].province
            other = prov and self.home_province and prov != self.home_province
            head = f"\n📄 {doc}" + (f" — tài liệu của tỉnh {prov} (không phải tỉnh {self.home_province})" if other else "")
            lines.append(head)
            for t in items:
                if shown >= limit:
                    break
                shown += 1
                role = self.roles.get(t.id, "lead")
                mark = {"support": " (phối hợp)", "group": " (giao chung cho nhóm)", "group-support": " (nhóm phối hợp)"}.get(role, "")
                lines.append(f"{shown}. {format_task_line(t)}{mark}")
                if t.section:
                    lines.append(f"   Nguồn: {t.source} › {t.section}")
        if len(self.tasks) > shown:
            lines.append(f"... và {len(self.tasks) - shown} nhiệm vụ khác (xem: cchc tasks list --agency \"{self.agency}\").")
        return "\n".join(lines)


def _sort_key(t: TaskView, home: str | None) -> tuple[int, str, int]:
    other = 1 if (t.province and home and t.province != home) else 0
    d = t.document_date or ("9999" if t.origin == "sheet" else "")
    return (other, "".join(chr(0x10FFFF - ord(c)) for c in d), t.id)


def tasks_for_agency(db: Database, agency: str, *, today: date | None = None) -> AgencyTasks:
    """Tasks of an agency (and of the groups it belongs to), grouped by document newest first; the
    home province's documents first, other provinces' labelled. Unknown agency -> NotFoundError."""
    today = today or date.today()
    reg = load_registry(db)
    a = reg.require(agency)
    with db.session() as s:
        roles = _matching_task_ids(s, reg, a.id)
        for pred in reg.predecessors(a.id):  # responsibilities inherited from merged bodies
            for tid, role in _matching_task_ids(s, reg, pred.id).items():
                roles.setdefault(tid, role)
        tasks = _load(s, Task.id.in_(roles)) if roles else []
        views = _views(s, tasks, reg, today)
    rank = {"lead": 0, "support": 1, "group": 2, "group-support": 3}
    views.sort(key=lambda t: (*_sort_key(t, reg.province)[:2], rank.get(roles.get(t.id, "lead"), 0), t.id))
    return AgencyTasks(a.name, views, roles, reg.successor_note(a.id), reg.province,
                       [p.name for p in reg.predecessors(a.id)])


def tasks_due_between(db: Database, start: date, end: date, *, agency: str | None = None,
                      today: date | None = None, all_provinces: bool = False) -> list[TaskView]:
    """Tasks with a due date in [start, end] (home province and schedule tasks unless all_provinces)."""
    today = today or date.today()
    reg = load_registry(db)
    with db.session() as s:
        where = [Task.due.is_not(None), Task.due >= start, Task.due <= end]
        if agency:
            ids = _matching_task_ids(s, reg, reg.require(agency).id)
            where.append(Task.id.in_(ids))
        views = _views(s, _load(s, *where), reg, today)
    if not all_provinces and reg.province:
        views = [v for v in views if v.province in (None, reg.province)]
    return sorted(views, key=lambda v: (v.due or date.max, v.id))


def list_tasks(db: Database, *, agency: str | None = None, due_before: date | None = None,
               today: date | None = None) -> list[TaskView]:
    today = today or date.today()
    reg = load_registry(db)
    with db.session() as s:
        where: list[Any] = []
        if agency:
            a = reg.require(agency)
            ids = set(_matching_task_ids(s, reg, a.id))
            for pred in reg.predecessors(a.id):
                ids |= set(_matching_task_ids(s, reg, pred.id))
            where.append(Task.id.in_(ids))
        if due_before:
            where += [Task.due.is_not(None), Task.due < due_before]
        return _views(s, _load(s, *where), reg, today)


def get_task(db: Database, task_id: int, *, today: date | None = None) -> TaskView:
    reg = load_registry(db)
    with db.session() as s:
        rows = _load(s, Task.id == task_id)
        if not rows:
            raise NotFoundError(f"task {task_id}", user_message=f"Không có nhiệm vụ số {task_id}.")
        return _views(s, rows, reg, today or date.today())[0]


def set_status(db: Database, task_id: int, status: str, *, by: str, channel: str, note: str | None = None) -> TaskView:
    if status not in STATUSES:
        raise CchcError(f"Trạng thái “{status}” không hợp lệ; dùng: {', '.join(STATUSES)}.")
    with db.session() as s:
        t = s.get(Task, task_id)
        if t is None:
            raise NotFoundError(f"task {task_id}", user_message=f"Không có nhiệm vụ số {task_id}.")
        if t.status != status:
            s.add(TaskStatusChange(task_id=t.id, from_status=t.status, to_status=status, by=by, channel=channel,
                                   at=datetime.now(UTC), note=note))
            t.status = status
            t.updated_at = datetime.now(UTC)
    return get_task(db, task_id)


def mark_done(db: Database, task_id: int, *, by: str, channel: str) -> TaskView:
    """Mark a task done, recording who, when and from which channel."""
    return set_status(db, task_id, DONE, by=by, channel=channel)


def history(db: Database, task_id: int) -> list[dict[str, Any]]:
    with db.session() as s:
        if s.get(Task, task_id) is None:
            raise NotFoundError(f"task {task_id}", user_message=f"Không có nhiệm vụ số {task_id}.")
        rows = s.scalars(select(TaskStatusChange).where(TaskStatusChange.task_id == task_id).order_by(TaskStatusChange.id))
        return [{"from": r.from_status, "to": r.to_status, "by": r.by, "channel": r.channel,
                 "at": r.at.isoformat(), "note": r.note} for r in rows]


# --------------------------------------------------------------------------- schedule import
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


@dataclass
class ImportReport:
    path: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_blank: int = 0
    took_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


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
class _Row:
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


def import_schedule(db: Database, path: Path) -> ImportReport:
    """Import a schedule sheet. All rows are validated first; any problem -> ImportRowsError listing
    row-numbered problems and nothing is written. Re-importing updates tasks in place by code."""
    t0 = time.perf_counter()
    path = Path(path)
    if not path.exists():
        raise NotFoundError(str(path), user_message=f"Không tìm thấy tệp {path}.")
    reg = load_registry(db)
    rep = ImportReport(path=path.name)
    problems: list[str] = []
    rows: list[_Row] = []
    codes: dict[str, int] = {}
    header: dict[str, int] | None = None
    for n, cells in read_rows(path):
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            rep.skipped_blank += 1
            continue
        if header is None:
            header = _header_map(cells)
            missing = [COLUMNS[k][0] for k in _REQUIRED if k not in header]
            if missing:
                raise ImportRowsError([f"Dòng {n} (tiêu đề): thiếu cột {', '.join(repr(m) for m in missing)}. "
                                       f"Các cột nhận được: {', '.join(str(c) for c in cells if c)}"], path=str(path))
            continue
        rep.rows += 1
        if rep.rows > MAX_ROWS:
            raise ImportRowsError([f"Tệp có hơn {MAX_ROWS} dòng; hãy chia nhỏ."], path=str(path))
        r = _parse_row(n, cells, header, reg, problems)
        if r is None:
            continue
        if r.code in codes:
            problems.append(f"Dòng {n}: mã “{r.code}” trùng với dòng {codes[r.code]}")
            continue
        codes[r.code] = n
        rows.append(r)
    if header is None:
        raise ImportRowsError(["Tệp trống: không có dòng tiêu đề."], path=str(path))
    if problems:
        raise ImportRowsError(problems, path=str(path))
    _write_rows(db, rows, path.name, rep)
    rep.took_ms = round((time.perf_counter() - t0) * 1000, 1)
    logger.info("schedule %s imported: %s", path.name, rep.as_dict())
    return rep


_RESOLVED: dict[tuple[int, str], Any] = {}


def _resolve_cached(reg: Registry, name: str) -> Any:
    key = (id(reg), name)
    if key not in _RESOLVED:
        if len(_RESOLVED) > 10_000:
            _RESOLVED.clear()
        _RESOLVED[key] = reg.resolve(name)
    return _RESOLVED[key]


def _parse_row(n: int, cells: list[object], h: dict[str, int], reg: Registry, problems: list[str]) -> _Row | None:
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
    return _Row(n, code, title, lead, lead_names, support, support_names, due, due_text,
                str(owner) if owner else None, str(ref) if ref else None, status or TODO, recurrence or None)


def _write_rows(db: Database, rows: list[_Row], sheet: str, rep: ImportReport) -> None:
    """One transaction: new codes are bulk-inserted (Core, batches of 1000), known codes updated in place."""
    from sqlalchemy import insert

    now = datetime.now(UTC)
    with db.session() as s:
        known: set[str] = set()
        codes = [r.code for r in rows]
        for i in range(0, len(codes), 500):
            known.update(s.scalars(select(Task.code).where(Task.code.in_(codes[i : i + 500]))))
        new = [r for r in rows if r.code not in known]
        for i in range(0, len(new), 1000):
            batch = new[i : i + 1000]
            s.execute(insert(Task), [
                {"code": r.code, "origin": "sheet", "title": r.title, "due": r.due, "due_text": r.due_text,
                 "recurrence": r.recurrence, "status": r.status, "owner": r.owner, "doc_ref": r.doc_ref,
                 "source": sheet, "section": f"dòng {r.n}", "quote": r.title, "sheet_row": r.n,
                 "created_at": now, "updated_at": now} for r in batch
            ])
            ids = dict(s.execute(select(Task.code, Task.id).where(Task.code.in_([r.code for r in batch]))).tuples().all())
            agencies = [
                {"task_id": ids[r.code], "agency_id": a, "name": nm, "role": role, "ordinal": k}
                for r in batch
                for k, (a, nm, role) in enumerate(_row_agencies(r))
            ]
            if agencies:
                s.execute(insert(TaskAgency), agencies)
            hist = [{"task_id": ids[r.code], "from_status": None, "to_status": r.status, "by": sheet,
                     "channel": "import", "at": now} for r in batch if r.status != TODO]
            if hist:
                s.execute(insert(TaskStatusChange), hist)
        rep.added = len(new)
        for r in rows:
            if r.code not in known:
                continue
            t = s.scalars(select(Task).options(selectinload(Task.agencies)).where(Task.code == r.code)).one()
            if t.origin != "sheet":
                raise ImportRowsError([f"Dòng {r.n}: mã “{r.code}” đã dùng cho một nhiệm vụ trích từ văn bản"])
            agencies_now = _row_agencies(r)
            same = (t.title, t.due, t.owner, t.doc_ref, t.recurrence, t.status,
                    [(x.agency_id, x.role) for x in t.agencies]) == (
                    r.title, r.due, r.owner, r.doc_ref, r.recurrence, r.status, [(a, role) for a, _n, role in agencies_now])
            if same:
                rep.unchanged += 1
                continue
            rep.updated += 1
            if t.status != r.status:
                t.history.append(TaskStatusChange(from_status=t.status, to_status=r.status, by=sheet, channel="import", at=now))
                t.status = r.status
            t.title, t.due, t.due_text, t.owner, t.doc_ref, t.recurrence = r.title, r.due, r.due_text, r.owner, r.doc_ref, r.recurrence
            t.source, t.section, t.sheet_row, t.updated_at, t.quote = sheet, f"dòng {r.n}", r.n, now, r.title
            t.agencies.clear()
            s.flush()
            t.agencies.extend(TaskAgency(agency_id=a, name=nm, role=role, ordinal=k) for k, (a, nm, role) in enumerate(agencies_now))


def _row_agencies(r: _Row) -> list[tuple[int, str, str]]:
    return [(a, nm, "lead") for a, nm in zip(r.lead, r.lead_names, strict=True)] + \
           [(a, nm, "support") for a, nm in zip(r.support, r.support_names, strict=True)]


# --------------------------------------------------------------------------- questions
# Matched on the diacritic-free form, so "so noi vu phai lam gi" works too.
_Q_PATTERNS = [
    re.compile(r"^(?P<a>.+?)\s+(?:phai|can|co)\s+(?:lam|thuc hien)\s+(?:nhung\s+)?(?:viec\s+)?gi$"),
    re.compile(r"^(?P<a>.+?)\s+(?:co|duoc giao)\s+(?:nhung\s+)?(?:nhiem vu|trach nhiem)\s+gi$"),
    re.compile(r"^(?:cac\s+|nhung\s+)?(?:nhiem vu|trach nhiem|viec)\s+(?:duoc giao\s+)?(?:cua|cho)\s+(?P<a>.+?)(?:\s+la\s+gi)?$"),
    re.compile(r"^/nhiemvu\s+(?P<a>.+)$"),
]


def parse_responsibility_question(question: str) -> str | None:
    """The agency named by a bare responsibility question ("Sở Nội vụ phải làm gì?"), else None."""
    q = squash_ws(nfc(question)).rstrip(" ?.!").strip()
    low = fold_aligned(q)
    for rx in _Q_PATTERNS:
        m = rx.match(low)
        if m:
            a, b = m.span("a")
            return q[a:b].strip(" ,")
    return None


def answer_responsibility_question(db: Database, question: str, *, today: date | None = None,
                                   max_items: int = 8) -> Answer | None:
    """An Answer listing an agency's tasks with exact quotes, or None if the question is not of the
    form "<cơ quan> phải làm gì?" / "nhiệm vụ của <cơ quan>" or names no registered agency."""
    t0 = time.perf_counter()
    name = parse_responsibility_question(question)
    if not name:
        return None
    reg = load_registry(db)
    agency = reg.resolve(name)
    if agency is None:
        return None
    res = tasks_for_agency(db, agency.name, today=today)
    items = [t for t in res.tasks if t.quote and t.origin == "document"]
    if not items:
        return None
    home = [t for t in items if not t.province or t.province == reg.province]
    items = home or items  # never mix provinces in one answer
    lines: list[str] = []
    other = items[0].province if items[0].province and reg.province and items[0].province != reg.province else None
    if other:
        lines.append(f"Theo tài liệu của tỉnh {other} (không phải tỉnh {reg.province}):")
    lines.append(f"Nhiệm vụ được giao cho {agency.name}:")
    cites: list[Citation] = []
    for i, t in enumerate(items[:max_items], 1):
        role = res.roles.get(t.id, "lead")
        if role == "lead":
            who = "chủ trì" if len(t.leads) <= 1 else f"giao cho {', '.join(t.leads)}"
        elif role in ("support", "group-support"):
            who = f"phối hợp với {t.agency}"
        else:
            who = f"giao chung cho {', '.join(t.leads)}"
        when = f"hạn {t.due:%d/%m/%Y} (“{t.due_text}”)" if t.due else (t.recurrence or "không ghi hạn")
        lines.append(f"{i}. {(t.quote or '').strip()} — {who}; {when}; trạng thái: {t.status}. [{i}]")
        cites.append(Citation(t.source or "", t.document or "", t.section or "", t.quote or "", t.province, None))
    if len(items) > max_items:
        lines.append(f"... và {len(items) - max_items} nhiệm vụ khác (/nhiemvu {agency.name}).")
    if res.successor_note:
        lines.append(f"Lưu ý: {res.successor_note}")
    return Answer(squash_ws(question), "\n".join(lines), False, cites, (time.perf_counter() - t0) * 1000)
