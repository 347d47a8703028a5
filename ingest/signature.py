"""The signature block of a Vietnamese administrative document: who signed, in what title, on
behalf of whom ("TM. Ủy ban nhân dân", "KT. Chủ tịch").

The block sits at the end, after the recipients list ("Nơi nhận"): upper-case authority lines
(``TM.``, ``T/M``, ``KT.``, ``TL.``, ``TUQ.``), the signer's title in upper case, blank lines for the
signature and seal, then the signer's name.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

logger = logging.getLogger(__name__)

_AUTHORITY_RE = re.compile(r"^(T\s*/\s*M|TM|KT|TL|TUQ|Q)\s*\.?\s+(.+)$")
_AUTHORITY_WORDS = {"TM": "Thay mặt", "T/M": "Thay mặt", "KT": "Ký thay", "TL": "Thừa lệnh", "TUQ": "Thừa ủy quyền",
                    "Q": "Quyền"}
# Words kept capitalised inside a title ("Phó Chánh Văn phòng", "Giám đốc Sở Nội vụ").
_PROPER_AFTER = ("sở", "bộ", "ban", "tỉnh ủy", "văn phòng", "hội đồng", "chủ tịch", "chánh")


@dataclass(frozen=True)
class Signature:
    signer: str  # "Phạm Văn Nghiêm"
    title: str | None  # "Phó Chủ tịch"
    on_behalf: tuple[str, ...]  # ("Thay mặt Ủy ban nhân dân", "Ký thay Chủ tịch")
    start: int  # offsets of the block in the text (authority line .. name)
    end: int

    def describe(self) -> str:
        """'Phạm Văn Nghiêm (Phó Chủ tịch; thay mặt Ủy ban nhân dân, ký thay Chủ tịch)'."""
        bits = [b for b in (self.title, "; ".join(x[0].lower() + x[1:] for x in self.on_behalf) or None) if b]
        return f"{self.signer} ({'; '.join(bits)})" if bits else self.signer


def sentence_case(upper: str) -> str:
    """An upper-case title line in the case documents use in running text."""
    s = " ".join(upper.replace("*", " ").split()).lower()
    for word in sorted(_PROPER_AFTER, key=len, reverse=True):
        s = re.sub(rf"\b{word}\b", word.capitalize(), s)
    s = re.sub(r"(?<!ủy )\b(Sở|Bộ|Ban) (\w+)", lambda m: f"{m.group(1)} {m.group(2).capitalize()}", s)
    s = s.replace("ủy Ban", "ủy ban")
    return s[:1].upper() + s[1:]


def _is_name(line: str) -> bool:
    words = line.split()
    return (2 <= len(words) <= 5 and all(w[:1].isupper() and w[1:].islower() for w in words if w.isalpha())
            and all(w.isalpha() for w in words))


def _is_upper_line(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and len(line) <= 80


_MARKER_SPLIT = re.compile(r"\s+(?=(?:T\s*/\s*M|TM|KT|TL|TUQ)\s*\.?\s)")
# The signer's own title, when a flattened block runs it on after the authority ("KT. CHỦ TỊCH PHÓ CHỦ TỊCH").
_OWN_TITLE = re.compile(r"\s+((?:PHÓ\s+|Q\.\s*)?(?:CHỦ TỊCH|CHÁNH VĂN PHÒNG|GIÁM ĐỐC|BÍ THƯ|TRƯỞNG BAN)\b.*)$")


def _segments(line: str) -> list[str]:
    """One upper-case line split into its authority parts and the signer's title."""
    parts = [p.strip() for p in _MARKER_SPLIT.split(line) if p.strip()]
    out: list[str] = []
    for i, part in enumerate(parts):
        m = _AUTHORITY_RE.match(part)
        tail = _OWN_TITLE.search(m.group(2)) if m and i == len(parts) - 1 else None
        if m and tail and tail.start() > 0:
            out += [part[: m.start(2) + tail.start()].strip(), tail.group(1).strip()]
        else:
            out.append(part)
    return out


def parse_signature(text: str) -> Signature | None:
    """The signature block at the end of ``text``, or None when there is none."""
    lines: list[tuple[int, int, str]] = []
    pos = 0
    for raw in text.split("\n"):
        s = raw.strip().strip("*").strip()
        if s:
            lines.append((pos, pos + len(raw), s))
        pos += len(raw) + 1
    tail = lines[-14:]
    name_i = next((i for i in range(len(tail) - 1, -1, -1) if _is_name(tail[i][2])), None)
    if name_i is None:
        return None
    block: list[tuple[int, int, str]] = []
    for i in range(name_i - 1, -1, -1):
        if not _is_upper_line(tail[i][2]) or tail[i][2].startswith("-"):
            break
        block.insert(0, tail[i])
    if not block:
        return None
    on_behalf: list[str] = []
    titles: list[str] = []
    for line in (seg for _s, _e, ln in block for seg in _segments(ln)):
        m = _AUTHORITY_RE.match(line)
        if m:
            key = re.sub(r"\s+", "", m.group(1))
            on_behalf.append(f"{_AUTHORITY_WORDS.get(key, key)} {sentence_case(m.group(2))}")
        else:
            titles.append(sentence_case(line))
    signer = " ".join(tail[name_i][2].split())
    title = ", ".join(titles) if titles else None
    return Signature(signer, title, tuple(on_behalf), block[0][0], tail[name_i][1])
