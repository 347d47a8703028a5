"""Property-based fuzzing of the parsers: only IngestError subclasses may escape, and outputs keep
their invariants (spans within bounds, exact slices, a consistent section tree)."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import IngestError
from core.text import analyze, fold, split_sentences
from ingest.chunking import chunk
from ingest.readers import read_bytes
from ingest.repair import repair
from ingest.structure import parse

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like the documents: Vietnamese letters, markers, numbers, punctuation, wraps.
VI_CHARS = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
ALPHABET = VI_CHARS + VI_CHARS.upper() + string.digits + " \n\n\t.,;:()/-+_*=%“”\"'!?…\u00a0\u200b\u0301\u0323\r"
FRAGMENTS = st.sampled_from(
    [
        "I. ", "II. ", "A. ", "B. ", "1. ", "2. ", "2.1. ", "2.7. ", "a) ", "đ) ", "f) ", "- ", "+ ", ". ",
        "javascript:;", "\n2 \n", "tỉnh1; ", "năm 20232, ", "12/63", "83,52/100", "94.385/153.273",
        "Nơi nhận:\n", "KT. CHỦ TỊCH\n", "__________\n", "Chú thích:", "\n1 Chỉ thị số 28-CT/TU ngày 10/8/2022\n",
        "Sở Nội vụ", "Ủy ban nhân dân tỉnh", "CCHC", "KH&ĐT", "\n\n", "\n",
    ]
)
DOC_TEXT = st.lists(st.one_of(st.text(alphabet=ALPHABET, max_size=40), FRAGMENTS), max_size=40).map("".join)


@FUZZ
@given(DOC_TEXT)
def test_repair_never_crashes_and_anchors_are_in_bounds(raw: str) -> None:
    rep = repair(raw)
    assert isinstance(rep.text, str)
    assert "javascript:" not in rep.text
    assert "\r" not in rep.text and "\u200b" not in rep.text
    numbers = [n.number for n in rep.footnotes]
    assert numbers == list(range(1, len(numbers) + 1))
    for note in rep.footnotes:
        assert -1 <= note.anchor <= len(rep.text)


@FUZZ
@given(DOC_TEXT)
def test_structure_and_chunks_keep_invariants(raw: str) -> None:
    text = repair(raw).text
    out = parse(text)
    assert 0 <= out.footer_start <= len(text)
    for sec in out.sections:
        assert sec.parent is None or 0 <= sec.parent < sec.id
        assert 0 <= sec.start <= len(text)
        for a, b in sec.spans:
            assert 0 <= a <= b <= len(text)
        out.path_label(sec.id)  # never raises
    starts = [s.start for s in out.sections]
    for c in chunk(text, out, max_chars=200):
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start : c.end].strip()
        assert not [s for s in starts if c.start < s < c.end]
        assert c.section_path == out.path_label(c.section_id)


@FUZZ
@given(st.text(max_size=600), st.integers(min_value=5, max_value=500))
def test_split_sentences_spans_are_exact_and_ordered(text: str, long_sentence: int) -> None:
    prev_end = 0
    for sp in split_sentences(text, long_sentence=long_sentence):
        assert prev_end <= sp.start < sp.end <= len(text)
        piece = text[sp.start : sp.end]
        assert piece == piece.strip()
        prev_end = sp.end


@FUZZ
@given(st.text(max_size=300))
def test_analyze_is_total_and_consistent(text: str) -> None:
    a = analyze(text)
    assert len(a.funi) == len(a.uni) and len(a.fbi) == len(a.bi)
    assert len(a.bi) <= max(0, len(a.uni) - 1) + len(a.uni)  # expansions add at most their own pairs
    for tok in a.funi:
        assert tok == fold(tok)


@FUZZ
@given(st.binary(max_size=3000))
def test_read_bytes_random_bytes_only_ingest_errors(data: bytes) -> None:
    try:
        doc = read_bytes(data, "ngau-nhien.bin", max_bytes=2000)
    except IngestError as exc:
        assert "ngau-nhien.bin" in str(exc)
        return
    assert isinstance(doc.text, str) and doc.text.strip()
    repair(doc.text)


PREFIXES = st.sampled_from([b"", b"%PDF-1.7\n", b"PK\x03\x04", b"<html><body>", b"\xef\xbb\xbf", b"\xff\xfe", b"\xd0\xcf\x11\xe0"])


@FUZZ
@given(PREFIXES, st.binary(max_size=2000))
def test_read_bytes_with_format_magic_only_ingest_errors(prefix: bytes, data: bytes) -> None:
    try:
        read_bytes(prefix + data, "gia.pdf", max_bytes=10**6)
    except IngestError as exc:
        assert "gia.pdf" in str(exc)


@FUZZ
@given(DOC_TEXT, st.sampled_from(["utf-8", "utf-16", "cp1258", "latin-1"]))
def test_read_bytes_random_text_only_ingest_errors(text: str, encoding: str) -> None:
    data = text.encode(encoding, errors="ignore")
    try:
        doc = read_bytes(data, "van-ban.txt", max_bytes=10**6)
    except IngestError:
        return
    assert doc.format in ("txt", "html")
    rep = repair(doc.text)
    parse(rep.text)
