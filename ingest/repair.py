"""Text repair rules for text extracted from PDFs and office files.

Each rule is a small function, tested on its own; :func:`repair` chains them. The output is the
"repaired text" every passage, offset and quote refers to: paragraphs separated by one newline.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from core.text import nfc
from ingest.legacy import fix_legacy
from ingest.structure import MARKER_RE, is_heading_like

DEBRIS_RE = re.compile(r"javascript:\s*;?|void\(0\);?")
PAGE_NUMBER_RE = re.compile(r"^\s*(?:[-–—]\s*)?(?:Trang\s+)?(\d{1,3})(?:\s*/\s*\d{1,3})?(?:\s*[-–—])?\s*$", re.I)
FOOTNOTE_START_RE = re.compile(r"^(\d{1,2})\s+(\S.*)$")
TERMINATORS = (".", ":", ";", "!", "?", "…", ".”", ".\"", ")", "/.")


@dataclass
class Footnote:
    number: int
    text: str
    anchor: int = -1  # offset in the repaired text of the marker's position (-1: not found)


@dataclass
class Repaired:
    text: str
    footnotes: list[Footnote] = field(default_factory=list)
    encoding: str = "unicode"


# --------------------------------------------------------------------------- character level
def normalize_chars(text: str) -> str:
    """NFC, one newline style, no zero-width or non-breaking spaces, no control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    # (U+00AD is not removed here: in TCVN3 text it is the letter "ư".)
    text = re.sub(r"[\u200b\u200c\u200d\ufeff]", "", text)
    text = text.replace("\u00a0", " ").replace("\t", " ")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
    return nfc(text)


def strip_debris(text: str) -> str:
    """Remove ``javascript:;`` link debris left by web-to-PDF conversion."""
    return DEBRIS_RE.sub("", text)


def strip_markdown_emphasis(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r"\1", text, flags=re.S)


# --------------------------------------------------------------------------- line level
def drop_page_numbers(lines: list[str]) -> list[str]:
    """Remove lines that are only a page number (``2``, ``- 3 -``, ``Trang 4``)."""
    return [ln for ln in lines if not PAGE_NUMBER_RE.match(ln)]


RULE_RE = re.compile(r"^\s*[_=*~.\-–—]{3,}\s*$")


def drop_rules(lines: list[str]) -> list[str]:
    """Remove decorative rules under headers (``__________``, ``-----``)."""
    return [ln for ln in lines if not RULE_RE.match(ln)]


def is_page_number(line: str) -> bool:
    return bool(PAGE_NUMBER_RE.match(line))


def extract_footnotes(lines: list[str]) -> tuple[list[str], list[Footnote]]:
    """Cut footnote blocks out of the body.

    A footnote starts on a line ``N text`` where N is the next expected footnote number and the
    body before it carries the marker glued to a word (``tỉnh1;``). It runs until the body resumes
    (a line indented by the page break, a page number, debris, or a marker/lower-case line after a
    finished footnote sentence) or the next footnote starts.
    """
    body: list[str] = []
    notes: list[Footnote] = []
    expected = 1
    current: Footnote | None = None
    body_so_far = ""
    for raw in lines:
        line = raw.rstrip()
        stripped = line.strip()
        m = FOOTNOTE_START_RE.match(line)
        if m and int(m.group(1)) == expected and _marker_seen(body_so_far, expected) and _after_gap(body, current):
            current = Footnote(expected, m.group(2).strip())
            notes.append(current)
            expected += 1
            continue
        if current is not None:
            if not stripped:
                continue
            resumes = (
                line[:1].isspace()
                or is_page_number(line)
                or (current.text.rstrip().endswith((".", ";", "…")) and (MARKER_RE.match(stripped) or stripped[:1].islower()))
            )
            if not resumes:
                current.text = _join(current.text, stripped)
                continue
            current = None
        body.append(line)
        if stripped:
            body_so_far = (body_so_far + " " + stripped)[-4000:]
    return body, notes


def _after_gap(body: list[str], current: Footnote | None) -> bool:
    if current is not None:
        return True
    for prev in reversed(body[-3:]):
        return bool(not prev.strip())
    return True


def _marker_seen(body: str, n: int) -> bool:
    return re.search(rf"[^\W\d_]{re.escape(str(n))}(?=[\s,.;:)”\"]|$)|(?:19|20)\d\d{re.escape(str(n))}(?=[\s,.;:)])", body) is not None


def _join(a: str, b: str) -> str:
    a = a.rstrip()
    if re.search(r"\w-$", a) and not re.search(r"\s-$", a):
        return a + b.lstrip()
    return a + " " + b.lstrip()


def unglue_footnote_markers(text: str, numbers: list[int]) -> tuple[str, dict[int, int]]:
    """Remove footnote markers glued to the word before them (``tỉnh1;`` -> ``tỉnh;``).

    Markers are taken in order (1, then 2, ...), each at its first plausible place after the
    previous one. Returns the new text and each footnote's anchor offset in it.
    """
    anchors: dict[int, int] = {}
    pos = 0
    for n in numbers:
        pat = re.compile(
            rf"(?<=[^\W\d_]){n}(?=[\s,.;:)”\"]|$)|(?<=(?:19|20)\d\d){n}(?=[\s,.;:)])|(?<=[A-Za-zĐđ]){n}(?=\s)"
        )
        m = pat.search(text, pos)
        if not m:
            continue
        text = text[: m.start()] + text[m.end() :]
        anchors[n] = m.start()
        pos = m.start()
    return text, anchors


def join_wrapped_lines(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines into paragraphs.

    A line starts a new paragraph when it begins with a structure marker after a finished line or a
    heading, when it follows a finished sentence with a capital letter, or when a heading-like line
    (short, marker or all caps) is followed by a capitalised line. Blank lines are ignored when the
    text is double-spaced (every line followed by a blank one, as some PDF extractors write it).
    """
    nonblank = [ln for ln in lines if ln.strip() and not RULE_RE.match(ln)]
    if not nonblank:
        return []
    blanks = sum(1 for ln in lines if not ln.strip())
    double_spaced = blanks >= 0.4 * len(nonblank)
    width = statistics.median(len(ln.strip()) for ln in nonblank) if nonblank else 80
    paras: list[str] = []
    gap = False
    rule = False
    for raw in lines:
        if RULE_RE.match(raw):
            rule = True  # a decorative rule (dropped) ends the paragraph above it
            continue
        line = raw.strip()
        if not line:
            gap = True
            continue
        if not paras:
            paras.append(line)
            gap = rule = False
            continue
        prev = paras[-1]
        if rule or _starts_new(prev, line, width, gap and not double_spaced):
            paras.append(line)
        else:
            paras[-1] = _join(prev, line)
        gap = rule = False
    return [re.sub(r"[ ]{2,}", " ", p).strip() for p in paras]


_HEADER_LINE_RE = re.compile(
    r"^(Số:|Số\s+\d|CỘNG HÒA XÃ HỘI|CỘNG HOÀ XÃ HỘI|Độc lập\s*[-–]\s*Tự do|[\w .]{2,40}, ngày\b.*\bnăm \d{4}\s*$)"
)
_FIRST_MARKERS = ("1.", "1)", "a)", "I.", "A.")


def _standalone(line: str) -> bool:
    """Header-block lines that are paragraphs of their own (number, national motto, place and date)."""
    return bool(_HEADER_LINE_RE.match(line.strip()))


def _starts_new(prev: str, line: str, width: float, blank_between: bool) -> bool:
    if _standalone(line) or _standalone(prev):
        return True
    if _all_caps(line) and not _all_caps(prev) and len(line) < 120 and not line.rstrip().endswith(","):
        return True  # an upper-case title line after body text ("THÔNG BÁO" after the date)
    mk_first = MARKER_RE.match(line) is not None and line.split(" ", 1)[0] in _FIRST_MARKERS
    if mk_first and (_all_caps(prev) or len(prev) < 0.9 * width or not prev.rstrip().endswith(",")):
        return True  # the first item of a list ("1. ...") after a title
    finished = prev.rstrip().endswith(TERMINATORS) or prev.rstrip().endswith(("”", "\""))
    first = line[:1]
    if MARKER_RE.match(line) and (finished or blank_between or is_heading_like(prev, width)):
        return True
    if _all_caps(prev) and _all_caps(line):
        return False  # an upper-case heading wrapped over two lines
    if first.isupper() or first in "“\"(":
        if finished:
            return True
        first_word = line.split(" ", 1)[0]
        if _all_caps(first_word) and not _all_caps(prev):
            return False  # "... xác định công tác" + "CCHC là nhiệm vụ": an abbreviation continues the line
        if is_heading_like(prev, width) or (_all_caps(prev) and not _all_caps(line)):
            return True
        if blank_between:
            return True
    return bool(line.startswith(("Nơi nhận", "TM.", "T/M", "KT.", "Kính gửi")))


def _all_caps(s: str) -> bool:
    """At least three letters, none lower-case (stops at the first lower-case letter: paragraphs
    being joined grow long, and this runs for every line)."""
    upper = 0
    for c in s:
        if c.islower():
            return False
        if c.isupper():
            upper += 1
    return upper >= 3


# --------------------------------------------------------------------------- the chain
def repair(raw: str, *, hard_wraps: bool = True) -> Repaired:
    """Repair extracted text. ``hard_wraps=False`` for formats whose lines are real paragraphs
    (DOCX, HTML): lines are then never joined."""
    text = normalize_chars(raw)
    text, encoding = fix_legacy(text)
    text = text.replace("\u00ad", "")
    text = nfc(strip_markdown_emphasis(strip_debris(text)))
    lines = text.split("\n")
    body, notes = extract_footnotes(lines)
    body = drop_page_numbers(body)
    if hard_wraps:
        paras = join_wrapped_lines(body)
    else:
        # drops decorative rules, breaking the paragraph there
        paras = [re.sub(r"[ ]{2,}", " ", ln).strip() for ln in body if ln.strip() and not RULE_RE.match(ln)]
    joined = "\n".join(paras)
    joined, anchors = unglue_footnote_markers(joined, [n.number for n in notes])
    for note in notes:
        note.anchor = anchors.get(note.number, -1)
        note.text = re.sub(r"\s+", " ", note.text).strip()
    return Repaired(text=joined, footnotes=notes, encoding=encoding)
