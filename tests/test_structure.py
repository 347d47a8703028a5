"""Section tree and structure-following chunking, on the sample corpus and small documents."""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.chunking import chunk
from ingest.pipeline import parse_file
from ingest.structure import parse, parse_marker
from tests.conftest import CORPUS

KE_HOACH = "hung-yen_2025-07_ke-hoach-cchc-6-thang-cuoi-2025.txt"
HAI_DUONG = "hai-duong_2023_phan-tich-chi-so-cchc-2022.txt"


@pytest.fixture
def db(knowledge: object, corpus_settings: Settings) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(corpus_settings.home / "cchc.sqlite3")
    yield con
    con.close()


def paths_of(con: sqlite3.Connection, source: str) -> list[tuple[str, str]]:
    return con.execute(
        "select p.section_path, p.text from passages p join documents d on d.id = p.document_id "
        "where d.source = ? order by p.ordinal",
        (source,),
    ).fetchall()


# --------------------------------------------------------------------------- markers
@pytest.mark.parametrize(
    ("line", "kind", "shown"),
    [
        ("A. KẾT QUẢ CHỈ SỐ", "part", "A."),
        ("III. TỔ CHỨC THỰC HIỆN", "roman", "III."),
        ("7. Sở Khoa học và Công nghệ", "arabic", "7."),
        ("2.7. Xây dựng và phát triển", "decimal", "2.7."),
        ("2.1 Cải cách thể chế", "decimal", "2.1."),
        ("đ) Tổ chức thực hiện", "letter", "đ)"),
        ("- Trừ 0,7 điểm", "dash", "-"),
        ("+ Trừ 0,5 điểm", "plus", "+"),
        (". Trừ 0.09 điểm", "dot", "."),
    ],
)
def test_parse_marker(line: str, kind: str, shown: str) -> None:
    mk = parse_marker(line)
    assert mk is not None
    assert (mk.kind, mk.text) == (kind, shown)


@pytest.mark.parametrize("line", ["Năm 2022, tỉnh xếp thứ 12/63", "2025. Việc đẩy mạnh", "f) không phải mục", "Trừ 0,7 điểm"])
def test_not_a_marker(line: str) -> None:
    assert parse_marker(line) is None


def test_vietnamese_letter_order_with_d_stroke() -> None:
    text = "1. Nhiệm vụ\na) việc một.\nb) việc hai.\nc) việc ba.\nd) việc bốn.\nđ) việc năm.\ne) việc sáu.\ng) việc bảy."
    out = parse(text)
    labels = [out.path_label(s.id) for s in out.sections[1:]]
    assert labels == [
        "1. Nhiệm vụ",
        "1. Nhiệm vụ > a)",
        "1. Nhiệm vụ > b)",
        "1. Nhiệm vụ > c)",
        "1. Nhiệm vụ > d)",
        "1. Nhiệm vụ > đ)",
        "1. Nhiệm vụ > e)",
        "1. Nhiệm vụ > g)",
    ]


def test_nesting_and_unmarked_paragraph_returns_to_numbered_section() -> None:
    text = (
        "I. NHIỆM VỤ\n"
        "1. Sở Nội vụ\n"
        "- Tham mưu kiểm tra công tác cải cách hành chính.\n"
        "+ Kiểm tra tại các sở.\n"
        "Đoạn kết của mục 1 không có dấu.\n"
        "2. Sở Tư pháp\n"
        "Rà soát văn bản."
    )
    out = parse(text)
    by_start = {text[s.start : s.start + 12]: out.path_label(s.id) for s in out.sections if s.marker}
    assert by_start["+ Kiểm tra t"] == "I. NHIỆM VỤ > 1. Sở Nội vụ > - > +"
    assert by_start["2. Sở Tư phá"] == "I. NHIỆM VỤ > 2. Sở Tư pháp"
    tail = text.index("Đoạn kết")
    assert out.path_label(out.section_at(tail)) == "I. NHIỆM VỤ > 1. Sở Nội vụ"


def test_footer_detected() -> None:
    body = "\n".join(f"{i}. Nội dung thứ {i} của văn bản." for i in range(1, 6))
    text = body + "\nNơi nhận:\n- Như trên;\nKT. CHỦ TỊCH\nNguyễn Văn An"
    out = parse(text)
    assert out.footer_start == text.index("Nơi nhận:")
    assert all(s.start < out.footer_start for s in out.sections)


# --------------------------------------------------------------------------- the corpus
def test_ke_hoach_agency_section_path(db: sqlite3.Connection) -> None:
    rows = paths_of(db, KE_HOACH)
    paths = {p for p, _ in rows}
    assert "III. TỔ CHỨC THỰC HIỆN > 7. Sở Khoa học và Công nghệ > a)" in paths
    assert "III. TỔ CHỨC THỰC HIỆN > 3. Sở Nội vụ > a)" in paths
    text = next(t for p, t in rows if p == "III. TỔ CHỨC THỰC HIỆN > 7. Sở Khoa học và Công nghệ > a)")
    assert text.startswith("a) Chủ trì, phối hợp")


def test_ke_hoach_repeated_roman_heading_opens_a_section(db: sqlite3.Connection) -> None:
    """The plan numbers two parts 'II.' (MỤC TIÊU, then NHIỆM VỤ, GIẢI PHÁP): the second one's items
    must not be filed under the last item of the first."""
    rows = paths_of(db, KE_HOACH)
    path = next(p for p, t in rows if t.startswith("a) Nâng cao chất lượng công tác xây dựng, ban hành văn bản QPPL"))
    assert path == "II. NHIỆM VỤ, GIẢI PHÁP > 1. Cải cách thể chế > a)"
    path = next(p for p, t in rows if t.startswith("a) Kiện toàn, sắp xếp tổ chức bộ máy"))
    assert path == "II. NHIỆM VỤ, GIẢI PHÁP > 3. Cải cách tổ chức bộ máy > a)"


def test_hai_duong_dot_bullets_nest_under_plus(db: sqlite3.Connection) -> None:
    rows = paths_of(db, HAI_DUONG)
    prefix = (
        "A. KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2022 > II. Kết quả Trung ương thẩm định, đánh giá Chỉ số cải "
        "cách hành chính của tỉnh. > 2. > 2.7. Xây dựng và phát triển Chính quyền điện tử, chính quyền số"
    )
    dots = [t for p, t in rows if p == prefix + " > + > ."]
    assert len(dots) == 3
    assert dots[0].startswith(". Trừ 0.09 điểm")
    plus = [t for p, t in rows if p == prefix + " > +"]
    assert any(t.startswith("+ Trừ 0,98 điểm") for t in plus)
    assert any(p.endswith("2.4. Cải cách tổ chức bộ máy cơ quan hành chính nhà nước > -") for p, _ in rows)
    assert any(
        p == "C. NHIỆM VỤ, GIẢI PHÁP KHẮC PHỤC > III. Trách nhiệm của các sở, ngành phụ trách, tham mưu về các lĩnh vực "
        "CCHC của tỉnh > 3. Sở Tư pháp"
        for p, _ in rows
    )


def test_every_passage_lies_inside_one_section(db: sqlite3.Connection) -> None:
    docs = db.execute("select id, source, text from documents").fetchall()
    assert len(docs) == 5
    for doc_id, source, text in docs:
        sections = db.execute("select id, start, path from sections where document_id = ?", (doc_id,)).fetchall()
        starts = sorted(s for _, s, _ in sections)
        sec_by_id = {i: (s, p) for i, s, p in sections}
        rows = db.execute(
            "select kind, start, \"end\", text, section_id, section_path from passages where document_id = ?", (doc_id,)
        ).fetchall()
        assert rows, source
        body_end = text.find("\nChú thích:")
        for kind, a, b, ptext, sid, spath in rows:
            assert 0 <= a < b <= len(text), (source, a, b)
            assert b - a <= 900, (source, b - a)  # the passage-length cap (ingest.chunk_chars)
            assert text[a:b] == ptext, source
            assert sid in sec_by_id, (source, sid)
            sec_start, sec_path = sec_by_id[sid]
            if kind == "footnote":
                assert body_end != -1 and a > body_end
                # the appendix line reads "N text"; a long note is split, its later pieces on the same line
                line = text.rfind("\n", body_end + 1, a)
                number = re.match(r"\n(\d+) ", text[line : a + 1])
                assert number, (source, text[line : a])
                assert spath == f"{sec_path} > Chú thích {number.group(1)}"
                continue
            assert spath == sec_path, (source, spath, sec_path)
            assert sec_start <= a, (source, spath)
            inside = [s for s in starts if a < s < b]
            assert not inside, (source, spath, ptext[:80])


def test_long_section_split_with_heading_path_carried(tmp_path: Path) -> None:
    sentences = [f"Câu thứ {i} nói về nhiệm vụ cải cách hành chính số {i} của các sở, ban, ngành trong tỉnh." for i in range(60)]
    text = "I. NHIỆM VỤ\n1. Sở Nội vụ\n" + " ".join(sentences) + "\n2. Sở Tư pháp\nRà soát văn bản quy phạm pháp luật."
    src = tmp_path / "dai.txt"
    src.write_text(text, encoding="utf-8")
    parsed = parse_file(src, max_bytes=10**6, max_chars=500)
    mine = [c for c in parsed.chunks if c.section_path == "I. NHIỆM VỤ > 1. Sở Nội vụ"]
    assert len(mine) >= 8
    for c in mine:
        assert c.end - c.start <= 500 + 100
        assert "Sở Nội vụ" in c.context and "NHIỆM VỤ" in c.context
        piece = parsed.text[c.start : c.end]
        assert piece.rstrip().endswith(".")  # split on sentence boundaries
    # the pieces cover the section's sentences in order, without loss
    joined = " ".join(parsed.text[c.start : c.end] for c in mine)
    for s in sentences:
        assert s in joined
    other = [c for c in parsed.chunks if c.section_path == "I. NHIỆM VỤ > 2. Sở Tư pháp"]
    assert len(other) == 1 and "Rà soát văn bản" in parsed.text[other[0].start : other[0].end]


def test_chunks_do_not_straddle_sections_on_all_corpus_files() -> None:
    for path in sorted(CORPUS.glob("*.txt")):
        parsed = parse_file(path, max_bytes=10**8, max_chars=300)
        starts = [s.start for s in parsed.outline.sections]
        by_section: dict[int, int] = defaultdict(int)
        for c in parsed.chunks:
            by_section[c.section_id] += 1
            if c.kind == "footnote":
                continue
            assert not [s for s in starts if c.start < s < c.end], (path.name, c.section_path)
            assert c.end <= parsed.outline.footer_start
        assert parsed.chunks


def test_chunk_of_heading_only_section_skipped() -> None:
    text = "I. NHIỆM VỤ\n1. Sở Nội vụ\nKiểm tra cải cách hành chính."
    out = parse(text)
    chunks = chunk(text, out)
    assert [c.section_path for c in chunks] == ["I. NHIỆM VỤ > 1. Sở Nội vụ"]
    assert text[chunks[0].start : chunks[0].end] == "1. Sở Nội vụ\nKiểm tra cải cách hành chính."
