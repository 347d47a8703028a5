"""Deterministic check of a generated answer against the numbered passages it cites. No model.

A generated answer is a list of sentences, each with the numbers of the passages it cites. It
passes only when, sentence by sentence:

- it cites at least one passage and every cited number was given to the model;
- every figure it states (number, percentage, date, rank ``12/63``, score ``83,52/100``, rank change
  ``giảm 03 bậc``, document number ``118/2025/NĐ-CP``) is written in its cited passages, after
  normalising decimal comma/dot, thousands dots, leading zeros and date forms;
- each such figure is stated for the same index or field, the same province and the same year as
  where the passage states it (the nearest label before it; a comparison year ``so với năm 2021``
  is not the figure's year). A sentence that names no province or year presents the figure as the
  one asked, so the question's province and years are used instead;
- every year, province and agency it names is named in its cited passages;
- most of its words are words of its cited passages (``min_support``), and it repeats no run of
  words of the model's own instructions.

Text in a passage that addresses the model (``bỏ qua mọi hướng dẫn``, ``ignore previous
instructions``, ``tiết lộ ...``) is not evidence: those sentences are blanked before the check, so
an answer that obeys a poisoned document fails.

Failures carry a reason; :class:`Verdict` counts them. Overhead is a few regexes per sentence and
passage (well under 5 ms for an answer, see ``benchmarks/verify_check.py``).
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from core.agencies import fold_aligned
from core.indices import INDICES, PAR_FIELDS, SIPAS_COMPONENTS
from core.text import nfc
from ingest.metadata import PROVINCES

logger = logging.getLogger(__name__)

# Every reason a sentence can fail, in the order they are checked.
REASONS = (
    "empty", "no_citation", "unknown_citation",
    "doc_number", "date", "rank", "score", "percent", "rank_change", "number",
    "label", "province", "year", "other_province", "other_year", "agency",
    "unsupported", "instructions",
)

AgencyFinder = Callable[[str], Iterable[str]]  # text -> canonical keys of the agencies it names


@dataclass(frozen=True)
class GenSentence:
    text: str
    cites: tuple[int, ...]


@dataclass(frozen=True)
class Source:
    """A passage as numbered for the model: ``text`` holds its title and section path too."""

    number: int
    text: str
    province: str | None = None  # the document's province


@dataclass(frozen=True)
class Asked:
    """What the question asks about: a sentence that names no province or year means these."""

    province: str | None = None
    years: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Failure:
    reason: str
    sentence: int
    detail: str


@dataclass(frozen=True)
class Verdict:
    failures: tuple[Failure, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures

    def reasons(self) -> Counter[str]:
        return Counter(f.reason for f in self.failures)


# --------------------------------------------------------------------------- figures
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
_CITE_MARK_RE = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")
_COMPARE_RE = re.compile(r"so\s+voi\s+(?:cung\s+ky\s+)?(?:nam\s+)?(\d{4})")
_BREAK_RE = re.compile(r";|\n|[.!?](?=\s)")
_SENT_BREAK_RE = re.compile(r"\n\s*\n|[.!?](?=\s)")

_PROVINCE_RE = re.compile(
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
_WORD_RE = re.compile(r"[^\W\d_]+")
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
def _instruction_shingles(instructions: str) -> frozenset[tuple[str, ...]]:
    return frozenset(shingles(fold_aligned(nfc(instructions)))) if instructions else frozenset()


def shingles(folded: str, n: int = 4) -> set[tuple[str, ...]]:
    w = _WORD_RE.findall(folded)
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


def _pair_keys(kind: str, a: str, b: str) -> frozenset[tuple[object, ...]]:
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


def scan_figures(text: str, *, evidence: bool = False) -> _Scan:
    """Figures in ``text`` (NFC), longest forms first: document numbers, dates, pairs, percentages,
    rank changes, then plain numbers and years. Offsets index both ``text`` and its folded form.
    ``evidence``: a passage, whose sentences addressing the model are blanked first."""
    folded = fold_aligned(text)
    if evidence:
        blanked = _blank_injections(folded)
        if blanked is not folded:
            text = "".join(c if f != " " or c.isspace() else " " for c, f in zip(text, blanked, strict=True))
            folded = blanked
    scan = _Scan(text, folded, taken=bytearray(len(text)))
    f = scan.folded
    for m in _DOCNO_RE.finditer(text):
        key = ("doc_number", int(m.group(1)), m.group(2) or "", f[m.start(3) : m.end(3)])
        scan.add("doc_number", [key], m.start(), m.end(), m.group(0))
    for rx in _DATE_RES:
        for m in rx.finditer(f):
            d, mo, y = (m.group(1), m.group(3), m.group(4)) if m.lastindex == 4 else m.groups()
            if scan.free(m.start(), m.end()) and 1 <= int(mo) <= 12 and 1 <= int(d) <= 31:
                scan.add("date", [("date", int(d), int(mo), int(y))], m.start(), m.end(), m.group(0))
    for m in _RANGE_RE.finditer(f):
        if scan.free(m.start(), m.end()):
            scan.add("range", [("range", m.group(1), m.group(2))], m.start(), m.end(), m.group(0))
    for m in _MONTH_YEAR_RE.finditer(f):
        if scan.free(m.start(), m.end()):
            scan.add("pair", _pair_keys("pair", m.group(1), m.group(2)), m.start(), m.end(), m.group(0))
    for m in _PAIR_RE.finditer(f):
        if scan.free(m.start(), m.end()):
            scan.add("pair", _pair_keys("pair", m.group(1), m.group(2)), m.start(), m.end(), m.group(0))
    for m in _PERCENT_RE.finditer(f):
        if scan.free(m.start(), m.end()):
            scan.add("percent", (("percent", v) for v in number_values(m.group(1))), m.start(), m.end(), m.group(0))
    for m in _CHANGE_RE.finditer(f):
        if scan.free(m.start(), m.end()):
            sign = 1 if m.group(1) == "tang" else -1
            scan.add("rank_change", [("rank_change", sign * int(m.group(2)))], m.start(), m.end(), m.group(0))
    for m in _NUMBER_RE.finditer(f):
        if scan.free(m.start(), m.end()):
            raw = m.group(0)
            is_year = raw.isdigit() and len(raw) == 4 and 1900 <= int(raw) <= 2100
            kind = "year" if is_year else "number"
            scan.add(kind, (("number", v) for v in number_values(raw)), m.start(), m.end(), raw)
    return scan


def _pair_kind(fig: Figure) -> str:
    """A pair is a score when a side has a decimal part, a rank otherwise."""
    return "score" if any("." in str(k[1]) or "." in str(k[2]) for k in fig.keys) else "rank"


# --------------------------------------------------------------------------- anchors
@dataclass(frozen=True)
class _Anchor:
    pos: int
    value: str


def _comparison_spans(folded: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _COMPARE_RE.finditer(folded)]


def _anchors(text: str, scan: _Scan) -> dict[str, list[_Anchor]]:
    """Labels a figure can be bound to: index or field, province, year, and the year it is compared
    with (``so với năm 2021``, which is not the figure's own year)."""
    f = scan.folded
    labels = [_Anchor(m.start(), m.lastgroup or "") for m in _INDEX_FOLDED_RE.finditer(f)]
    for m in _FIELD_RE.finditer(f):
        code, i, _ = _FIELDS[int((m.lastgroup or "f0")[1:])]
        labels.append(_Anchor(m.start(), f"{code}:{i}"))
    provinces = [_Anchor(m.start(), m.group(0)) for m in _PROVINCE_RE.finditer(f)]
    compare = _comparison_spans(f)
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
class _Text:
    """A scanned text with its anchors and clause/sentence breaks."""

    text: str
    scan: _Scan
    anchors: dict[str, list[_Anchor]]
    clause_breaks: list[int]
    sentence_breaks: list[int]
    default_province: str | None = None

    @classmethod
    def of(cls, text: str, default_province: str | None = None, *, evidence: bool = False) -> _Text:
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
        """Years written about a figure: in its clause (``wide``: its sentence), between the document
        numbers before and after it (a list of plans names each one's years after its number)."""
        lo, hi = _bounds(self.sentence_breaks if wide else self.clause_breaks, fig.start, len(self.text))
        for g in self.scan.figures:
            if g.kind == "doc_number" and not (g.start <= fig.start < g.end + 25):
                if g.end <= fig.start:
                    lo = max(lo, g.end)
                elif g.start > fig.start:
                    hi = min(hi, g.start)
        return {a.value for a in self.anchors["year"] if lo <= a.pos < hi}

    @functools.cached_property
    def words(self) -> set[str]:
        return set(_WORD_RE.findall(self.scan.folded))

    @functools.cached_property
    def shingles(self) -> set[tuple[str, ...]]:
        return shingles(self.scan.folded)

    def values(self, kind: str) -> set[tuple[object, ...]]:
        return {k for fig in self.scan.figures if fig.kind == kind for k in fig.keys}


# --------------------------------------------------------------------------- the check
_BOUND_KINDS = {"pair", "percent", "rank_change", "number"}


def verify(
    sentences: Sequence[GenSentence],
    sources: Sequence[Source],
    asked: Asked | None = None,
    agencies: AgencyFinder | None = None,
    *,
    instructions: str = "",
    min_support: float = 0.5,
) -> Verdict:
    """Check every sentence against its cited sources; an empty answer fails too.
    ``instructions``: the model's own prompt, which no sentence may repeat."""
    ctx = _Context(
        {s.number: _Text.of(s.text, s.province, evidence=True) for s in sources},
        asked or Asked(),
        agencies,
        _instruction_shingles(instructions),
        min_support,
    )
    if not sentences or not any(s.text.strip() for s in sentences):
        return Verdict((Failure("empty", 0, "no sentence"),))
    failures: list[Failure] = []
    for i, sent in enumerate(sentences):
        failures.extend(_check_sentence(i, sent, ctx))
    return Verdict(tuple(failures))


@dataclass
class _Context:
    texts: dict[int, _Text]
    asked: Asked
    agencies: AgencyFinder | None
    instructions: frozenset[tuple[str, ...]]
    min_support: float
    agency_cache: dict[int, set[str]] = field(default_factory=dict)


def _check_sentence(i: int, sent: GenSentence, ctx: _Context) -> list[Failure]:
    if not sent.cites:
        return [Failure("no_citation", i, sent.text[:80])]
    unknown = [c for c in sent.cites if c not in ctx.texts]
    if unknown:
        return [Failure("unknown_citation", i, f"[{unknown[0]}]")]
    cited = [ctx.texts[c] for c in dict.fromkeys(sent.cites)]
    own = _Text.of(_CITE_MARK_RE.sub(" ", sent.text))
    out: list[Failure] = []
    for fig in own.scan.figures:
        reason = _check_figure(fig, own, cited, ctx.asked)
        if reason:
            out.append(Failure(reason, i, fig.raw))
    out.extend(_check_names(i, own, cited, ctx))
    out.extend(_check_words(i, own, cited, ctx))
    return out


def _check_words(i: int, own: _Text, cited: list[_Text], ctx: _Context) -> list[Failure]:
    out: list[Failure] = []
    leaked = (own.shingles & ctx.instructions) - set().union(*(t.shingles for t in cited))
    if leaked:
        out.append(Failure("instructions", i, " ".join(sorted(leaked)[0])))
    content = own.words - STOPWORDS
    if content:
        have = set().union(*(t.words for t in cited))
        share = len(content & have) / len(content)
        if share < ctx.min_support:
            out.append(Failure("unsupported", i, f"{share:.0%} of its words in the passages"))
    return out


def _check_figure(fig: Figure, own: _Text, cited: list[_Text], asked: Asked) -> str | None:
    if fig.kind == "year":
        return _check_year(fig, own, cited)
    occurrences = [(t, g) for t in cited for g in t.scan.figures if _same(fig, g)]
    if not occurrences:
        if fig.kind == "date" and any(_date_in(fig, t) for t in cited):
            return None
        if fig.kind == "pair":
            return _pair_kind(fig)
        return "year" if fig.kind == "range" else fig.kind
    return _check_binding(fig, own, occurrences, asked)


def _check_year(fig: Figure, own: _Text, cited: list[_Text]) -> str | None:
    """A year must be in the passages; a year the sentence compares with must be one they compare with."""
    if any(a.pos == fig.start for a in own.anchors["since"]):
        since = {a.value for t in cited for a in t.anchors["since"]}
        return None if fig.raw in since else "year"
    years = {k for t in cited for k in t.values("year") | t.values("number")}
    dated = {("number", str(k[3])) for t in cited for k in t.values("date")}
    return None if fig.keys & (years | dated) else "year"


def _same(fig: Figure, other: Figure) -> bool:
    if fig.kind == "number":  # a bare number may be part of a larger figure in the passage
        return bool(fig.keys & other.keys) or (
            other.kind in ("pair", "percent") and any(("number", v) in fig.keys for k in other.keys for v in k[1:])
        )
    return fig.kind == other.kind and bool(fig.keys & other.keys)


def _date_in(fig: Figure, t: _Text) -> bool:
    """``31/7/2023`` in a sentence, ``31/7`` in a passage that names 2023 elsewhere."""
    ((_, d, m, y),) = fig.keys
    return bool(t.values("pair") & _pair_keys("pair", str(d), str(m))) and ("number", str(y)) in t.values("year")


def _check_binding(fig: Figure, own: _Text, occurrences: list[tuple[_Text, Figure]], asked: Asked) -> str | None:
    """The figure must be stated somewhere in the passages for the same index or field, role, province,
    year and comparison year; a document number with the same date."""
    claim = own.bind(fig)
    implicit = {"province": claim["province"] is None, "year": claim["year"] is None}
    asked_years: set[str] = set()
    if fig.kind in _BOUND_KINDS:
        if claim["province"] is None and asked.province:
            claim["province"] = fold_aligned(asked.province)
        asked_years = {str(y) for y in asked.years}
    else:  # identifiers: only what the sentence itself says about them
        claim = {"province": claim["province"], "link": claim["link"]}
    identifier = fig.kind in ("date", "doc_number")
    claim_years = own.years_near(fig)
    reasons: list[str] = []
    for t, g in occurrences:
        bad = _conflict(claim, t.bind(g), asked_years, implicit)
        if bad is None and claim_years:
            there = t.years_near(g, wide=not identifier)
            bad = "year" if there and not claim_years <= there else None
        if bad is None:
            return None
        reasons.append(fig.kind if bad == "link" else bad)
    return reasons[0]


def _conflict(
    claim: dict[str, str | None], where: dict[str, str | None], asked_years: set[str], implicit: dict[str, bool]
) -> str | None:
    for family in ("label", "role", "link"):
        if claim.get(family) and where[family] and claim[family] != where[family]:
            return "label" if family == "role" else family
    if claim.get("province") and where["province"] and claim["province"] != where["province"]:
        return "other_province" if implicit["province"] else "province"
    if where["year"] and "year" in claim:
        if claim["year"] and claim["year"] != where["year"]:
            return "year"
        if claim["year"] is None and asked_years and where["year"] not in asked_years:
            return "other_year"
    if claim.get("since") and where["since"] and claim["since"] != where["since"]:
        return "year"
    return None


def _check_names(i: int, own: _Text, cited: list[_Text], ctx: _Context) -> list[Failure]:
    out: list[Failure] = []
    have = {a.value for t in cited for a in t.anchors["province"]} | {t.default_province for t in cited}
    seen: set[str] = set()
    for a in own.anchors["province"]:
        if a.value not in have and a.value not in seen:
            seen.add(a.value)
            out.append(Failure("province", i, own.text[a.pos : a.pos + len(a.value)]))
    if ctx.agencies is not None:
        mine = set(ctx.agencies(own.text))
        theirs: set[str] = set()
        for t in cited:
            if id(t) not in ctx.agency_cache:
                ctx.agency_cache[id(t)] = set(ctx.agencies(t.text))
            theirs |= ctx.agency_cache[id(t)]
        out.extend(Failure("agency", i, a) for a in sorted(mine - theirs))
    return out


def asked_of(question: str, home_province: str | None = None) -> Asked:
    """Province and years a question asks about (comparison years excluded); the home province
    when it names none."""
    q = fold_aligned(nfc(question))
    provinces = [m.group(0) for m in _PROVINCE_RE.finditer(q)]
    compare = _comparison_spans(q)
    years = {
        int(m.group(0))
        for m in re.finditer(r"(?<!\d)(?:19|20)\d\d(?!\d)", q)
        if not any(s <= m.start() < e for s, e in compare)
    }
    province = provinces[0] if len(provinces) == 1 else (None if provinces else home_province)
    return Asked(province, frozenset(years))
