"""Document structure: the section tree of ``A.`` / ``I.`` / ``1.`` / ``2.1.`` / ``a)`` / ``-`` / ``+``.

Input is the repaired text (one paragraph per line). Output is a list of sections, each with its
marker, heading (for heading-like paragraphs), parent, and the character spans of its own
paragraphs, plus the span where the footer (``Nơi nhận:``, signature) starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MARKER_RE = re.compile(
    r"^(?:"
    r"(?P<part>[A-H])\.\s+(?=\S)"
    r"|(?P<roman>[IVX]{1,5})\.\s+(?=\S)"
    r"|(?P<decimal>\d{1,2}(?:\.\d{1,2})+)\.?\s+(?=\S)"
    r"|(?P<arabic>\d{1,2})[.)]\s+(?=\S)"
    r"|(?P<letter>[a-eg-ik-nđ])\)\s*(?=\S)"
    r"|(?P<dash>[-–—])\s*(?=\S)"
    r"|(?P<plus>\+)\s*(?=\S)"
    r"|(?P<dot>[.•*])\s+(?=\S)"
    r")"
)
_LETTERS = "abcdđeghiklmn"
RANK = {"part": 0, "roman": 1, "arabic": 2, "decimal": 3, "letter": 5, "dash": 6, "plus": 7, "dot": 8}
BULLETS = {"dash", "plus", "dot"}
FOOTER_RE = re.compile(r"^(Nơi nhận|TM\.|T/M|KT\.|Q\. ?CHỦ TỊCH|TL\.)", re.I)
_ROMAN = {"I": 1, "V": 5, "X": 10}


def roman_value(s: str) -> int:
    total = 0
    for i, ch in enumerate(s):
        v = _ROMAN[ch]
        total += -v if i + 1 < len(s) and _ROMAN[s[i + 1]] > v else v
    return total


@dataclass
class Marker:
    kind: str
    text: str  # as written, e.g. "2.1." or "a)" or "-"
    value: tuple[int, ...]
    length: int  # characters consumed, including trailing space

    @property
    def rank(self) -> float:
        if self.kind == "decimal":
            return RANK["decimal"] + (len(self.value) - 2) * 0.5
        return RANK[self.kind]


def parse_marker(line: str) -> Marker | None:
    m = MARKER_RE.match(line)
    if not m:
        return None
    kind = m.lastgroup or ""
    raw = m.group(kind)
    if kind == "part":
        value: tuple[int, ...] = (ord(raw) - ord("A") + 1,)
        shown = raw + "."
    elif kind == "roman":
        value = (roman_value(raw),)
        shown = raw + "."
    elif kind == "decimal":
        value = tuple(int(x) for x in raw.split("."))
        shown = raw + "."
    elif kind == "arabic":
        value = (int(raw),)
        shown = raw + "."
    elif kind == "letter":
        value = (_LETTERS.index(raw) + 1,)
        shown = raw + ")"
    else:
        value = (0,)
        shown = {"dash": "-", "plus": "+", "dot": "."}[kind]
    return Marker(kind, shown, value, m.end())


def is_heading_like(line: str, width: float = 80) -> bool:
    """A short line that opens a numbered section and does not end a sentence (``7. Sở Y tế``)."""
    s = line.strip()
    mk = parse_marker(s)
    letters = [c for c in s if c.isalpha()]
    all_caps = len(letters) >= 3 and all(c.isupper() for c in letters)
    if mk is None:
        return all_caps and len(s) < 200
    if mk.kind in BULLETS:
        return False
    if mk.kind in ("part", "roman") and len(s) <= 160 and not s.endswith((";", ",")):
        return True
    if s.endswith((".", ";", ",")) and not all_caps:
        return False
    return all_caps or len(s) <= max(66, 0.9 * width)


@dataclass
class Section:
    id: int
    parent: int | None
    marker: Marker | None
    heading: str  # heading text for heading-like sections, else ""
    start: int  # offset of the section's first paragraph
    spans: list[tuple[int, int]] = field(default_factory=list)  # own paragraphs (children excluded)
    level: int = 0

    @property
    def label(self) -> str:
        if self.marker is None:
            return self.heading or "Phần mở đầu"
        if self.heading:
            return f"{self.marker.text} {self.heading}"
        return self.marker.text


@dataclass
class Outline:
    sections: list[Section]
    footer_start: int  # offset where the footer begins (len(text) when none)

    def path(self, section_id: int) -> list[Section]:
        chain: list[Section] = []
        sid: int | None = section_id
        while sid is not None:
            sec = self.sections[sid]
            chain.append(sec)
            sid = sec.parent
        return list(reversed(chain))

    def path_label(self, section_id: int) -> str:
        chain = [s for s in self.path(section_id) if s.marker is not None or s.parent is not None]
        return " > ".join(s.label for s in chain) if chain else self.sections[section_id].label

    def section_at(self, offset: int) -> int:
        best = 0
        for sec in self.sections:
            for a, b in sec.spans:
                if a <= offset <= b:
                    return sec.id
            if sec.start <= offset:
                best = sec.id
        return best


def _plausible(mk: Marker, stack: list[Section], last_by_kind: dict[tuple[int | None, str], tuple[int, ...]]) -> bool:
    """Is this marker the next one of a list (not a number that happens to start a paragraph)?"""
    if mk.kind in BULLETS:
        return True
    parent = _parent_for(mk, stack)
    key = (parent.id if parent else None, mk.kind)
    prev = last_by_kind.get(key)
    v = mk.value
    if mk.kind == "decimal":
        # 2.1 under 2, or 2.3 after 2.2
        return prev is None or (v[:-1] == prev[:-1] and 0 < v[-1] - prev[-1] <= 3) or v[-1] == 1
    if prev is None:
        return v[0] <= 2 or (mk.kind in ("arabic",) and v[0] <= 12)
    return 0 < v[0] - prev[0] <= 4


def _parent_for(mk: Marker, stack: list[Section]) -> Section | None:
    for sec in reversed(stack):
        if sec.marker is None or sec.marker.rank < mk.rank:
            return sec
    return None


def parse(text: str) -> Outline:
    """Build the section tree of a repaired text."""
    root = Section(0, None, None, "", 0)
    sections = [root]
    stack: list[Section] = [root]
    last_by_kind: dict[tuple[int | None, str], tuple[int, ...]] = {}
    footer_start = len(text)
    pos = 0
    width = _median_width(text)
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not line.strip():
            continue
        if FOOTER_RE.match(line.strip()) and start > len(text) * 0.5:
            footer_start = start
            break
        mk = parse_marker(line)
        if mk is not None and mk.kind == "part" and not _part_ok(mk, last_by_kind):
            mk = None if not re.match(r"^[IVX]\.", line) else parse_marker(line)
        if mk is not None and (_plausible(mk, stack, last_by_kind) or _repeated_heading(mk, line, stack, last_by_kind)):
            parent = _parent_for(mk, stack)
            while stack and stack[-1] is not parent:
                stack.pop()
            heading = ""
            if is_heading_like(line, width):
                heading = line[mk.length :].strip().rstrip(":").strip()
            sec = Section(len(sections), parent.id if parent else None, mk, heading, start, level=len(stack))
            sections.append(sec)
            stack.append(sec)
            last_by_kind[(parent.id if parent else None, mk.kind)] = mk.value
            if mk.kind == "part":
                last_by_kind[(None, "part-global")] = mk.value
            sec.spans.append((start, end))
            continue
        # An unmarked paragraph after bullets belongs to the enclosing numbered section.
        while len(stack) > 1 and stack[-1].marker is not None and stack[-1].marker.kind in BULLETS:
            stack.pop()
        target = stack[-1]
        if target.marker is None and target.parent is None and not target.heading and is_heading_like(line, width) and not target.spans:
            target.heading = line.strip()
        target.spans.append((start, end))
    return Outline(sections, footer_start)


def _repeated_heading(
    mk: Marker, line: str, stack: list[Section], last_by_kind: dict[tuple[int | None, str], tuple[int, ...]]
) -> bool:
    """An upper-case Roman heading numbered like the previous one: a numbering slip in the source
    ("II. MỤC TIÊU" then "II. NHIỆM VỤ, GIẢI PHÁP") still opens a new section."""
    if mk.kind != "roman":
        return False
    parent = _parent_for(mk, stack)
    letters = [c for c in line[mk.length :] if c.isalpha()]
    same = last_by_kind.get((parent.id if parent else None, mk.kind)) == mk.value
    return same and len(letters) >= 3 and all(c.isupper() for c in letters)


def _part_ok(mk: Marker, last_by_kind: dict[tuple[int | None, str], tuple[int, ...]]) -> bool:
    prev = last_by_kind.get((None, "part-global"))
    return (prev is None and mk.value[0] == 1) or (prev is not None and mk.value[0] == prev[0] + 1)


def _median_width(text: str) -> float:
    lens = sorted(len(x) for x in text.split("\n") if x.strip())
    return float(lens[len(lens) // 2]) if lens else 80.0
