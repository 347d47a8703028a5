"""Does a sentence hold what was asked? Checks by asked slot, and a small CCHC synonym lexicon.

A sentence answers "xếp thứ mấy" only if it holds a rank, "khi nào"/"hạn" only if it holds a date,
"bao nhiêu %" only if it holds a percentage, "ai"/"cơ quan nào" only if it names a body or a person.
The lexicon maps the ways officials ask to the words documents use (``đứng thứ`` ~ ``xếp thứ``,
``ai lo`` ~ ``chủ trì``, ``cử người đi dự`` ~ ``cử đại biểu dự``); it is applied to both sides before
judging word overlap, so a paraphrase counts as evidence.
"""

from __future__ import annotations

import functools
import logging
import re

from core.agencies import fold_aligned

logger = logging.getLogger(__name__)

# Groups of folded phrasings that mean the same in CCHC documents; the first is the canonical form.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("xep thu", "dung thu", "xep hang", "dung hang", "thu hang", "xep vi tri thu", "vi tri thu"),
    ("chu tri", "ai lo", "phu trach", "lo viec", "dung ra"),
    ("cu dai bieu du", "cu nguoi di du", "cu nguoi du", "cu can bo di du"),
    ("truoc ngay", "han chot", "thoi han", "han cuoi"),
    ("ty le", "phan tram"),
    ("toi thieu", "it nhat"),
    ("giam", "tut"),
    ("nhiem vu", "viec", "cong viec"),
    ("chiu trach nhiem", "co trach nhiem"),
    ("thu tuc hanh chinh", "tthc"),
    ("dich vu cong truc tuyen", "dvctt", "dvc truc tuyen"),
    ("cai cach hanh chinh", "cchc"),
    ("can bo, cong chuc, vien chuc", "cbccvc", "can bo cong chuc vien chuc"),
    ("co so du lieu", "csdl"),
    ("kinh te - xa hoi", "kinh te xa hoi", "ktxh"),
    ("bo phan mot cua", "mot cua"),
    ("ban hanh", "ra"),
    ("trien khai", "thuc hien"),
)
_CANON: dict[str, str] = {v: g[0] for g in SYNONYMS for v in g[1:]}
_CANON_RE = re.compile(r"(?<!\w)(" + "|".join(re.escape(v) for v in sorted(_CANON, key=len, reverse=True)) + r")(?!\w)")


@functools.lru_cache(maxsize=8192)
def canonical(text: str) -> str:
    """Folded text with every lexicon variant replaced by its canonical phrasing."""
    f = fold_aligned(text)
    return _CANON_RE.sub(lambda m: _CANON[m.group(1)], f)


# Slot patterns over the folded sentence; a slot missing here needs no particular content.
_SLOT: dict[str, re.Pattern[str]] = {
    "rank": re.compile(r"\b\d{1,2}/(?:63|62|64|34)\b|\b(?:xep|dung) (?:vi tri )?thu \d|\bthu hang\b \w+ \d"),
    "points": re.compile(r"\d+(?:[.,]\d+)?(?:/\d+(?:[.,]\d+)?)? diem\b"),
    "change": re.compile(r"\b(?:tang|giam) (?:tu )?\d+(?: den \d+)? bac\b|\bgiu nguyen\b|\b(?:tang|giam) \d+\b"),
    "percent": re.compile(r"\d+(?:[.,]\d+)? ?%|\bphan tram\b"),
    "count": re.compile(r"(?<![\d.,/])\d+(?:[.,]\d+)*(?:/\d+)?(?![\d%/])|\b(?:hai|ba|bon|sau|bay|tam|chin|muoi|tram|nghin)\b"),
    "amount": re.compile(r"\d+(?:[.,]\d+)* ?(?:dong|trieu|ty|nghin)\b"),
    "date": re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b|\bthang \d{1,2}(?:/| nam )\d{4}\b|\bnam (?:19|20)\d\d\b|"
                       r"\b(?:19|20)\d\d ?- ?(?:19|20)\d\d\b|\bquy [1-4iv]+\b|\bngay sau khi\b|\btu ngay\b|\bhang (?:nam|thang|quy)\b"),
    "deadline": re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b|\btruoc ngay\b|\bxong truoc\b|\bquy [1-4iv]+/\d{4}\b|\bthang \d{1,2}/\d{4}\b"),
    "number": re.compile(r"\b\d+[/-](?:\d{4}/)?[a-z]{1,6}(?:-[a-z0-9&]+)*\b|\bso \d+/"),
    "explain": re.compile(r"\bdo\b|\bvi\b|\bly do\b|\bnguyen nhan\b|\bbi tru\b|\bde\b"),
}
# "ai"/"cơ quan nào": a body named in the sentence or its section heading.
_BODY_RE = re.compile(r"\b(?:so|ban|uy ban|van phong|hoi dong|thanh tra|cong an|bao hiem|ngan hang|bao|dai|"
                      r"trung tam|bo|chinh phu|thu tuong|mat tran|dang uy|tinh uy|ubnd|cac so)\b")
_PERSON_RE = re.compile(r"\b[A-ZĐ][a-zà-ỹđ]+ (?:[A-ZĐ][a-zà-ỹđ]+ ){1,3}[A-ZĐ][a-zà-ỹđ]+\b|\b(?:Chủ tịch|Giám đốc|Trưởng ban|Bí thư)\b")


def holds_slot(asked: str, sentence: str, context: str = "", counted: str | None = None) -> bool:
    """True when ``sentence`` (or, for bodies, its section heading ``context``) holds what ``asked`` wants."""
    if asked == "agency":
        return bool(_BODY_RE.search(fold_aligned(sentence)) or _BODY_RE.search(fold_aligned(context)))
    if asked == "person":
        return bool(_PERSON_RE.search(sentence))
    rx = _SLOT.get(asked)
    if rx is None:
        return True
    f = fold_aligned(sentence)
    if asked in ("count", "amount"):
        # a count is not a year, a date, a document number, a rank out of 63 or a percentage
        f = _NOT_COUNT.sub(" ", f)
        if counted:  # "bao nhiêu xã": a number of that thing ("82 nhóm", "hai ứng cử viên")
            count = r"(?:\d+(?:[.,/]\d+)*|\b(?:hai|ba|bon|nam|sau|bay|tam|chin|muoi|tram))"
            return bool(re.search(rf"{count}(?: \w+){{0,2}} {re.escape(counted)}\b", f))
    return bool(rx.search(f))


_NOT_COUNT = re.compile(r"\b\d+[/-]\d{4}[/-][\w\-]+|\b\d{1,2}/\d{1,2}/\d{4}\b|\b\d+/[a-z][\w\-/&]*|\b\d{1,2}/\d{4}\b|"
                        r"(?<![\d.,])(?:19|20)\d\d(?![\d.,])|\d+(?:[.,]\d+)?/\d+(?:[.,]\d+)? diem|\b\d{1,2}/(?:63|34)\b|"
                        r"\d+(?:[.,]\d+)? ?%|\b\d+(?:[.,]\d+)? (?:diem|bac)\b")


def names_role_holder(role: str, sentence: str) -> bool:
    """"Ai là <chức danh>": the sentence names a person right next to that title (not a deputy's)."""
    f = fold_aligned(sentence)
    role_f = re.sub(r"\s+(?:tinh\s+)?hung yen$|\s+tinh$", "", fold_aligned(role).strip(" ?"))
    r = r"\s+".join(re.escape(w) for w in role_f.split()).replace(r"uy\s+ban\s+nhan\s+dan", "(?:uy ban nhan dan|ubnd)")
    name = r"[A-ZĐ][a-zà-ỹđ]+(?: [A-ZĐ][a-zà-ỹđ]+){1,3}"
    for m in re.finditer(rf"(?<!pho )\b{r}(?:\s+tinh)?\b", f):
        after = sentence[m.end():m.end() + 60]
        before = sentence[max(0, m.start() - 60):m.start()]
        if re.match(rf"\s*(?:là\s+)?(?:đồng chí\s+|ông\s+|bà\s+)?{name}", after) or re.search(rf"{name},?\s*$", before):
            return True
    return False


def slot_position(asked: str, sentence: str, counted: str | None = None) -> int | None:
    """Where in ``sentence`` the asked thing is (an offset), for showing the clause that holds it."""
    f = fold_aligned(sentence)
    if asked == "count" and counted:
        blanked = _NOT_COUNT.sub(lambda x: " " * len(x.group(0)), f)
        m = re.search(rf"\d+(?:[.,/]\d+)*(?: \w+){{0,2}} {re.escape(counted)}\b", blanked)
    else:
        rx = _SLOT.get(asked)
        m = rx.search(f) if rx is not None else None
    return m.start() if m else None


def years_in(text: str) -> set[int]:
    """Years a sentence or heading speaks of (not inside dates or document numbers)."""
    f = re.sub(r"\b\d+[/-]\d{4}[/-][\w\-]+|\b\d{1,2}/\d{1,2}/\d{4}\b", " ", fold_aligned(text))
    return {int(y) for y in re.findall(r"(?<![\d/])((?:19|20)\d\d)(?![\d/])", f)}
