"""Shared patterns, value types and helpers of the index-result extraction rules (no database)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from dataclasses import field as dc_field

logger = logging.getLogger(__name__)


NUM = r"\d{1,3}(?:[.,]\d{1,3})?"
RANK_RE = re.compile(r"(?:xếp|đứng)\s+(?:ở\s+)?(?:vị\s+trí\s+)?(?:thứ\s+)?(?:hạng\s+)?(\d{1,3})\s*/\s*(\d{1,3})(?!\d)", re.I)
CHANGE_RE = re.compile(r"(tăng|giảm)\s+(\d{1,3})\s+bậc|(giữ\s+nguyên)", re.I)
SCORE_RE = re.compile(rf"({NUM})\s*/\s*({NUM})\s*điểm", re.I)
YEAR_RE = re.compile(r"(so\s+với\s+)?năm\s+((?:19|20)\d\d)(?!\d)", re.I)
DEDUCT_RE = re.compile(r"(?:bị\s+)?trừ\s+(\d{1,3}(?:[.,]\d{1,3})?)(,?)\s*điểm", re.I)
PROVINCE_RE = re.compile(r"\btỉnh\s+((?:[A-ZĐ][a-zà-ỹđ]+)(?:\s+[A-ZĐ][a-zà-ỹđ]+){0,2})")
AGENCY_RE = re.compile(
    r"(?P<ag>(?:Sở|Văn phòng|Ban Quản lý|Ban|UBND|Ủy ban|Uỷ ban|Bưu điện|Công an|Thanh tra|Bảo hiểm) [^()]*?)"
    r" (?:tham mưu|tổng hợp|chưa thực hiện|chủ trì|chịu trách nhiệm)"
)


@dataclass
class Found:
    """Where a value was read: exact offsets into the document text."""

    start: int
    end: int


@dataclass
class ExtractedDeduction:
    amount: float | None  # None when the number is malformed in the document ("Trừ 05, điểm")
    reason: str
    agency: str | None
    agency_inherited: bool
    level: int  # 0 = directly under the field, 1 = a sub-item, ...
    quote: Found
    parent: int | None = None  # index into the field's deduction list
    note: str | None = None


@dataclass
class ExtractedResult:
    index: str
    year: int
    province: str
    scope: str  # overall | field | component
    field: str | None
    field_order: int | None
    score: float | None
    max_score: float | None
    rank: int | None
    rank_of: int | None
    rank_change: int | None
    derived: bool
    quote: Found
    deductions: list[ExtractedDeduction] = dc_field(default_factory=list)
    note: str | None = None

    @property
    def key(self) -> tuple[str, int, str, str, str | None]:
        return (self.index, self.year, self.province, self.scope, self.field)


@dataclass
class ExtractedTarget:
    index: str
    province: str
    kind: str  # top | rank_up | score_up
    value_min: int | None
    value_max: int | None
    year_from: int | None
    year_to: int | None
    base_year: int | None
    quote: Found


@dataclass
class SectionInfo:
    start: int
    path: str


@dataclass
class Extraction:
    results: list[ExtractedResult]
    targets: list[ExtractedTarget]


def parse_number(raw: str) -> float:
    """``83,52`` -> 83.52; ``0.09`` (a decimal point written by mistake) -> 0.09; ``01`` -> 1."""
    raw = raw.strip()
    if "," in raw:
        return float(raw.replace(".", "").replace(",", "."))
    if "." in raw:
        head, tail = raw.split(".", 1)
        # 94.385 (thousands) has three digits after the dot and a non-zero head: not used for points.
        return float(f"{head}.{tail}")
    return float(raw)


def line_at(text: str, pos: int) -> tuple[int, int]:
    a = text.rfind("\n", 0, pos) + 1
    b = text.find("\n", pos)
    return a, (len(text) if b < 0 else b)


def trim_span(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in " \t\n-+.•:;,":
        a += 1
    while b > a and text[b - 1] in " \t\n;,:":
        b -= 1
    return a, b


def year_of(doc_date: str | None, title: str | None) -> int | None:
    m = re.search(r"năm\s+((?:19|20)\d\d)", title or "")
    if m:
        return int(m.group(1))
    if doc_date and doc_date[:4].isdigit():
        return int(doc_date[:4]) - 1  # a report in year Y presents the results of Y-1
    return None


def section_chain(sections: list[SectionInfo], text: str, pos: int) -> list[str]:
    """First lines of the sections enclosing ``pos``, innermost first."""
    best: SectionInfo | None = None
    for s in sections:
        if s.start <= pos and (best is None or s.start >= best.start):
            best = s
    if best is None:
        return []
    chain: list[str] = []
    parts = best.path.split(" > ")
    # The section path labels its ancestors; the innermost one's own first line is in the text.
    a, b = line_at(text, best.start)
    chain.append(text[a:b])
    chain.extend(reversed(parts[:-1]))
    return chain
