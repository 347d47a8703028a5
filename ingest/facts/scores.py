"""Extraction rules for index results (PAR INDEX, SIPAS, PAPI, PCI, ICT INDEX) from a document's text.

Pure functions over the repaired document text and its section list (no database, no model):

- overall ranks written in a sentence (``Chỉ số PAR INDEX xếp thứ 12/63 (giữ nguyên so với năm 2021)``),
  with the score before them (``tổng số điểm đạt 83,52/100 điểm``) and the signed change
  (``tăng 12 bậc`` +12, ``giảm 03 bậc`` -3, ``giữ nguyên`` 0);
- field results of a detailed PAR INDEX report (a section headed by a field name, then
  ``Tổng số đạt 8,82/9,5 điểm, ... xếp thứ 34/63 ... (tăng 7 bậc ...)``) and SIPAS components
  (``Chỉ số hài lòng về tiếp cận dịch vụ đạt 1,28/1,5 điểm``);
- deductions (``bị trừ 0,1 điểm do ...``, ``Trừ 0,154 điểm do ...``) with their reason and the agency the
  document names as responsible (``Nội dung này, Văn phòng UBND tỉnh tham mưu``);
- targets (``nằm trong nhóm 10 địa phương dẫn đầu``, ``tăng từ 2 đến 5 bậc``);
- the previous year's rank derived from a stated change (``derived=True``).

Every value carries the exact offsets of its quote in the document text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from dataclasses import field as dc_field

from core.indices import INDEX_CODES, INDEX_RE, PAR_FIELDS, SIPAS_COMPONENTS, index_of_match, match_field
from core.text import split_sentences

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


# --------------------------------------------------------------------------- helpers
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


def _line_at(text: str, pos: int) -> tuple[int, int]:
    a = text.rfind("\n", 0, pos) + 1
    b = text.find("\n", pos)
    return a, (len(text) if b < 0 else b)


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in " \t\n-+.•:;,":
        a += 1
    while b > a and text[b - 1] in " \t\n;,:":
        b -= 1
    return a, b


def _year_of(doc_date: str | None, title: str | None) -> int | None:
    m = re.search(r"năm\s+((?:19|20)\d\d)", title or "")
    if m:
        return int(m.group(1))
    if doc_date and doc_date[:4].isdigit():
        return int(doc_date[:4]) - 1  # a report in year Y presents the results of Y-1
    return None


def _section_chain(sections: list[SectionInfo], text: str, pos: int) -> list[str]:
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
    a, b = _line_at(text, best.start)
    chain.append(text[a:b])
    chain.extend(reversed(parts[:-1]))
    return chain


# --------------------------------------------------------------------------- extraction
def extract(
    text: str,
    sections: list[SectionInfo],
    *,
    province: str | None,
    doc_date: str | None = None,
    title: str | None = None,
) -> Extraction:
    """All index results and targets stated in one document."""
    default_year = _year_of(doc_date, title)
    results: list[ExtractedResult] = []
    results.extend(_rank_statements(text, sections, province, default_year))
    results.extend(_components(text, sections, province, default_year, results))
    results = _dedupe(results)
    _attach_deductions(text, sections, results)
    results.extend(_derived(results))
    targets = _targets(text, province, title)
    return Extraction(results, targets)


def _rank_statements(
    text: str, sections: list[SectionInfo], doc_province: str | None, default_year: int | None
) -> list[ExtractedResult]:
    out: list[ExtractedResult] = []
    for sp in split_sentences(text):
        sent = text[sp.start : sp.end]
        ranks = list(RANK_RE.finditer(sent))
        for i in range(len(ranks)):
            r = _one_rank(text, sections, sp.start, sent, ranks, i, doc_province, default_year)
            if r is not None:
                out.append(r)
    return out


def _one_rank(
    text: str, sections: list[SectionInfo], base: int, sent: str, ranks: list[re.Match[str]], i: int,
    doc_province: str | None, default_year: int | None,
) -> ExtractedResult | None:
    rm = ranks[i]
    rank, rank_of = int(rm.group(1)), int(rm.group(2))
    if not (1 <= rank <= rank_of <= 100):
        return None
    seg_a = ranks[i - 1].end() if i else 0  # this rank's part of the sentence
    seg_b = ranks[i + 1].start() if i + 1 < len(ranks) else len(sent)
    before = sent[seg_a : rm.start()]
    cut = max(before.rfind(";"), before.rfind(":"))
    clause_a = seg_a + cut + 1 if cut >= 0 else seg_a  # after the last ';' or ':' before the rank
    pre = sent[clause_a : rm.start()]
    mentions = list(INDEX_RE.finditer(pre))
    fld = match_field(pre, PAR_FIELDS)
    index: str | None = None
    scope = "overall"
    if mentions:
        index = index_of_match(mentions[-1])
        if index == "PAR" and fld and fld[3] > mentions[-1].end():
            scope = "field"  # "Chỉ số CCHC ... lĩnh vực Cải cách thể chế xếp thứ"
        m0 = next(m for m in mentions if index_of_match(m) == index)
        if not re.search(r"\b[Nn]ăm\s+\d{4}\b", pre[: m0.start()]):
            clause_a += m0.start()  # quote from the index name
    elif fld:
        index, scope = "PAR", "field"
    else:
        clause_a = seg_a  # "Tổng số đạt 12,3/15 điểm; ...; xếp thứ 48/63": keep the score in the quote
        for head in _section_chain(sections, text, base + rm.start()):
            hf = match_field(head, PAR_FIELDS)
            if hf:
                index, scope, fld = "PAR", "field", hf
                break
            hm = list(INDEX_RE.finditer(head))
            if hm:
                index = index_of_match(hm[-1])
                break
    if index is None:
        return None
    if scope != "field":
        fld = None
    # signed change: right after the rank, else the last one before it in the clause
    change_m = CHANGE_RE.search(sent, rm.end(), seg_b)
    if change_m is not None and change_m.start() - rm.end() > 60:
        change_m = None
    after_rank = change_m is not None
    if change_m is None:
        cms = list(CHANGE_RE.finditer(sent, clause_a, rm.start()))
        change_m = cms[-1] if cms else None
    change: int | None = None
    if change_m is not None:
        change = 0 if change_m.group(3) else int(change_m.group(2)) * (1 if change_m.group(1).lower() == "tăng" else -1)
    # quote end: after the change (and a closing parenthesis), up to ';', '.', or a new clause
    q_end = change_m.end() if (change_m is not None and after_rank) else rm.end()
    stop = re.compile(r";|\.\s|\.$|\s+do\s").search(sent, q_end, seg_b)
    q_end = stop.start() if stop else seg_b
    if sent.count("(", clause_a, q_end) > sent.count(")", clause_a, q_end):
        close = sent.find(")", q_end, seg_b)
        if close >= 0:
            q_end = close + 1
    # year: "so với năm Y" in this clause -> Y+1; else the last "năm Y" before the rank; else headings
    year: int | None = None
    vs = re.search(r"so\s+với\s+năm\s+((?:19|20)\d\d)", sent[clause_a:seg_b], re.I)
    if vs:
        year = int(vs.group(1)) + 1
    else:
        ys = [y for y in YEAR_RE.finditer(sent[: rm.start()]) if not y.group(1)]
        if ys:
            year = int(ys[-1].group(2))
        else:
            for head in _section_chain(sections, text, base):
                hy = YEAR_RE.search(head)
                if hy and not hy.group(1):
                    year = int(hy.group(2))
                    break
    year = year or default_year
    if year is None:
        return None
    pm = list(PROVINCE_RE.finditer(sent[: rm.start()]))
    prov = pm[-1].group(1) if pm else doc_province
    if not prov:
        return None
    score = max_score = None
    sm = list(SCORE_RE.finditer(sent, clause_a, rm.start()))
    if sm:
        score, max_score = parse_number(sm[-1].group(1)), parse_number(sm[-1].group(2))
    a, b = _trim(text, base + clause_a, base + q_end)
    logger.debug("rank statement: %s %s %s %s/%s", index, year, prov, rank, rank_of)
    return ExtractedResult(
        index=index, year=year, province=prov, scope=scope,
        field=fld[1] if fld else None, field_order=fld[0] if fld else None,
        score=score, max_score=max_score, rank=rank, rank_of=rank_of, rank_change=change,
        derived=False, quote=Found(a, b),
    )


def _components(
    text: str, sections: list[SectionInfo], province: str | None, default_year: int | None,
    found: list[ExtractedResult],
) -> list[ExtractedResult]:
    """SIPAS components: ``Chỉ số hài lòng về <component> đạt X/Y điểm``."""
    out: list[ExtractedResult] = []
    sipas = [r for r in found if r.index == "SIPAS" and r.scope == "overall" and r.province == province]
    pat = re.compile(rf"Chỉ\s+số\s+hài\s+lòng\s+về\s+(?P<name>[^\n]{{3,120}}?)\s+đạt\s+({NUM})\s*/\s*({NUM})\s*điểm", re.I)
    for m in pat.finditer(text):
        comp = match_field(m.group("name"), SIPAS_COMPONENTS)
        if comp is None or not province:
            continue
        year = None
        near = [r for r in sipas if r.quote.start <= m.start()]
        if near:
            year = near[-1].year
        year = year or default_year
        if year is None:
            continue
        a, b = _line_at(text, m.start())
        a, b = _trim(text, a, b)
        out.append(
            ExtractedResult(
                index="SIPAS", year=year, province=province, scope="component", field=comp[1],
                field_order=comp[0], score=parse_number(m.group(2)), max_score=parse_number(m.group(3)),
                rank=None, rank_of=None, rank_change=None, derived=False, quote=Found(a, b),
            )
        )
    return out


def _dedupe(results: list[ExtractedResult]) -> list[ExtractedResult]:
    """One result per key and value within a document: a restatement with the same numbers is merged
    into the first (fuller) statement; different numbers are kept (and flagged as a conflict later)."""
    out: list[ExtractedResult] = []
    for r in results:
        same = [o for o in out if o.key == r.key]
        if any(_agrees(o, r) for o in same):
            for o in same:
                if _agrees(o, r):
                    o.score = o.score if o.score is not None else r.score
                    o.max_score = o.max_score if o.max_score is not None else r.max_score
                    o.rank_change = o.rank_change if o.rank_change is not None else r.rank_change
            continue
        out.append(r)
    return out


def _agrees(a: ExtractedResult, b: ExtractedResult) -> bool:
    def eq(x: float | int | None, y: float | int | None) -> bool:
        return x is None or y is None or abs(float(x) - float(y)) < 1e-9

    return (eq(a.rank, b.rank) and eq(a.rank_of, b.rank_of) and eq(a.score, b.score)
            and eq(a.rank_change, b.rank_change))


def _derived(results: list[ExtractedResult]) -> list[ExtractedResult]:
    out = []
    for r in results:
        if r.derived or r.rank is None or r.rank_of is None or r.rank_change is None:
            continue
        prev = r.rank + r.rank_change  # up 12 to 14th: it was 26th
        if not 1 <= prev <= r.rank_of:
            continue
        out.append(
            ExtractedResult(
                index=r.index, year=r.year - 1, province=r.province, scope=r.scope, field=r.field,
                field_order=r.field_order, score=None, max_score=None, rank=prev, rank_of=r.rank_of,
                rank_change=None, derived=True, quote=r.quote,
                note=f"suy ra từ thứ hạng năm {r.year} ({r.rank}/{r.rank_of}, {_change_text(r.rank_change)})",
            )
        )
    return out


def _change_text(c: int) -> str:
    return "giữ nguyên" if c == 0 else (f"tăng {c} bậc" if c > 0 else f"giảm {-c} bậc")


# --------------------------------------------------------------------------- deductions
_BULLET_RE = re.compile(r"^\s*([-–+.•])\s*")


def _attach_deductions(text: str, sections: list[SectionInfo], results: list[ExtractedResult]) -> None:
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
                qa, qb = _trim(text, la, lb)
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
        qa, qb = _trim(text, la, lb)
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


# --------------------------------------------------------------------------- targets
_TOP_RE = re.compile(r"(?:nằm\s+)?(?:trong|thuộc)\s+nhóm\s+(\d{1,2})\s+(?:địa\s+phương|tỉnh(?:,\s*thành(?:\s+phố)?)?)\s+dẫn\s+đầu", re.I)
_UP_RE = re.compile(r"tăng\s+(?:từ\s+)?(\d{1,2})\s+(?:đến|-|–)\s+(\d{1,2})\s+bậc(?:\s+so\s+với\s+năm\s+((?:19|20)\d\d))?", re.I)
_SCORE_UP_RE = re.compile(r"điểm\s+Chỉ\s+số\s+tăng\s+cao\s+hơn\s+so\s+với\s+năm\s+((?:19|20)\d\d)", re.I)


def _targets(text: str, province: str | None, title: str | None) -> list[ExtractedTarget]:
    out: list[ExtractedTarget] = []
    if not province:
        return out
    title_idx = sorted({index_of_match(m) for m in INDEX_RE.finditer(title or "")})
    period = re.search(r"giai\s+đoạn\s+((?:19|20)\d\d)\s*[-–]\s*((?:19|20)\d\d)", title or "", re.I)
    for sp in split_sentences(text):
        sent = text[sp.start : sp.end]
        top, up, sup = _TOP_RE.search(sent), _UP_RE.search(sent), _SCORE_UP_RE.search(sent)
        if not (top or up or sup):
            continue
        idx = sorted({index_of_match(m) for m in INDEX_RE.finditer(sent)}, key=INDEX_CODES.index)
        if re.search(r"\bcác\s+chỉ\s+số\b", sent, re.I):
            idx = sorted(set(idx) | set(title_idx), key=INDEX_CODES.index)
        if not idx:
            continue
        ym = re.search(r"(?:trong\s+năm|năm|đến\s+năm)\s+((?:19|20)\d\d)(?!\s*[-–])", sent, re.I)
        y_from = y_to = int(ym.group(1)) if ym and not (up and up.group(3) == ym.group(1)) else None
        if y_from is None and period:
            y_from, y_to = int(period.group(1)), int(period.group(2))
        q = Found(*_trim(text, sp.start, sp.end))
        for code in idx:
            if top:
                n = int(top.group(1))
                out.append(ExtractedTarget(code, province, "top", None, n, y_from, y_to, None, q))
            if up:
                base = int(up.group(3)) if up.group(3) else None
                yf = y_from if y_from is not None else (base + 1 if base else None)
                yt = y_to if y_to is not None else yf
                out.append(ExtractedTarget(code, province, "rank_up", int(up.group(1)), int(up.group(2)), yf, yt, base, q))
            if sup:
                base = int(sup.group(1))
                out.append(ExtractedTarget(code, province, "score_up", None, None, y_from or base + 1, y_to or base + 1, base, q))
    return out
