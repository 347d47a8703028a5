"""Figures and labels in Vietnamese administrative text, for the generated-answer check.

``scan_figures`` finds document numbers, dates, year ranges, pairs (ranks ``12/63``, scores
``83,52/100``), percentages, rank changes (``giảm 03 bậc``), plain numbers and years, each with every
normalised reading (decimal comma or dot, thousands dots, leading zeros, date forms). ``Scanned`` adds
the labels a figure is bound to (index or field, role, province, year, comparison year) so that
``knowledge.answers.verify`` can tell where and how a passage states it.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from core.agencies import fold_aligned
from core.indices import INDICES, PAR_FIELDS, SIPAS_COMPONENTS
from core.text import nfc
from ingest.metadata import PROVINCES

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Figure:
    kind: str  # doc_number | date | pair | percent | rank_change | number | year
    keys: frozenset[tuple[object, ...]]  # every reading of the figure, normalised
    start: int
    end: int
    raw: str


_NUM = r"\d+(?:[.,]\d+)*"
_DOCNO_RE = re.compile(
    r"(?<![\w/])(\d{1,5})(?:/(\d{4}))?[/-]([A-ZĐ][A-Za-zĐđ&]*(?:[-/][A-ZĐ][A-Za-zĐđ&0-9]*)*)"
)
_DATE_RES = (
    re.compile(r"(?<![\d/.,])(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*(\d{4})(?![\d/])"),
    re.compile(r"ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})"),
)
_RANGE_RE = re.compile(r"(?<![\d/.,])((?:19|20)\d\d)\s*[-–]\s*((?:19|20)\d\d)(?![\d/])")
_MONTH_YEAR_RE = re.compile(r"thang\s+(\d{1,2})\s+nam\s+(\d{4})")
_PAIR_RE = re.compile(rf"(?<![\d/.,])({_NUM})\s*/\s*({_NUM})(?![\d/]|[.,]\d)")
_PERCENT_RE = re.compile(rf"(?<![\w.,/])({_NUM})\s*(?:%|phan tram)")
_CHANGE_RE = re.compile(r"\b(tang|giam)\s+(?:them\s+)?(\d+)\s+(?:bac|hang|vi tri)\b")
_NUMBER_RE = re.compile(rf"(?<![\w.,/]){_NUM}(?![\w/]|[.,]\d)")
CITE_MARK_RE = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")
_COMPARE_RE = re.compile(r"so\s+voi\s+(?:cung\s+ky\s+)?(?:nam\s+)?(\d{4})")
_BREAK_RE = re.compile(r";|\n|[.!?](?=\s)")
_SENT_BREAK_RE = re.compile(r"\n\s*\n|[.!?](?=\s)")

PROVINCE_RE = re.compile(
    r"(?<!\w)(?:" + "|".join(sorted((re.escape(fold_aligned(p)) for p in PROVINCES), key=len, reverse=True)) + r")(?!\w)"
)
_FIELDS = tuple(("PAR", i, k) for i, f in enumerate(PAR_FIELDS) for k in f.keys) + tuple(
    ("SIPAS", i, k) for i, f in enumerate(SIPAS_COMPONENTS) for k in f.keys
)
# The index registry's patterns, folded once, matched on folded text (many times faster than
# INDEX_RE with IGNORECASE on the original text).
_INDEX_FOLDED_RE = re.compile(
    r"(?<!\w)(?=chi\s|par|sipas|papi|pci|ict|\()(?:"
    + "|".join(f"(?P<{c}>{fold_aligned(s.pattern)})" for c, s in INDICES.items())
    + ")"
)
_FIELD_RE = re.compile("|".join(f"(?P<f{n}>{re.escape(k)})" for n, (_, _, k) in enumerate(_FIELDS)))


_INJECTION_RE = re.compile(
    r"bo qua\s+(?:moi|tat ca|cac|nhung)?\s*(?:huong dan|chi dan|quy tac|yeu cau|lenh)"
    r"|ignore\s+(?:all\s+|any\s+|the\s+)?(?:previous\s+|above\s+|prior\s+)?instructions"
    r"|disregard\s+(?:all|the|previous)|you\s+are\s+now|system\s+prompt|\bprompt\b"
    r"|tiet lo\s+(?:cac\s+|moi\s+|toan bo\s+)?(?:huong dan|chi dan|quy tac|loi nhac|cau lenh)"
    r"|(?:hay|phai)\s+tra loi\s+(?:rang|la|nhu sau|cau hoi khac)"
    r"|(?:gui|noi voi)\s+(?:tro ly|mo hinh|chatbot|ai)\b|(?:tro ly|mo hinh|chatbot)\s+(?:ai\s+)?(?:hay|phai)\b"
)
WORD_RE = re.compile(r"[^\W\d_]+")
_STOP = (
    "la va cua co duoc cac nhung voi trong theo cho nay do thi da se cung nhu tai ve tu den nen vi "
    "mot hai khi ma de o ra vao len con rat hon nhat bi boi cu the ngoai dong thoi tren duoi sau truoc "
    "nam ngay thang tinh"
)
STOPWORDS = frozenset(_STOP.split())


def _blank_injections(folded: str) -> str:
    """``folded`` with every sentence that addresses the model replaced by spaces (offsets kept)."""
    if not _INJECTION_RE.search(folded):
        return folded
    out = list(folded)
    bounds = [0, *(m.end() for m in _SENT_BREAK_RE.finditer(folded)), len(folded)]
    for lo, hi in itertools.pairwise(bounds):
        if _INJECTION_RE.search(folded, lo, hi):
            out[lo:hi] = " " * (hi - lo)
    return "".join(out)


@functools.lru_cache(maxsize=8)
def instruction_shingles(instructions: str) -> frozenset[tuple[str, ...]]:
    return frozenset(shingles(fold_aligned(nfc(instructions)))) if instructions else frozenset()


def shingles(folded: str, n: int = 4) -> set[tuple[str, ...]]:
    w = WORD_RE.findall(folded)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _canon(d: Decimal) -> str:
    s = format(d.normalize(), "f")
    return s


def number_values(raw: str) -> frozenset[str]:
    """Every reading of a written number: ``03`` -> {3}; ``83,52`` -> {83.52}; ``94.385`` -> {94385, 94.385};
    ``1.000`` -> {1000}; ``1.234,5`` -> {1234.5}; ``1,500`` -> {1.5, 1500}."""
    out: set[Decimal | None] = set()
    if "," in raw and "." in raw:
        if raw.rfind(",") > raw.rfind("."):
            out.add(_decimal(raw.replace(".", "").replace(",", ".")))
        else:
            out.add(_decimal(raw.replace(",", "")))
    elif "," in raw or "." in raw:
        sep = "," if "," in raw else "."
        parts = raw.split(sep)
        grouped = all(len(p) == 3 for p in parts[1:])
        if grouped:
            out.add(_decimal("".join(parts)))
        if len(parts) == 2 and not (grouped and sep == "." and set(parts[1]) == {"0"}):
            out.add(_decimal(parts[0] + "." + parts[1]))
    else:
        out.add(_decimal(raw))
    return frozenset(_canon(d) for d in out if d is not None)


def pair_keys(kind: str, a: str, b: str) -> frozenset[tuple[object, ...]]:
    return frozenset((kind, x, y) for x in number_values(a) for y in number_values(b))


@dataclass
class _Scan:
    """The figures of a text, with the folded text they were found in."""

    text: str
    folded: str
    figures: list[Figure] = field(default_factory=list)
    taken: bytearray = field(default_factory=bytearray)

    def free(self, start: int, end: int) -> bool:
        return not any(self.taken[start:end])

    def add(self, kind: str, keys: Iterable[tuple[object, ...]], start: int, end: int, raw: str) -> None:
        self.figures.append(Figure(kind, frozenset(keys), start, end, self.text[start:end] or raw))
        self.taken[start:end] = b"\x01" * (end - start)


Keys = list[tuple[object, ...]]


def _docno(m: re.Match[str], folded: str) -> tuple[str, Keys] | None:
    return "doc_number", [("doc_number", int(m.group(1)), m.group(2) or "", folded[m.start(3) : m.end(3)])]


def _date(m: re.Match[str], folded: str) -> tuple[str, Keys] | None:
    d, mo, y = (m.group(1), m.group(3), m.group(4)) if m.lastindex == 4 else m.groups()
    if 1 <= int(mo) <= 12 and 1 <= int(d) <= 31:
        return "date", [("date", int(d), int(mo), int(y))]
    return None


def _change(m: re.Match[str], folded: str) -> tuple[str, Keys] | None:
    sign = 1 if m.group(1) == "tang" else -1
    return "rank_change", [("rank_change", sign * int(m.group(2)))]


def _number(m: re.Match[str], folded: str) -> tuple[str, Keys] | None:
    raw = m.group(0)
    kind = "year" if raw.isdigit() and len(raw) == 4 and 1900 <= int(raw) <= 2100 else "number"
    return kind, [("number", v) for v in number_values(raw)]


# (pattern, reader, matched on the original text rather than the folded one); longest forms first.
_STEPS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], str], tuple[str, Keys] | None], bool], ...] = (
    (_DOCNO_RE, _docno, True),
    *((rx, _date, False) for rx in _DATE_RES),
    (_RANGE_RE, lambda m, f: ("range", [("range", m.group(1), m.group(2))]), False),
    (_MONTH_YEAR_RE, lambda m, f: ("pair", list(pair_keys("pair", m.group(1), m.group(2)))), False),
    (_PAIR_RE, lambda m, f: ("pair", list(pair_keys("pair", m.group(1), m.group(2)))), False),
    (_PERCENT_RE, lambda m, f: ("percent", [("percent", v) for v in number_values(m.group(1))]), False),
    (_CHANGE_RE, _change, False),
    (_NUMBER_RE, _number, False),
)


def scan_figures(text: str, *, evidence: bool = False) -> _Scan:
    """Figures in ``text`` (NFC), longest forms first: document numbers, dates, year ranges, pairs,
    percentages, rank changes, then plain numbers and years. Offsets index both ``text`` and its
    folded form. ``evidence``: a passage, whose sentences addressing the model are blanked first."""
    folded = fold_aligned(text)
    if evidence:
        blanked = _blank_injections(folded)
        if blanked is not folded:
            text = "".join(c if f != " " or c.isspace() else " " for c, f in zip(text, blanked, strict=True))
            folded = blanked
    scan = _Scan(text, folded, taken=bytearray(len(text)))
    for rx, read, on_text in _STEPS:
        for m in rx.finditer(text if on_text else folded):
            if scan.free(m.start(), m.end()):
                found = read(m, folded)
                if found is not None:
                    scan.add(found[0], found[1], m.start(), m.end(), m.group(0))
    return scan


def pair_kind(fig: Figure) -> str:
    """A pair is a score when a side has a decimal part, a rank otherwise."""
    return "score" if any("." in str(k[1]) or "." in str(k[2]) for k in fig.keys) else "rank"


# --------------------------------------------------------------------------- anchors
@dataclass(frozen=True)
class _Anchor:
    pos: int
    value: str


def comparison_spans(folded: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _COMPARE_RE.finditer(folded)]


def _anchors(text: str, scan: _Scan) -> dict[str, list[_Anchor]]:
    """Labels a figure can be bound to: index or field, province, year, and the year it is compared
    with (``so với năm 2021``, which is not the figure's own year)."""
    f = scan.folded
    labels = [_Anchor(m.start(), m.lastgroup or "") for m in _INDEX_FOLDED_RE.finditer(f)]
    for m in _FIELD_RE.finditer(f):
        code, i, _ = _FIELDS[int((m.lastgroup or "f0")[1:])]
        labels.append(_Anchor(m.start(), f"{code}:{i}"))
    provinces = [_Anchor(m.start(), m.group(0)) for m in PROVINCE_RE.finditer(f)]
    compare = comparison_spans(f)
    years: list[_Anchor] = []
    since: list[_Anchor] = []
    for fig in scan.figures:
        if fig.kind == "year":
            inside = any(s <= fig.start < e for s, e in compare)
            (since if inside else years).append(_Anchor(fig.start, fig.raw))
        elif fig.kind == "range":  # "giai đoạn 2021-2025": both ends anchor the figures near them
            years += [_Anchor(fig.start, fig.raw[:4]), _Anchor(fig.end - 4, fig.raw[-4:])]
    years.sort(key=lambda a: a.pos)
    return {"label": sorted(labels, key=lambda a: a.pos), "province": provinces, "year": years, "since": since}


_ROLE_BEFORE_RE = re.compile(r"(?:(xep|thu|hang|vi tri)|(dat|diem|diem so))\s*$")
_ROLE_AFTER_RE = re.compile(r"\s*(?:(diem)|(tinh|thanh pho|dia phuong|ca nuoc|toan quoc)|([^\W\d_]+))")


def _role(folded: str, fig: Figure) -> str | None:
    """How a pair is written: a score (``đạt 9,26/10 điểm``), a rank (``xếp thứ 25/63 tỉnh``) or a
    count (``còn 7/16 chỉ tiêu``)."""
    if fig.kind != "pair":
        return None
    m = _ROLE_BEFORE_RE.search(folded[max(0, fig.start - 16) : fig.start])
    if m:
        return "rank" if m.group(1) else "score"
    m = _ROLE_AFTER_RE.match(folded, fig.end)
    if m:
        return "score" if m.group(1) else "rank" if m.group(2) else "count"
    return None


def _bounds(breaks: list[int], pos: int, length: int) -> tuple[int, int]:
    start, end = 0, length
    for b in breaks:
        if b < pos:
            start = b
        else:
            end = b
            break
    return start, end


def _nearest(anchors: list[_Anchor], pos: int, lo: int, hi: int) -> str | None:
    """The nearest anchor before ``pos`` in [lo, hi), else the nearest after it."""
    before = [a for a in anchors if lo <= a.pos < pos]
    if before:
        return before[-1].value
    after = [a for a in anchors if pos < a.pos < hi]
    return after[0].value if after else None


@dataclass
class Scanned:
    """A scanned text with its anchors and clause/sentence breaks."""

    text: str
    scan: _Scan
    anchors: dict[str, list[_Anchor]]
    clause_breaks: list[int]
    sentence_breaks: list[int]
    default_province: str | None = None

    @classmethod
    def of(cls, text: str, default_province: str | None = None, *, evidence: bool = False) -> Scanned:
        scan = scan_figures(nfc(text), evidence=evidence)
        text = scan.text
        clause = [m.start() for m in _BREAK_RE.finditer(scan.folded)]
        sent = [m.start() for m in _SENT_BREAK_RE.finditer(scan.folded)]
        prov = fold_aligned(default_province) if default_province else None
        return cls(text, scan, _anchors(text, scan), clause, sent, prov)

    def bind(self, fig: Figure) -> dict[str, str | None]:
        n = len(self.text)
        c_lo, c_hi = _bounds(self.clause_breaks, fig.start, n)
        s_lo, s_hi = _bounds(self.sentence_breaks, fig.start, n)
        since_after = [a for a in self.anchors["since"] if fig.end <= a.pos < c_hi]
        return {
            "label": _nearest(self.anchors["label"], fig.start, c_lo, c_hi),
            "role": _role(self.scan.folded, fig),
            "province": _nearest(self.anchors["province"], fig.start, s_lo, s_hi) or self.default_province,
            "year": _nearest(self.anchors["year"], fig.start, s_lo, s_hi),
            "since": since_after[0].value if since_after else _nearest(self.anchors["since"], fig.start, c_lo, fig.start),
            "link": self.link(fig),
        }

    def link(self, fig: Figure) -> str | None:
        """A document number's date (``số 81/BC-SNV ngày 05/8/2025``), or a date's document number."""
        if fig.kind == "doc_number":
            near = [g for g in self.scan.figures if g.kind == "date" and 0 <= g.start - fig.end <= 20]
        elif fig.kind == "date":
            near = [g for g in self.scan.figures if g.kind == "doc_number" and 0 <= fig.start - g.end <= 20]
        else:
            return None
        return repr(sorted(near[0].keys, key=repr)) if near else None

    def years_near(self, fig: Figure, *, wide: bool = False) -> set[str]:
        """Years written about a figure: in its clause (``wide``: its sentence), up to the next document
        number; after a document number, from the figure on (a list of plans names each one's years
        after its number)."""
        lo, hi = _bounds(self.sentence_breaks if wide else self.clause_breaks, fig.start, len(self.text))
        own = fig.start
        for g in self.scan.figures:
            if g.kind == "doc_number" and g.start <= fig.start < g.end + 25:
                own = min(own, g.start)  # a date belongs to the number just before it
        for g in self.scan.figures:
            if g.kind == "doc_number" and lo <= g.start < hi and g.start != own:
                if g.end <= own:
                    lo = max(lo, own)
                elif g.start > own:
                    hi = min(hi, g.start)
        return {a.value for a in self.anchors["year"] if lo <= a.pos < hi}

    @functools.cached_property
    def words(self) -> set[str]:
        return set(WORD_RE.findall(self.scan.folded))

    @functools.cached_property
    def shingles(self) -> set[tuple[str, ...]]:
        return shingles(self.scan.folded)

    def values(self, kind: str) -> set[tuple[object, ...]]:
        return {k for fig in self.scan.figures if fig.kind == kind for k in fig.keys}
