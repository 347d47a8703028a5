"""Structure-following chunking: a passage never straddles two sections; a long section is split on
sentence boundaries, a sentence longer than the cap by size (at a space when there is one), so no
passage is ever longer than ``max_chars``; every chunk carries its heading path."""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.text import split_sentences
from ingest.repair import Footnote
from ingest.structure import Outline


@dataclass
class Chunk:
    section_id: int  # index into Outline.sections
    kind: str  # body | footnote
    start: int
    end: int
    section_path: str
    context: str  # the headings of the path, for the weighted title field


def _context(outline: Outline, section_id: int, title: str) -> str:
    heads = [s.heading for s in outline.path(section_id) if s.heading]
    return " / ".join([title, *heads]) if title else " / ".join(heads)


def chunk(text: str, outline: Outline, *, max_chars: int = 900, title: str = "") -> list[Chunk]:
    out: list[Chunk] = []
    children = {s.parent for s in outline.sections if s.parent is not None}
    for sec in outline.sections:
        spans = [(a, b) for a, b in sec.spans if a < outline.footer_start]
        if not spans:
            continue
        # A heading line alone, when the content is in sub-sections, is not a passage.
        if len(spans) == 1 and sec.heading and sec.id in children:
            continue
        path = outline.path_label(sec.id)
        ctx = _context(outline, sec.id, title)
        if sec.heading and len(spans) > 1 and not text[spans[0][1] : spans[1][0]].strip():
            # The heading line belongs with the paragraph that follows it.
            spans = [(spans[0][0], spans[1][1]), *spans[2:]]
        for a, b in _group(text, spans, max_chars):
            out.append(Chunk(sec.id, "body", a, b, path, ctx))
    return out


def _group(text: str, spans: list[tuple[int, int]], max_chars: int) -> list[tuple[int, int]]:
    """Merge consecutive paragraphs up to ``max_chars``; split longer paragraphs by sentences."""
    pieces: list[tuple[int, int]] = []
    for a, b in spans:
        if b - a <= max_chars:
            pieces.append((a, b))
            continue
        cur_a = a
        cur_b = a
        for sp in split_sentences(text[a:b]):
            sa, sb = a + sp.start, a + sp.end
            if sb - cur_a > max_chars and cur_b > cur_a:
                pieces.append((cur_a, cur_b))
                cur_a = sa
            cur_b = sb
            if cur_b - cur_a > max_chars:  # one sentence longer than the cap
                pieces.extend(split_by_size(text, cur_a, cur_b, max_chars))
                cur_a = cur_b
        if cur_b > cur_a:
            pieces.append((cur_a, cur_b))
    merged: list[tuple[int, int]] = []
    for a, b in pieces:
        # merge only paragraphs that follow each other (a child section's paragraph may lie between)
        if merged and b - merged[-1][0] <= max_chars // 2 and not text[merged[-1][1] : a].strip():
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def split_by_size(text: str, a: int, b: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut ``text[a:b]`` into spans of at most ``max_chars``, at the last space of each window when
    that space is in its second half, else exactly at the cap (a run with no space at all)."""
    out: list[tuple[int, int]] = []
    while b - a > max_chars:
        cut = a + max_chars
        space = max(text.rfind(" ", a, cut), text.rfind("\n", a, cut))
        if space > a + max_chars // 2:
            cut = space
        out.append((a, cut))
        a = cut
        while a < b and text[a] in " \n":
            a += 1
    if b > a:
        out.append((a, b))
    return out


def footnote_chunks(outline: Outline, notes: list[Footnote], offsets: list[tuple[int, int]], title: str) -> list[Chunk]:
    """Passages for footnotes, attached to the section that refers to them."""
    out = []
    for note, (a, b) in zip(notes, offsets, strict=True):
        sid = outline.section_at(note.anchor) if note.anchor >= 0 else 0
        path = f"{outline.path_label(sid)} > Chú thích {note.number}"
        out.append(Chunk(sid, "footnote", a, b, path, _context(outline, sid, title)))
    return out


def cap_chunks(text: str, chunks: list[Chunk], max_chars: int) -> list[Chunk]:
    """Every chunk at most ``max_chars`` long: longer ones (a huge footnote) are split by size."""
    out: list[Chunk] = []
    for ch in chunks:
        if ch.end - ch.start <= max_chars:
            out.append(ch)
            continue
        for a, b in split_by_size(text, ch.start, ch.end, max_chars):
            out.append(replace(ch, start=a, end=b))
    return out
