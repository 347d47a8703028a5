"""Deductions under an index field (``bị trừ 0,1 điểm do ...``): amount, reason, the agency the document
names as responsible, nesting of sub-items. Pure rules over the document text."""

from __future__ import annotations

import logging
import re

from ingest.facts.score_rules import (
    AGENCY_RE,
    DEDUCT_RE,
    ExtractedDeduction,
    ExtractedResult,
    Found,
    SectionInfo,
    parse_number,
    trim_span,
)

logger = logging.getLogger(__name__)


_BULLET_RE = re.compile(r"^\s*([-–+.•])\s*")


def attach_deductions(text: str, sections: list[SectionInfo], results: list[ExtractedResult]) -> None:
    """Deductions listed after a field's ``Tổng số đạt`` sentence, up to the next numbered heading."""
    fields = sorted((r for r in results if r.scope == "field" and r.score is not None), key=lambda r: r.quote.start)
    heads = sorted(s.start for s in sections if not _BULLET_RE.match(text[s.start : s.start + 4]))
    for r in fields:
        end = next((h for h in heads if h > r.quote.end), len(text))
        nl = text.find("\n", r.quote.end)
        if 0 <= nl < end:
            r.deductions = _parse_deductions(text, nl + 1, end)


def _items(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """Logical paragraphs of ``text[a:b]``: a bullet line plus its wrapped continuation lines."""
    items: list[tuple[int, int]] = []
    pos = a
    for line in text[a:b].split("\n"):
        la, lb = pos, pos + len(line)
        pos = lb + 1
        if not line.strip():
            continue
        starts_new = bool(_BULLET_RE.match(line)) or not items or re.match(r"^\s*(?:Lý do|\(Chi tiết)", line)
        prev_done = items and text[items[-1][1] - 1 : items[-1][1]] in (".", ":", ";")
        if starts_new or prev_done:
            items.append((la, lb))
        else:
            items[-1] = (items[-1][0], lb)
    return items


def _parse_deductions(text: str, a: int, b: int) -> list[ExtractedDeduction]:
    out: list[ExtractedDeduction] = []
    header_agency: str | None = None
    stack: list[tuple[str, int]] = []  # open "..., gồm:" items: (bullet char, index in out)
    for la, lb in _items(text, a, b):
        item = text[la:lb]
        s = item.strip()
        if s.startswith("(Chi tiết"):
            break
        if re.match(r"^Lý do (?:bị )?trừ", s):
            header_agency = _agency(item) or header_agency
            colon = item.rfind(":", 0, item.find("điểm") + 8 if "điểm" in item else len(item))
            rest = item[colon + 1 :].strip() if colon >= 0 else ""
            dm = DEDUCT_RE.search(item)
            if rest and dm:  # "Lý do bị trừ 0,74 điểm: <reason>": one deduction, reason inline
                qa, qb = trim_span(text, la, lb)
                out.append(_deduction(dm, item[colon + 1 :], item, header_agency, 0, Found(qa, qb), None))
            continue
        dm = DEDUCT_RE.search(item)
        if dm is None or "so với điểm tối đa" in item:
            continue
        bm = _BULLET_RE.match(item)
        bullet = bm.group(1) if bm else ""
        while stack and stack[-1][0] != bullet and not _deeper(stack[-1][0], bullet):
            stack.pop()
        if stack and stack[-1][0] == bullet:
            stack.pop()
        parent = stack[-1][1] if stack else None
        inherited = out[parent].agency if parent is not None else header_agency
        qa, qb = trim_span(text, la, lb)
        out.append(_deduction(dm, item[dm.end() :], item, inherited, len(stack), Found(qa, qb), parent))
        if re.search(r"gồm\s*:\s*$", item):
            stack.append((bullet, len(out) - 1))
    return out


def _deeper(outer: str, inner: str) -> bool:
    order = "-–+.•"
    return order.find(inner) > order.find(outer)


def _deduction(
    dm: re.Match[str], reason_raw: str, line: str, inherited: str | None, level: int, quote: Found, parent: int | None
) -> ExtractedDeduction:
    amount: float | None
    note = None
    if dm.group(2):  # "Trừ 05, điểm": a malformed number -- keep the quote, do not guess the value
        amount = None
        note = f"số điểm viết không rõ trong tài liệu: '{dm.group(1)}{dm.group(2)}'"
    else:
        amount = parse_number(dm.group(1))
    own = _agency(line)
    reason = _reason(line, dm, reason_raw)
    return ExtractedDeduction(
        amount=amount, reason=reason, agency=own or inherited, agency_inherited=own is None and inherited is not None,
        level=level, quote=quote, parent=parent, note=note,
    )


def _reason(line: str, dm: re.Match[str], reason_raw: str) -> str:
    s = line.strip()
    s = _BULLET_RE.sub("", s, count=1)
    head = ""
    crit = re.match(r"^([^:()]{5,160}):\s*Đạt\s", s)
    if crit:
        head = crit.group(1).strip()
    r = reason_raw.strip()
    r = re.sub(r"^[:,]\s*", "", r)
    r = re.sub(r"^(?:Do|do)\s+", "", r)
    r = re.split(r"\)?\.\s+(?:Nội dung này|[A-ZĐ][^.]{0,60}(?:tham mưu|tổng hợp))|\s*\(nội dung này", r)[0]
    r = r.rstrip(" .;:)")
    if r.endswith("gồm"):
        r = r[: -len("gồm")].rstrip(" ,:")
    if head:
        r = f"{head}: {r}" if r else head
    return re.sub(r"\s+", " ", r).strip()


def _agency(line: str) -> str | None:
    """The agency a deduction names as responsible ("Nội dung này, Văn phòng UBND tỉnh tham mưu")."""
    line = re.sub(r"\s+", " ", line)
    m = re.search(r"(?:[Nn]ội dung này,? (?:do )?|\.\)? |\( ?[Nn]ội dung này do |^)" + AGENCY_RE.pattern, line)
    if m is None:
        return None
    ag = m.group("ag").strip(" ,")
    return ag if len(ag) <= 160 else None
