"""Vietnamese text handling shared by ingest, retrieval and answers.

- ``nfc``: Unicode NFC (documents extracted from PDFs are often NFD).
- ``fold``: diacritic-free lower-case form (``Đồng`` -> ``dong``), used so that questions typed
  without diacritics match.
- ``analyze``: the token stream the lexical index uses: syllables, syllable bigrams, their folded
  forms, and glossary expansions of abbreviations.
- ``split_sentences``: sentence spans with exact offsets (quotes are slices of the text).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

import yaml

_WORD_RE = re.compile(r"\w+", re.UNICODE)
_VI_MARKS_RE = re.compile(
    "[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.IGNORECASE
)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@functools.lru_cache(maxsize=200_000)
def fold_token(token: str) -> str:
    decomposed = unicodedata.normalize("NFD", token.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").lower()


def fold(text: str) -> str:
    """Lower-case, diacritic-free form of a text (length may differ from the input)."""
    return fold_token(text) if len(text) < 64 else "".join(fold_token(w) for w in re.split(r"(\W+)", text))


def has_diacritics(text: str) -> bool:
    return bool(_VI_MARKS_RE.search(text))


# Old- and new-style tone placement ("hoà"/"hòa", "thuỷ"/"thủy") are the same word: canonical form
# puts the tone on the first vowel of an open oa/oe/uy syllable ending.
_TONE_OLD = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}
_TONE_RE = re.compile("(" + "|".join(_TONE_OLD) + ")$")


@functools.lru_cache(maxsize=200_000)
def canonical_syllable(tok: str) -> str:
    if len(tok) >= 2 and tok[-1] in "àáảãạèéẻẽẹỳýỷỹỵ" and not tok.startswith("qu"):
        return _TONE_RE.sub(lambda m: _TONE_OLD[m.group(1)], tok)
    return tok


def words(text: str) -> list[str]:
    """Lower-cased syllables (``\\w+``) of an NFC text, tone placement made canonical."""
    return [canonical_syllable(t) for t in _WORD_RE.findall(text.lower())]


# --------------------------------------------------------------------------- glossary
@dataclass(frozen=True)
class Glossary:
    pattern: re.Pattern[str]
    typed: dict[str, str]  # folded lower-case form of a one-word abbreviation -> its expansions key
    typed_pattern: re.Pattern[str]  # those words typed in lower case, with or without diacritics
    expansions: dict[str, str]  # key: abbreviation as written (case-sensitive) or "~" + folded form
    forms: tuple[str, ...] = ()  # what typed_pattern matches: any-case words, lower-cased and folded


@functools.lru_cache(maxsize=1)
def glossary() -> Glossary:
    raw = yaml.safe_load(resources.files("core").joinpath("data/glossary.yaml").read_text(encoding="utf-8"))
    abbr: dict[str, str] = {nfc(k): nfc(v) for k, v in raw["abbreviations"].items()}
    keys = sorted(abbr, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w&])(" + "|".join(re.escape(k) for k in keys) + r")(?![\w&])")
    expansions = dict(abbr)
    typed: dict[str, str] = {}
    for k in raw.get("any_case", []):
        key = nfc(k)
        if not re.fullmatch(r"\w+", key):
            raise ValueError(f"glossary any_case entries must be single words: {key!r}")
        expansions["~" + fold(key)] = abbr[key]
        typed[fold(key)] = "~" + fold(key)
    forms = sorted({f for k in raw.get("any_case", []) for f in (nfc(k).lower(), fold(nfc(k)))}, key=len, reverse=True)
    typed_pattern = re.compile(r"(?<![\w&])(" + "|".join(re.escape(f) for f in forms) + r")(?![\w&])") if forms else re.compile("(?!)")
    return Glossary(pattern, typed, typed_pattern, expansions, tuple(forms))


# --------------------------------------------------------------------------- analysis
@dataclass(frozen=True)
class Analyzed:
    """Token features of a text, by field."""

    uni: list[str]
    bi: list[str]
    funi: list[str]
    fbi: list[str]


def _bigrams(toks: list[str]) -> list[str]:
    return [f"{a}_{b}" for a, b in itertools.pairwise(toks)]


def analyze(text: str, *, expand: bool = True) -> Analyzed:
    text = nfc(text)
    toks = words(text)
    uni = list(toks)
    bi = _bigrams(toks)
    if expand:
        g = glossary()
        exp = [e for e in g.pattern.finditer(text)]
        extra = [g.expansions[m.group(1)] for m in exp]
        # Abbreviations typed in lower case ("cchc", "hdnd"); upper-case ones were found above.
        extra += [g.expansions[g.typed[fold_token(m.group(1))]] for m in g.typed_pattern.finditer(text)]
        for e in extra:
            et = words(e)
            uni.extend(et)
            bi.extend(_bigrams(et))
    funi = [fold_token(t) for t in uni]
    fbi = [fold_token(t) for t in bi]
    return Analyzed(uni, bi, funi, fbi)


# Question words that carry no topic ("bao nhiêu", "thế nào", ...), in folded form.
QUESTION_STOP = frozenset(
    fold_token(w)
    for w in [
        "gì", "là", "bao", "nhiêu", "mấy", "nào", "thế", "như", "sao", "không", "có", "được", "những", "các",
        "của", "và", "với", "cho", "về", "theo", "ở", "tại", "hãy", "cho", "biết", "ai", "đâu", "khi", "nào",
        "bởi", "vì", "ạ", "nhỉ", "vậy", "thì", "phải",
    ]
)


# Question phrasing that carries no topic, removed from queries before analysis (folded patterns).
_QUESTION_PHRASES = re.compile(
    r"\b(dung hay sai|nhu the nao|the nao|la gi|bao gom nhung gi|nhung gi|bao nhieu|khi nao|o dau|"
    r"duoc quy dinh ra sao|ra sao|phai khong|co phai|hay khong|cho biet|xin hoi)\b"
)
# Query-side rewrites: how a question asks for a definition -> how documents give one.
_DEFINITION_RE = re.compile(r"\b(dinh nghia|khai niem|duoc hieu nhu the nao|duoc hieu la gi|hieu the nao)\b|^[^,]{2,50} la gi\W*$")


_TERM_RES = (  # where a definition question names its term (on the folded question, same offsets)
    re.compile(r"[\"“”']([^\"“”']{2,60})[\"“”']"),
    re.compile(r"(?:dinh nghia|khai niem)(?: cua| ve)?\s+(.{2,60}?)(?:\s+la gi|\s+duoc hieu|[?.,]|$)"),
    re.compile(r"(?:^|,)\s*([^,]{2,60}?)\s+(?:duoc hieu|la gi)"),
)


def fold_chars(text: str) -> str:
    """``fold`` character by character, so offsets in the result are offsets in ``text``."""
    return "".join(f if len(f := fold_token(ch)) == 1 else ch.lower() for ch in text)


def is_definition(question: str) -> bool:
    """Whether a question asks what a term means ("X là gì?", "định nghĩa X"), with or without diacritics."""
    return bool(_DEFINITION_RE.search(fold_chars(nfc(question))))


def query_text(question: str) -> str:
    """The question without topic-free phrasing ("như thế nào", "đúng hay sai"), plus the words
    documents use for what it asks (a definition of X -> "X là"), typed with diacritics or not."""
    q = nfc(question)
    extra = ""
    fq = fold_chars(q)
    if _DEFINITION_RE.search(fq):
        # Documents define a term as "<term> là ..." in an article "Giải thích từ ngữ".
        m = next((m for r in _TERM_RES if (m := r.search(fq))), None)
        term = q[m.start(1) : m.end(1)].strip() if m else ""
        extra = f" {term} {'là' if has_diacritics(q) else 'la'}" if term else ""
    # Remove phrases by matching on the folded text word by word.
    toks = q.split()
    folded = [fold(t).strip(".,;:?!\"“”()") for t in toks]
    drop: set[int] = set()
    joined = " ".join(folded)
    for m in _QUESTION_PHRASES.finditer(joined):
        start = joined[: m.start()].count(" ")
        n = m.group(0).count(" ") + 1
        drop.update(range(start, start + n))
    return " ".join(t for i, t in enumerate(toks) if i not in drop) + extra


# --------------------------------------------------------------------------- sentences
_SENT_END_RE = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“(]?[A-ZÀ-ỸĐ0-9\-+•])|(?<=;)\s+(?=\S)|\n+")
_ABBREV_BEFORE_DOT = re.compile(r"(?:\b(?:TP|Tp|TS|ThS|PGS|GS|Đ/c|đ/c|St|No|tr|Nxb|v\.v)|\b[A-ZĐ])\.$")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def split_sentences(text: str, *, long_sentence: int = 450) -> list[Span]:
    """Sentence spans of ``text``: split at . ! ? (not after abbreviations or inside numbers) and
    newlines; a sentence longer than ``long_sentence`` is further split at ';'."""
    spans: list[Span] = []
    start = 0
    for m in _SENT_END_RE.finditer(text):
        cut = m.start()
        piece = text[start:cut]
        is_semicolon = piece.endswith(";")
        if is_semicolon and m.group(0).strip() == "" and "\n" not in m.group(0):
            # Split on ';' only inside a long sentence: look at the sentence it belongs to.
            sent_end = _next_hard_end(text, cut)
            if sent_end - start <= long_sentence:
                continue
        elif _ABBREV_BEFORE_DOT.search(piece.rstrip("\"”’) ")):
            continue
        _add(spans, text, start, cut)
        start = m.end()
    _add(spans, text, start, len(text))
    return spans


def _next_hard_end(text: str, pos: int) -> int:
    m = re.compile(r"[.!?](?:\s|$)|\n").search(text, pos)
    return m.end() if m else len(text)


def _add(spans: list[Span], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start and _WORD_RE.search(text, start, end):
        spans.append(Span(start, end))


def squash_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def unique(seq: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for s in seq:
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def province_key(name: str) -> str:
    """Matching key of a province name: folded, without a leading ``tỉnh`` / ``thành phố`` / ``TP``."""
    k = fold(nfc(name)).strip()
    k = re.sub(r"^(tinh|thanh pho|tp\.?)\s+", "", k)
    return re.sub(r"\s+", " ", k)


def fmt_number(x: float | None) -> str:
    """83.52 -> '83,52' (Vietnamese decimal comma); 4.0 -> '4'; None -> '?'."""
    if x is None:
        return "?"
    s = f"{float(x):.3f}".rstrip("0").rstrip(".")
    return s.replace(".", ",")
