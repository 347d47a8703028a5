"""Question understanding: one deterministic parse of a question into a typed value.

``parse(text, registry)`` says what is asked (a rank, points, a date, an agency, a list of
duties, ...) and what the question is about (agencies, indices, province, years, period, dates,
which document, exclusions). It uses patterns over the diacritic-free form, so questions typed with
or without diacritics, with abbreviations (``SNV``, ``KH&CN``, ``GD&ĐT``) or phone shorthand
(``so nv``, ``ubnd xa``) parse the same. No model, no I/O: a parse takes well under a millisecond.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date

from core.agencies import Registry, fold_aligned
from core.indices import INDICES
from ingest.metadata import PROVINCES

logger = logging.getLogger(__name__)

# What a question can ask for.
ASKED = ("rank", "points", "change", "percent", "count", "amount", "date", "deadline", "agency", "person",
         "duties", "tasks", "number", "summary", "explain", "list", "what")


@dataclass(frozen=True)
class Question:
    text: str
    folded: str  # diacritic-free, lower case, abbreviations expanded
    asked: str  # one of ASKED
    agencies: tuple[str, ...] = ()  # canonical names, in question order
    agency_ids: tuple[int, ...] = ()
    indices: tuple[str, ...] = ()  # index codes (PAR INDEX, SIPAS, ...), in question order
    field: str | None = None  # a PAR INDEX field named in the question ("cải cách thể chế")
    province: str | None = None  # a province named in the question
    years: tuple[int, ...] = ()
    period: str | None = None  # "6 tháng cuối năm 2025", "2026-2030" (folded words)
    dates: tuple[date, ...] = ()
    date_relation: str | None = None  # before | after | in
    document: str | None = None  # kind of document named: ke hoach, ket luan, cong van, thong bao, bao cao, de an
    excluded: tuple[str, ...] = ()  # folded phrases after "ngoài"
    latest: bool = False  # "mới nhất", "gần đây nhất"
    counted: str | None = None  # the noun counted in "bao nhiêu <noun>" / "mấy <noun>" (folded first word)

    @property
    def year(self) -> int | None:
        return self.years[0] if self.years else None

    @property
    def index(self) -> str | None:
        return self.indices[0] if self.indices else None

    @property
    def agency(self) -> str | None:
        return self.agencies[0] if self.agencies else None


# ----------------------------------------------------------------------------- abbreviations
# Typed forms (folded, lower case) -> folded expansions. Applied to whole words only.
_SHORTHAND: list[tuple[str, str]] = [
    (r"snv|so nv", "so noi vu"), (r"stc|so tc", "so tai chinh"), (r"stp|so tp", "so tu phap"),
    (r"syt", "so y te"), (r"sxd", "so xay dung"), (r"sct", "so cong thuong"),
    (r"kh\s*&\s*cn|khcn", "khoa hoc va cong nghe"), (r"kh\s*&\s*dt|khdt", "ke hoach va dau tu"),
    (r"gd\s*&\s*dt|gddt", "giao duc va dao tao"), (r"tt\s*&\s*tt|tttt", "thong tin va truyen thong"),
    (r"nn\s*&\s*mt", "nong nghiep va moi truong"), (r"tn\s*&\s*mt", "tai nguyen va moi truong"),
    (r"ubnd", "uy ban nhan dan"), (r"ub", "uy ban"), (r"hdnd", "hoi dong nhan dan"), (r"vp", "van phong"),
    (r"mttq", "mat tran to quoc"), (r"ct-xh", "chinh tri - xa hoi"), (r"btv", "ban thuong vu"),
    (r"bcd", "ban chi dao"), (r"cchc", "cai cach hanh chinh"), (r"cctthc", "cai cach thu tuc hanh chinh"),
    (r"tthc", "thu tuc hanh chinh"), (r"dvcqg", "dich vu cong quoc gia"), (r"dvctt", "dich vu cong truc tuyen"),
    (r"dvc", "dich vu cong"), (r"csdl", "co so du lieu"), (r"cbccvc", "can bo cong chuc vien chuc"),
    (r"ktxh", "kinh te xa hoi"), (r"qppl", "quy pham phap luat"), (r"tcc", "tai chinh cong"),
    (r"kh", "ke hoach"), (r"xa", "xa"),
]
_SHORTHAND_RE = [(re.compile(rf"(?<![\w&])(?:{p})(?![\w&])"), r) for p, r in _SHORTHAND]
# Upper-case-only province abbreviations (``HY``, ``HD``), read from the original text.
_PROVINCE_ABBR = {"HY": "Hưng Yên", "HD": "Hải Dương", "TB": "Thái Bình"}

_PROVINCE_BY_FOLD = {fold_aligned(p): p for p in PROVINCES}
_PROVINCE_RE = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(_PROVINCE_BY_FOLD, key=len, reverse=True)) + r")\b")

# PAR INDEX fields (lĩnh vực), folded.
_FIELDS = ("chi dao dieu hanh", "cai cach the che", "cai cach thu tuc hanh chinh", "cai cach to chuc bo may",
           "cai cach che do cong vu", "cai cach tai chinh cong", "chinh quyen dien tu", "chinh quyen so",
           "tac dong cua cai cach hanh chinh")
_FIELD_RE = re.compile(r"\b(" + "|".join(_FIELDS) + r")\b")

_DOCS = (("ke hoach", "ke hoach"), ("ket luan", "ket luan"), ("cong van", "cong van"), ("thong bao", "thong bao"),
         ("bao cao", "bao cao"), ("de an", "de an"))


# ----------------------------------------------------------------------------- what is asked
def _rx(*alts: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alts) + r")\b")


_Q = r"(?:bao nhieu|may|la bao nhieu|nhieu)"
# (asked, pattern) in precedence order; the first match wins.
_ASK_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("summary", _rx(r"tom tat", r"tong hop (?:ket qua|thu hang|tinh hinh|cac chi so)", r"bao cao (?:nhanh|tom tat)")),
    ("tasks", _rx(r"(?:nhung )?(?:nhiem vu|viec|cong viec) (?:gi|nao) (?:\w+ )?"
                  r"(?:den han|phai hoan thanh|qua han|can hoan thanh|sap den han)",
                  r"(?:nhiem vu|viec|cong viec) (?:nao|gi) (?:\w+ ){0,3}(?:truoc|trong thang|den han)",
                  r"lich cong tac", r"con (?:nhung )?(?:viec|nhiem vu) (?:gi|nao)", r"viec gi den han",
                  r"(?:viec|nhiem vu) (?:\w+ ){0,3}qua han")),
    ("explain", _rx(r"vi sao", r"tai sao", r"ly do", r"nguyen nhan", r"do dau")),
    ("person", _rx(r"ai ky", r"nguoi ky", r"do ai ky", r"ky thay", r"ai la", r"la ai", r"do ai lam", r"lam truong ban",
                   r"(?:hoi nghi|cuoc hop|buoi lam viec)\b.*\bdo ai", r"ai chu tri hoi nghi", r"chuc vu")),
    ("agency", _rx(r"(?:nhung |cac )?(?:co quan|so|don vi|ban|nganh|to chuc) nao", r"ai (?!ky\b)\w+", r"do ai",
                   r"cua ai")),
    ("number", _rx(r"(?:nghi dinh|quyet dinh|thong tu|cong van|ke hoach|nghi quyet|chi thi|bao cao|van ban) "
                   r"(?:so )?(?:nao|may|bao nhieu)", r"so may", r"so bao nhieu", r"so hieu", r"ky hieu")),
    ("points", _rx(rf"{_Q} diem", r"(?<!quan )(?<!tru )(?<!giam )diem (?:\w+ ){0,8}(?:la )?(?:bao nhieu|may)",
                   r"tong diem", r"diem so(?! voi)")),
    ("change", _rx(r"tang hay giam", rf"(?:tang|giam) {_Q} bac", rf"{_Q} bac", r"thay doi (?:the nao|ra sao|bao nhieu)",
                   r"tang (?:hay|hoac) giam", r"so voi nam \d{4} (?:the nao|ra sao)")),
    ("rank", _rx(r"xep thu", r"dung thu", r"thu hang", r"xep hang", r"hang may", r"dung hang", r"thu may", r"vi tri thu")),
    ("percent", re.compile(r"%|\b(?:bao nhieu phan tram|may phan tram|phan tram)\b")),
    ("percent", _rx(r"bao nhieu phan tram", r"may phan tram", r"ty le", r"phan tram", r"muc do hai long",
                    r"chi tieu (?:hai long|ho so)", r"bao nhieu \%")),
    ("amount", _rx(r"gia vang", r"gia xang", r"ty gia", r"bao nhieu tien", r"ty dong", r"trieu dong", r"luong co ban",
                   r"muc luong", r"lai suat", r"kinh phi .* bao nhieu", r"gia (?:\w+ )?bao nhieu")),
    ("deadline", _rx(r"thoi han", r"han chot", r"han hoan thanh", r"han nop", r"den han", r"truoc ngay nao",
                     r"xong truoc", r"hoan thanh truoc", r"truoc khi nao", r"truoc thoi diem nao", r"^han", r"han ban hanh")),
    ("date", _rx(r"ngay nao", r"khi nao", r"bao gio", r"thoi gian nao", r"nam nao", r"ngay may", r"thang may",
                 r"giai doan nao", r"thoi diem nao", r"luc nao")),
    ("count", _rx(r"bao nhieu", r"may \w+", r"so luong")),
    ("duties", _rx(r"duoc giao (?:gi|nhiem vu|lam gi)", r"duoc de nghi (?:gi|lam gi)")),
    ("list", _rx(r"gom nhung", r"bao gom", r"nhung (?:\w+ ){1,6}nao", r"la nhung gi", r"nhung gi")),
]
# Duties of a named agency ("Sở X phải làm gì"); without an agency these ask "what".
_WEAK_DUTIES = _rx(r"lam gi", r"phai lam", r"can lam", r"co trach nhiem", r"lo viec gi", r"lam nhung gi", r"nhiem vu gi",
                   r"trach nhiem gi", r"co nhiem vu", r"nhiem vu (?:cua|nao)", r"chiu trach nhiem")
_TARGET = _rx(r"muc tieu", r"quan diem", r"dinh huong")  # a plan's aim for a rank is not a rank
_QUESTION_WORD = _rx(r"gi", r"nao", r"dau", r"sao", r"may", r"bao nhieu", r"ai", r"the nao")
_SCORE_ASKED = {"rank", "points", "change"}


def _asked(f: str, has_agency: bool, has_index: bool) -> str:
    for name, rx in _ASK_RULES:
        if name == "count" and has_agency and _WEAK_DUTIES.search(f) and not re.search(r"\bbao nhieu\b", f):
            continue
        if name == "rank" and _TARGET.search(f):
            continue
        if rx.search(f):
            if name == "count" and has_index and not re.search(r"\bbao nhieu (?!diem|bac)\w", f):
                return "rank"
            return name
    if has_agency and _WEAK_DUTIES.search(f):
        return "duties"
    if has_index and not _QUESTION_WORD.search(f) and not _TARGET.search(f):
        return "rank"  # "PAR INDEX 2024", "SIPAS 2022?"
    return "what"


# ----------------------------------------------------------------------------- the other slots
_DATE_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_MONTH_RE = re.compile(r"\bthang (\d{1,2})/(\d{4})\b")
_NUMBER_LIKE = re.compile(r"\b\d+[/-]\d{4}[/-][\w\-]+|\b\d{1,2}/\d{1,2}/\d{4}\b|\b\d{1,2}/\d{4}\b|\b\d+/[A-Za-z][\w\-/&]*")
_YEAR_RE = re.compile(r"(?<![\d/])(19[89]\d|20[0-4]\d)(?![\d/])")
_PERIOD_RE = re.compile(r"\b(6 thang (?:dau|cuoi)(?: nam)?(?: \d{4})?|quy [1-4iv]+(?:/\d{4})?|"
                        r"(?:giai doan )?(?:19|20)\d\d ?(?:-|den) ?(?:19|20)\d\d)\b")


# A department typed without "Sở" ("GD&ĐT có trách nhiệm gì"), not when a ministry ("Bộ") is meant.
_BARE_DEPT = re.compile(r"^(khoa hoc va cong nghe|giao duc va dao tao|ke hoach va dau tu|"
                        r"thong tin va truyen thong|noi vu|tu phap|tai chinh|y te)\b(?= (?:co|phai|can|lam|duoc|chiu)\b)")


def expand_shorthand(folded: str) -> str:
    """Folded text with typed abbreviations spelled out ("snv" -> "so noi vu", "cchc" -> ...)."""
    return _expand(folded)


def _expand(folded: str) -> str:
    s = folded
    for rx, rep in _SHORTHAND_RE:
        s = rx.sub(rep, s)
    return re.sub(r"\s+", " ", s).strip()


def _dates(f: str) -> tuple[tuple[date, ...], str | None]:
    out: list[date] = []
    for d, m, y in _DATE_RE.findall(f):
        try:
            out.append(date(int(y), int(m), int(d)))
        except ValueError:
            continue
    rel = None
    mm = _MONTH_RE.search(f)
    if mm and 1 <= int(mm.group(1)) <= 12:
        month, year = int(mm.group(1)), int(mm.group(2))
        out.append(date(year, month, 1))
        rel = "in"
    if out and rel is None:
        rel = "after" if re.search(r"\b(sau|ke tu|tu)\b (?:ngay )?\d", f) else "before"
    return tuple(out), rel


# A registered name right after these words is part of another body's name.
_OWNED_BY = re.compile(r"\b(?:dang uy|chi bo|dang doan|ban can su|to chuc dang|cong doan|doan thanh nien)\s*$")


def _agencies(text: str, expanded: str, registry: Registry | None) -> tuple[tuple[str, ...], tuple[int, ...]]:
    if registry is None:
        return (), ()
    names: list[str] = []
    ids: list[int] = []
    text = _NUMBER_LIKE.sub(" ", text)
    expanded = _BARE_DEPT.sub(lambda m: "so " + m.group(1), _NUMBER_LIKE.sub(" ", expanded))
    for probe in (text, expanded):
        for m in registry.mentions(probe):
            if _OWNED_BY.search(fold_aligned(probe[: m.start])):
                continue  # "Đảng ủy Hội đồng nhân dân tỉnh" is not the HĐND itself
            if m.agency_id not in ids:
                ids.append(m.agency_id)
                names.append(registry.get(m.agency_id).name)
        if ids:
            break
    if not ids:
        typed = _typed_department(expanded, registry)
        if typed is not None:
            ids.append(typed)
            names.append(registry.get(typed).name)
    return tuple(names), tuple(ids)


_TYPED_SO = re.compile(r"\bso ((?:\w+ ){1,5}?)(?=(?:lam|co|phai|can|duoc|chiu|trong|theo|o|tai)\b)")


def _typed_department(expanded: str, registry: Registry) -> int | None:
    """"so khoa hoc cong nghe" typed without "va": matched against names with "va" dropped."""
    m = _TYPED_SO.search(expanded)
    if m is None:
        return None
    want = ("so " + m.group(1)).replace(" va ", " ").strip()
    for norm, aid in registry.by_norm.items():
        if norm.replace(" va ", " ") == want:
            return aid
    return None


def _indices(f: str) -> tuple[str, ...]:
    found: list[tuple[int, str]] = []
    for spec in INDICES.values():
        for alias in (spec.code, spec.label, *spec.aliases):
            a = fold_aligned(alias).strip()
            # Broad aliases ("hai long", "cchc") name a topic, not the index.
            if len(a) < 3 or (" " in a and not a.startswith("chi so") and alias != spec.label) or a == "cchc":
                continue
            m = re.search(r"(?<!\w)" + re.escape(a) + r"(?!\w)", f)
            if m:
                found.append((m.start(), spec.code))
                break
    return tuple(dict.fromkeys(code for _, code in sorted(found)))


def _province(text: str, f: str) -> str | None:
    m = _PROVINCE_RE.search(f)
    if m:
        return _PROVINCE_BY_FOLD[m.group(1)]
    for abbr, name in _PROVINCE_ABBR.items():
        if re.search(rf"(?<!\w){abbr}(?!\w)", text):
            return name
    return None


def parse(text: str, registry: Registry | None = None) -> Question:
    """The typed reading of a question (deterministic; no I/O)."""
    raw = " ".join(text.split())
    folded = re.sub(r"\s+", " ", fold_aligned(raw)).strip()
    f = _expand(folded)
    names, ids = _agencies(raw, f, registry)
    indices = _indices(f)
    field_m = _FIELD_RE.search(f)
    asked = _asked(f, bool(ids), bool(indices))
    if not indices and field_m and asked in _SCORE_ASKED:
        indices = ("PAR",)
    years = tuple(dict.fromkeys(int(y) for y in _YEAR_RE.findall(_NUMBER_LIKE.sub(" ", f))))
    dates, rel = _dates(f)
    period_m = _PERIOD_RE.search(f)
    doc = next((d for k, d in _DOCS if re.search(rf"\b{k}\b", f)), None)
    excluded = tuple(m.group(1).strip() for m in re.finditer(r"\bngoai ([\w ]{3,40}?)(?:,|\?|$| thi| con)", f))
    return Question(
        text=raw, folded=f, asked=asked, agencies=names, agency_ids=ids, indices=indices,
        field=field_m.group(1) if field_m else None, province=_province(raw, folded), years=years,
        period=period_m.group(1) if period_m else None, dates=dates, date_relation=rel, document=doc,
        excluded=excluded, latest=bool(re.search(r"\b(moi nhat|gan day nhat|gan nhat|hien nay)\b", f)),
        counted=_counted(f) if asked == "count" else None,
    )


_NOT_NOUN = frozenset(["tren", "trong", "cua", "la", "thi", "duoc", "phan", "%", "diem", "bac", "nam", "lan"])


def _counted(f: str) -> str | None:
    m = re.search(r"\b(?:bao nhieu|may)\s+(\w+)", f)
    return m.group(1) if m and m.group(1) not in _NOT_NOUN else None
