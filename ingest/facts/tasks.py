"""Extraction of assigned tasks from a stored document.

Rules (see ``../shared/design/domain.md``):
- The assignee is the subject of the sentence (``Sở Nội vụ ...``, ``Giao Ngân hàng ... chủ trì``,
  ``Yêu cầu Sở A, Sở B ...``), else the agency named by the nearest enclosing section heading
  (``5. Sở Thông tin và Truyền thông``), else an intro paragraph ending with ``:`` whose subject is an
  agency, else the document's ``Kính gửi:`` list.
- ``chủ trì`` marks the lead, ``phối hợp với X`` the supporting agencies; a bullet that starts with
  ``Phối hợp với X`` under agency A is led by X with A supporting.
- One task per bullet/paragraph; a sentence with its own subject starts a new task.
- Sections that describe results, causes or viewpoints are skipped; targets (``Mục tiêu``) count only
  when they carry a deadline, and get the agency that the document makes responsible for that field.
- Quotes are exact slices of the stored text; deadlines come from :mod:`ingest.facts.deadlines`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date

from core.agencies import Mention, Registry, fold_aligned, norm_name
from core.text import split_sentences, squash_ws
from ingest.facts.deadlines import find_deadline, find_recurrence
from ingest.structure import Outline, parse, parse_marker

logger = logging.getLogger(__name__)

_DENY = re.compile(
    r"^(?:ket qua|danh gia chung|thuc trang|uu diem|ton tai|han che|nguyen nhan|quan diem|muc dich|yeu cau|tinh hinh|ve nhom tieu chi)"
)
_ALLOW = re.compile(r"(?:nhiem vu|giai phap|to chuc thuc hien|trach nhiem|doi voi|de nghi)")
_TARGET = re.compile(r"(?:muc tieu|chi tieu)")
_CUE_RE = re.compile(r"^(?:giao(?:\s+cho)?|yêu\s+cầu|đề\s+nghị|chỉ\s+đạo)\s+", re.I)
_CLOSING = re.compile(r"(?:\./\.\s*$|^Trên đây|^\(Báo cáo này|^Kết luận này được|^Nơi nhận)", re.I)
_SUPPORT_RE = re.compile(r"phối\s+hợp(?:\s+chặt\s+chẽ)?(?:\s+với)?", re.I)
_CLAUSE_END = re.compile(
    r"[;.:]|\s(?:để|tham mưu|thực hiện|đôn đốc|chỉ đạo|triển khai|rà soát|trong|giúp|báo cáo|chịu trách nhiệm)\s", re.I
)
_NEVER_SUPPORT = {"ubnd-tinh", "chu-tich-ubnd-tinh"}  # who assigns work, not who helps
_JOINER = re.compile(r"^[\s,;]*(?:và|cùng|,|;)?[\s,;]*$", re.I)


@dataclass(frozen=True)
class AgencyRef:
    agency_id: int | None
    name: str  # as written


@dataclass
class ExtractedTask:
    code: str
    title: str
    quote: str
    start: int
    end: int
    section: str
    lead: list[AgencyRef]
    support: list[AgencyRef] = field(default_factory=list)
    due: date | None = None
    due_text: str | None = None
    recurrence: str | None = None
    passage_id: int | None = None


@dataclass(frozen=True)
class DocInput:
    source: str
    text: str
    date: str | None
    passages: list[tuple[int, int, int]]  # (id, start, end)


def task_code(source: str, quote: str) -> str:
    """Stable identity of an extracted task: its document and its normalised text."""
    h = hashlib.sha1(f"{source}|{squash_ws(quote)}".encode()).hexdigest()[:12]
    return f"VB-{h}"


def _doc_year(doc: DocInput) -> int | None:
    if doc.date and re.match(r"\d{4}", doc.date):
        return int(doc.date[:4])
    m = re.search(r"ngày\s+[\d\s]*tháng\s+\d{1,2}\s+năm\s+(\d{4})", doc.text[:3000])
    return int(m.group(1)) if m else None


def _uniq(refs: list[AgencyRef]) -> list[AgencyRef]:
    seen: set[object] = set()
    out = []
    for r in refs:
        k = r.agency_id if r.agency_id is not None else norm_name(r.name)
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out


def _refs(ms: list[Mention]) -> list[AgencyRef]:
    return _uniq([AgencyRef(m.agency_id, squash_ws(m.text)) for m in ms])


def leading_mentions(reg: Registry, sentence: str) -> list[Mention]:
    """Agencies that are the subject of the sentence: a list of mentions at its start (after a cue word)."""
    s = sentence
    off = len(s) - len(s.lstrip(" -+•(\"“"))
    m = _CUE_RE.match(s[off:])
    if m:
        off += m.end()
    out: list[Mention] = []
    pos = off
    for mt in reg.mentions(s):
        if mt.start < pos:
            continue
        gap = s[pos : mt.start]
        if mt.start == off or (out and _JOINER.match(gap)):
            out.append(mt)
            pos = mt.end
        else:
            break
    return out


def _clause_subject(reg: Registry, para: str) -> list[Mention]:
    """For an intro paragraph (``Để ..., Thủ trưởng các sở ... thực hiện ... sau:``): the first agency
    that opens a clause."""
    for m in reg.mentions(para):
        if reg.get(m.agency_id).key in _NEVER_SUPPORT:
            continue  # "..., Ủy ban nhân dân tỉnh ban hành Kế hoạch ... như sau:" names the issuer
        if re.search(r"[,;]\s*$", para[max(0, m.start - 3) : m.start]):
            return [m]
    return []


def _support_mentions(reg: Registry, text: str, exclude: set[int]) -> list[Mention]:
    out: list[Mention] = []
    ms = reg.mentions(text)
    for sm in _SUPPORT_RE.finditer(text):
        end_m = _CLAUSE_END.search(text, sm.end() + 1)
        end = end_m.start() if end_m else len(text)
        out.extend(
            m for m in ms
            if sm.end() <= m.start < end and m.agency_id not in exclude
            and reg.get(m.agency_id).key not in _NEVER_SUPPORT
        )
    return out


def _heading_agencies(reg: Registry, heading: str) -> list[Mention]:
    h = re.sub(r"^(?:Trách nhiệm|Nhiệm vụ)\s+của\s+", "", heading, flags=re.I)
    lead = leading_mentions(reg, h)
    if lead:
        return lead
    return []


def _kinh_gui(reg: Registry, text: str) -> list[Mention]:
    m = re.search(r"Kính\s+gửi\s*:", text[:4000])
    if not m:
        return []
    out: list[Mention] = []
    for line in text[m.end() :].split("\n")[1:12]:
        if not line.strip().startswith(("-", "+", "•")):
            if out:
                break
            continue
        out.extend(reg.mentions(line)[:1])
    return out


def extract_tasks(doc: DocInput, reg: Registry) -> list[ExtractedTask]:  # noqa: C901 - long: one pass over the outline
    text = doc.text
    cut = text.rfind("\nChú thích:")
    body = text[:cut] if cut >= 0 else text
    outline: Outline = parse(body)
    year = _doc_year(doc)
    default_refs = _refs(_kinh_gui(reg, body))
    intro: dict[int, list[AgencyRef]] = {}
    tasks: list[ExtractedTask] = []
    pending_fields: list[tuple[ExtractedTask, str]] = []
    fields: list[tuple[str, AgencyRef]] = []

    for sec in outline.sections:
        if sec.start >= outline.footer_start:
            continue
        chain = outline.path(sec.id)
        mode = "root" if sec.parent is None else "normal"
        for c in reversed(chain):
            h = fold_aligned(c.heading or "").strip()
            if not h:
                continue
            if _ALLOW.search(h) and not _DENY.match(h):
                break
            if _DENY.match(h):
                mode = "skip"
                break
            if _TARGET.search(h):
                mode = "dated"
                break
        if mode == "skip":
            continue
        inherited: list[AgencyRef] = []
        for c in chain:
            if c.heading:
                hm = _heading_agencies(reg, c.heading)
                if hm:
                    inherited = _refs(hm)
            if c.id in intro and c.id != sec.id:
                inherited = intro[c.id]
        if not inherited:
            inherited = default_refs
        section_label = outline.path_label(sec.id)
        field_heading = next((c.heading for c in reversed(chain) if c.heading), "")
        spans = list(sec.spans)
        i = 0
        while i < len(spans):
            a, b = spans[i]
            para = body[a:b]
            mk = parse_marker(para) if a == sec.start and sec.marker is not None else None
            if mk is not None:
                a += mk.length
            if sec.heading and spans[i][0] == sec.start:
                i += 1
                continue
            while a < b and body[a].isspace():
                a += 1
            unit_end = b
            if body[a:b].rstrip().endswith(":"):
                subj = leading_mentions(reg, body[a:b]) or _clause_subject(reg, body[a:b])
                if subj:
                    intro[sec.id] = _refs(subj)
                    inherited = intro[sec.id]
                    i += 1
                    continue
                if i + 1 >= len(spans):
                    i += 1
                    continue  # an intro with nothing after it in this section
                unit_end = spans[i + 1][1]
                i += 1
            i += 1
            _units(doc, reg, body, a, unit_end, year, mode, inherited, section_label, field_heading, tasks, pending_fields, fields)

    # Targets without an agency: the agency the document makes responsible for that field.
    for task, heading in pending_fields:
        hk = norm_name(re.sub(r"\(.*?\)", "", heading))
        for phrase, ref in fields:
            if hk and (hk in phrase or phrase in hk) and len(phrase) >= 8:
                task.lead = [ref]
                break
    out = [t for t in tasks if t.lead]  # who must do it is the point; unassigned targets are dropped
    for t in out:
        t.passage_id = next((pid for pid, ps, pe in doc.passages if ps <= t.start < pe), None)
    return out


def _units(  # noqa: C901 - long: the task-unit rules (bullets, clauses, closings) read best as one ordered list
    doc: DocInput, reg: Registry, body: str, a: int, b: int, year: int | None, mode: str,
    inherited: list[AgencyRef], section: str, field_heading: str,
    tasks: list[ExtractedTask], pending_fields: list[tuple[ExtractedTask, str]], fields: list[tuple[str, AgencyRef]],
) -> None:
    unit = body[a:b]
    groups: list[tuple[int, int, list[Mention]]] = []
    for sp in split_sentences(unit):
        sent = unit[sp.start : sp.end]
        subj = leading_mentions(reg, sent)
        if subj and groups:
            groups.append((sp.start, sp.end, subj))
        elif groups:
            s0, _e, sj = groups[-1]
            groups[-1] = (s0, sp.end, sj)
        else:
            groups.append((sp.start, sp.end, subj))
    for gs, ge, subj in groups:
        qa, qb = a + gs, a + ge
        quote = body[qa:qb]
        if _CLOSING.search(quote.strip()) or len(re.findall(r"\w+", quote)) < 6:
            continue
        if mode == "root" and not (subj and _CUE_RE.match(quote.lstrip(" -+•"))):
            continue
        rest = quote
        for mt in sorted(reg.mentions(quote), key=lambda x: -x.start):
            rest = rest[: mt.start] + " " + rest[mt.end :]
        if len(re.findall(r"\w+", rest)) < 6:
            continue
        if not subj and _CUE_RE.match(quote.lstrip(" -+•")):
            continue  # "Đề nghị <someone not in the registry> ...": do not guess
        lead = _refs(subj) if subj else list(inherited)
        lead_ids = {r.agency_id for r in lead}
        support = _refs(_support_mentions(reg, quote, {x for x in lead_ids if x is not None}))
        stripped = quote.lstrip(" -+•")
        if not subj and re.match(r"(?:tiếp tục\s+)?phối\s+hợp\s+với\s", stripped, re.I) and support:
            first = support[0]
            if first.agency_id is not None and not reg.get(first.agency_id).is_group:
                lead, support = [first], _uniq(support[1:] + list(inherited))
        dl = find_deadline(quote, year)
        if mode == "dated" and dl is None:
            continue
        if not lead and dl is None:
            continue
        t = ExtractedTask(
            code=task_code(doc.source, quote),
            title=_title(quote),
            quote=quote,
            start=qa,
            end=qb,
            section=section,
            lead=lead,
            support=[s for s in support if s.agency_id not in lead_ids],
            due=dl.due if dl else None,
            due_text=dl.text if dl else None,
            recurrence=find_recurrence(quote),
        )
        tasks.append(t)
        if not lead:
            pending_fields.append((t, field_heading))
        if len(lead) == 1:
            m = re.search(r"mục\s+tiêu,\s+nhiệm\s+vụ\s*:?\s*(.+)", quote, re.I | re.S)
            if m:
                for ph in re.split(r"[;:.\n]", m.group(1))[:4]:
                    k = norm_name(ph)
                    if k:
                        fields.append((k, lead[0]))


def _title(quote: str, limit: int = 240) -> str:
    s = squash_ws(quote).lstrip("-+• ").strip()
    if len(s) <= limit:
        return s
    cut = s.rfind(" ", 0, limit)
    return s[: cut if cut > 0 else limit] + "…"
