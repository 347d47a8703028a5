"""Legacy Vietnamese encodings: detection and conversion of TCVN3 (ABC) and VNI-Windows text.

Such files are single-byte; read as Latin-1 they show tell-tale characters ("Céng hßa" for
"Cộng hòa" in TCVN3, "Coäng hoøa" in VNI). We convert every candidate and keep the one that looks
most like Vietnamese.
"""

from __future__ import annotations

import logging
import re
import unicodedata

logger = logging.getLogger(__name__)

# TCVN3 (TCVN 5712:1993, "ABC" fonts such as .VnTime). Upper-case toned letters use the *H fonts
# with the same codes, so the plain text only says "lower case"; from_tcvn3 restores the case from
# the letters around them (a word or line written in capitals).
_TCVN3_PAIRS = (
    "µà ¸á ¶ả ·ã ¹ạ ¨ă »ằ ¾ắ ¼ẳ ½ẵ Æặ ©â Çầ Êấ Èẩ Éẫ Ëậ ®đ Ìè Ðé Îẻ Ïẽ Ñẹ ªê Òề Õế Óể Ôễ Öệ "
    "×ì Ýí Øỉ Üĩ Þị ßò ãó áỏ âõ äọ «ô åồ èố æổ çỗ éộ ¬ơ êờ íớ ëở ìỡ îợ ïù óú ñủ òũ ôụ "
    "\xadư õừ øứ öử ÷ữ ùự úỳ ýý ûỷ üỹ þỵ ¡Ă ¢Â §Đ £Ê ¤Ô ¥Ơ ¦Ư"
)
TCVN3 = {pair[0]: pair[1] for pair in _TCVN3_PAIRS.split(" ")}
_TCVN3_TABLE = str.maketrans(TCVN3)

# VNI-Windows: base letter followed by mark characters.
_VNI_MARKS = {"ø": "\u0300", "ù": "\u0301", "û": "\u0309", "õ": "\u0303", "ï": "\u0323"}
_VNI_HAT = {"à": "\u0300", "á": "\u0301", "å": "\u0309", "ã": "\u0303", "ä": "\u0323"}  # after circumflex
_VNI_BREVE = {"è": "\u0300", "é": "\u0301", "ú": "\u0309", "ü": "\u0303", "ë": "\u0323"}  # after breve


def _build_vni() -> dict[str, str]:
    table: dict[str, str] = {}

    def put(seq: str, composed: str) -> None:
        table[seq] = unicodedata.normalize("NFC", composed)
        table[seq.upper()] = unicodedata.normalize("NFC", composed).upper()

    for base in "aeiouy":
        for mk, comb in _VNI_MARKS.items():
            put(base + mk, base + comb)
    for base in "aeo":
        put(base + "â", base + "\u0302")
        for mk, comb in _VNI_HAT.items():
            put(base + mk, base + "\u0302" + comb)
    put("aê", "a\u0306")
    for mk, comb in _VNI_BREVE.items():
        put("a" + mk, "a\u0306" + comb)
    for horn_src, base in (("ô", "o"), ("ö", "u")):
        put(horn_src, base + "\u031b")
        for mk, comb in _VNI_MARKS.items():
            put(horn_src + mk, base + "\u031b" + comb)
    # single-character letters
    for src, dst in (("ñ", "đ"), ("í", "í"), ("ì", "ì"), ("æ", "ỉ"), ("ó", "ĩ"), ("ò", "ị"), ("î", "ỵ")):
        table[src] = dst
        table[src.upper()] = dst.upper()
    return table


VNI = _build_vni()
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(VNI, key=len, reverse=True)))

VI_LETTERS = set(
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵfjwz"
)
VI_LETTERS |= {c.upper() for c in VI_LETTERS}
_TONED = set("àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ")


_COMMON = frozenset(
    [
        "của", "và", "các", "công", "được", "trong", "người", "nhân", "dân", "tỉnh", "hành", "chính", "việt",
        "năm", "thực", "hiện", "với", "cho", "này", "những", "một", "không", "đã", "theo", "về", "quản",
        "lý", "cộng", "hòa", "hội", "nghĩa", "độc", "lập", "ủy", "ban", "số", "ngày", "tháng", "có", "là",
        "đến", "tại", "sở", "nhà", "nước", "cải", "cách", "thủ", "tục", "đơn", "vị", "cơ", "quan", "chỉ",
        "đạo", "kết", "quả", "nhiệm", "vụ", "trên", "địa", "bàn", "phát", "triển", "kinh", "tế", "xã",
        "huyện",
    ]
)


def vietnamese_score(text: str) -> float:
    """Higher is more Vietnamese-looking: common words and toned letters count, foreign letters cost."""
    good = 5 * sum(1 for w in re.findall(r"\w+", text.lower()) if w in _COMMON)
    bad = 0
    for ch in text:
        if ch in _TONED:
            good += 1
        elif (ch.isalpha() and ch not in VI_LETTERS) or (
            not ch.isascii() and not ch.isalpha() and unicodedata.category(ch) in ("So", "Sk", "Sm", "Lm")
        ):
            bad += 1
    return good - 3 * bad


_TCVN3_CAPITALS = "¡¢§£¤¥¦"  # the few capitals TCVN3 has codes for
_WORD = re.compile(r"\S+")


def _case_counts(original: str) -> tuple[int, int]:
    """(upper, lower) letters that carry their case in TCVN3 text: ASCII letters and the coded capitals."""
    upper = lower = 0
    for ch in original:
        if "A" <= ch <= "Z" or ch in _TCVN3_CAPITALS:
            upper += 1
        elif "a" <= ch <= "z":
            lower += 1
    return upper, lower


def _tcvn3_line(line: str) -> str:
    converted = line.translate(_TCVN3_TABLE)
    if converted == line:
        return line
    line_upper, line_lower = _case_counts(line)
    capital_line = line_lower == 0 and line_upper >= 3

    def word(m: re.Match[str]) -> str:
        src = m.group(0)
        out = src.translate(_TCVN3_TABLE)
        if out == src:
            return src
        upper, lower = _case_counts(src)
        if lower == 0 and (upper >= 2 or (upper >= 1 and capital_line)):
            return out.upper()
        return out

    return _WORD.sub(word, line)


def from_tcvn3(text: str) -> str:
    """TCVN3 -> Unicode; a word in capitals ("HO¹CH") and a word in a line of capitals ("KÕ HO¹CH")
    keep their toned letters upper case ("KẾ HOẠCH")."""
    return "\n".join(_tcvn3_line(line) for line in text.split("\n"))


def from_vni(text: str) -> str:
    return _VNI_RE.sub(lambda m: VNI[m.group(0)], text)


def fix_legacy(text: str) -> tuple[str, str]:
    """Return (text, encoding) where encoding is 'unicode', 'tcvn3' or 'vni'."""
    sample = text[:20000]
    base = vietnamese_score(sample)
    best = ("unicode", base)
    for name, conv in (("tcvn3", from_tcvn3), ("vni", from_vni)):
        score = vietnamese_score(conv(sample))
        if score > best[1] + max(5, abs(base) * 0.2):
            best = (name, score)
    if best[0] == "tcvn3":
        logger.info("legacy TCVN3 text converted to Unicode")
        return from_tcvn3(text), "tcvn3"
    if best[0] == "vni":
        logger.info("legacy VNI text converted to Unicode")
        return from_vni(text), "vni"
    return text, "unicode"
