"""Deadlines as written in Vietnamese administrative documents -> a date, plus recurrence.

``trước ngày 31/7/2023`` -> 2023-07-31; ``xong trước quý 4/2023`` -> 2023-09-30 (before Q4 = end of Q3);
``trong quý III/2025`` -> 2025-09-30; ``Đến hết năm ngân sách 2025`` -> 2025-12-31;
``trong 6 tháng cuối năm 2025`` -> 2025-12-31; ``trước ngày 15/6`` -> the document's year.
A date that merely names another document (``Nghị quyết số 76/NQ-CP ngày 15/7/2021``) is not a
deadline: a date counts only after a deadline cue (trước, chậm nhất, đến hết, hạn, xong, trong).
"""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass
from datetime import date

logger = logging.getLogger(__name__)

_ROMAN_Q = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}

_DATE = r"(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})(?:\s*[/.-]\s*(?P<y>\d{4}))?"
_DATE_WORDS = r"(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})(?:\s+năm\s+(?P<y2>\d{4}))?"
_CUE = (
    r"(?:xong\s+|hoàn\s+thành\s+|báo\s+cáo[^()]{0,60}?)?"
    r"(?P<cue>trước|chậm\s+nhất(?:\s+là)?|đến\s+hết|hạn\s+chót(?:\s+là)?|không\s+quá|trong)"
)

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("date", re.compile(_CUE + r"\s+(?:ngày\s+)(?:" + _DATE + "|" + _DATE_WORDS + r")(?!\s*[/.-]?\s*\d)", re.I)),
    ("quarter", re.compile(_CUE + r"\s+quý\s+(?P<q>IV|I{1,3}|[1-4])\s*(?:/|năm\s+)\s*(?P<qy>\d{4})", re.I)),
    ("year_end", re.compile(r"(?P<cue>đến\s+hết|trước\s+hết|hết)\s+năm\s+(?:ngân\s+sách\s+)?(?P<yy>\d{4})(?!\s*[-–]\s*\d)", re.I)),
    # "hoàn thành <việc gì> ... trong năm 2023": completing something within the year
    ("year_end", re.compile(r"hoàn\s+thành\s+(?!,)\w[^.;]{0,250}?(?P<cue>trong)\s+năm\s+(?P<yy>\d{4})(?!\s*[-–]\s*\d)", re.I)),
    ("half", re.compile(r"(?P<cue>trong)\s+6\s+tháng\s+(?P<half>đầu|cuối)\s+năm\s+(?P<hy>\d{4})", re.I)),
    ("month", re.compile(_CUE + r"\s+tháng\s+(?P<mm>\d{1,2})\s*(?:/|năm\s+)\s*(?P<my>\d{4})", re.I)),
]

_RECURRENCE: list[tuple[str, re.Pattern[str]]] = [
    ("hằng quý", re.compile(r"\b(?:định\s+kỳ\s+)?(?:hằng|hàng|mỗi)\s+quý\b", re.I)),
    ("hằng tháng", re.compile(r"\b(?:định\s+kỳ\s+)?(?:hằng|hàng|mỗi)\s+tháng\b", re.I)),
    ("6 tháng", re.compile(r"\b(?:định\s+kỳ|hằng|hàng|mỗi)\s+(?:6|sáu)\s+tháng(?!\s+(?:đầu|cuối))\b", re.I)),
    ("hằng tuần", re.compile(r"\b(?:định\s+kỳ\s+)?(?:hằng|hàng|mỗi)\s+tuần\b", re.I)),
    ("hằng năm", re.compile(r"\b(?:định\s+kỳ\s+)?(?:hằng|hàng|mỗi)\s+năm\b", re.I)),
]


@dataclass(frozen=True)
class Deadline:
    due: date
    text: str  # as written
    start: int
    end: int


def _end_of_month(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _end_of_quarter(y: int, q: int) -> date:
    return _end_of_month(y, 3 * q)


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def find_deadline(text: str, doc_year: int | None = None) -> Deadline | None:
    """The first deadline phrase in ``text`` (by position), or None."""
    found: list[Deadline] = []
    for kind, rx in _PATTERNS:
        for m in rx.finditer(text):  # first valid match of each pattern
            due = _interpret(kind, m, doc_year)
            if due is not None:
                a = m.start("cue") if m.group("cue") else m.start()
                found.append(Deadline(due, text[a : m.end()], a, m.end()))
                break
    if not found:
        return None
    return min(found, key=lambda d: d.start)


def _interpret(kind: str, m: re.Match[str], doc_year: int | None) -> date | None:
    cue = re.sub(r"\s+", " ", (m.group("cue") or "").lower())
    if kind == "date":
        d = int(m.group("d") or m.group("d2"))
        mo = int(m.group("m") or m.group("m2"))
        y_raw = m.group("y") or m.group("y2")
        y = int(y_raw) if y_raw else doc_year
        if y is None:
            return None
        return _safe_date(y, mo, d)
    if kind == "quarter":
        q = _ROMAN_Q.get(m.group("q").lower())
        y = int(m.group("qy"))
        if q is None:
            return None
        if cue == "trước":  # before Qn = by the end of Q(n-1)
            return _end_of_quarter(y, q - 1) if q > 1 else date(y - 1, 12, 31)
        return _end_of_quarter(y, q)
    if kind == "year_end":
        return date(int(m.group("yy")), 12, 31)
    if kind == "half":
        y = int(m.group("hy"))
        return date(y, 6, 30) if m.group("half").lower() == "đầu" else date(y, 12, 31)
    if kind == "month":
        mo, y = int(m.group("mm")), int(m.group("my"))
        if not 1 <= mo <= 12:
            return None
        if cue == "trước":
            return _end_of_month(y - 1, 12) if mo == 1 else _end_of_month(y, mo - 1)
        return _end_of_month(y, mo)
    return None


def find_recurrence(text: str) -> str | None:
    """``hằng năm``, ``hằng quý``, ``hằng tháng``, ``6 tháng``, ``hằng tuần`` (the most frequent period wins ties by order)."""
    for label, rx in _RECURRENCE:
        if rx.search(text):
            return label
    return None


def parse_date_cell(value: object) -> date | None:
    """A schedule cell as a date: ``dd/mm/yyyy``, ISO ``yyyy-mm-dd``, a datetime or an Excel serial.

    Raises ValueError with a Vietnamese message for an impossible date such as 31/02/2026."""
    from datetime import datetime, timedelta

    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:
            return date(1899, 12, 30) + timedelta(days=int(value))
        raise ValueError(f"số {value} không phải ngày hợp lệ")
    s = str(value).strip()
    m = re.fullmatch(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})", s)
    if m:
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+)?", s)
        if not m:
            if re.fullmatch(r"\d{5}(?:\.0+)?", s):
                return parse_date_cell(float(s))
            raise ValueError(f"“{s}” không phải ngày (dùng dd/mm/yyyy hoặc yyyy-mm-dd)")
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    out = _safe_date(y, mo, d)
    if out is None:
        raise ValueError(f"ngày “{s}” không tồn tại")
    return out
