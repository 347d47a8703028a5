"""One test per text-repair rule, on real excerpts of the sample corpus."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from functools import cache
from pathlib import Path

from core.settings import Settings
from ingest.readers import read_bytes
from ingest.repair import (
    drop_page_numbers,
    drop_rules,
    extract_footnotes,
    join_wrapped_lines,
    normalize_chars,
    repair,
    strip_debris,
    unglue_footnote_markers,
)
from ingest.structure import parse
from tests.conftest import CORPUS

HY2023 = "hung-yen_2023-05_thong-bao-ket-luan-hoi-nghi-chi-so-2022.txt"
HY2025_CV = "hung-yen_2025-05_cong-van-nang-cao-chi-so-2025.txt"


@cache
def raw_text(name: str) -> str:
    return read_bytes((CORPUS / name).read_bytes(), name, max_bytes=10**8).text


def excerpt(name: str, first: int, last: int) -> str:
    """Lines ``first``..``last`` (1-based, inclusive) of a corpus file as read."""
    return "\n".join(raw_text(name).split("\n")[first - 1 : last])


@cache
def repaired(name: str) -> str:
    return repair(raw_text(name)).text


# --------------------------------------------------------------------------- NFC
def test_nfc_rule_on_nfd_corpus_file() -> None:
    raw = raw_text(HY2023)
    assert unicodedata.is_normalized("NFC", raw) is False, "the 2023 Hưng Yên extract is expected to hold NFD text"
    fixed = normalize_chars(raw)
    assert unicodedata.is_normalized("NFC", fixed)
    assert unicodedata.is_normalized("NFC", repaired(HY2023))
    # a search for the composed form finds it after repair
    assert "Hưng Yên" in repaired(HY2023)


def test_normalize_chars_removes_invisible_characters() -> None:
    text = "Sở\u00a0Nội\u200b vụ\r\nPhòng\tban\x07"
    assert normalize_chars(text) == "Sở Nội vụ\nPhòng ban"


# --------------------------------------------------------------------------- debris
def test_javascript_debris_removed() -> None:
    part = excerpt(HY2023, 70, 96)
    assert "javascript:;" in part
    assert "javascript" not in strip_debris(part)
    assert "javascript" not in repaired(HY2023)
    assert strip_debris("xem tại javascript:; đây void(0);") == "xem tại  đây "


# --------------------------------------------------------------------------- page numbers
def test_page_number_lines_removed() -> None:
    lines = excerpt(HY2023, 70, 96).split("\n")
    assert "2 " in lines  # the page number of page 2
    kept = drop_page_numbers(lines)
    assert "2 " not in kept and len(kept) == len(lines) - 1
    assert drop_page_numbers(["văn bản", "- 3 -", "Trang 4", "5/12", "12", "Năm 2023 có 12 đơn vị"]) == [
        "văn bản",
        "Năm 2023 có 12 đơn vị",
    ]
    for line in repaired(HY2023).split("\n"):
        assert not re.fullmatch(r"\s*\d{1,3}\s*", line), line


# --------------------------------------------------------------------------- footnotes
def test_footnote_cut_out_of_sentence_and_sentence_rejoined() -> None:
    part = excerpt(HY2023, 12, 110)
    rep = repair(part)
    assert "việc công khai tiến độ, kết quả giải quyết hồ sơ" in rep.text
    assert "Các sở, ngành: Công Thương" not in rep.text
    assert [n.number for n in rep.footnotes] == [1]
    note = rep.footnotes[0]
    assert note.text.startswith("Các sở, ngành: Công Thương, Giáo dục và Đào tạo")
    assert "Công an tỉnh" in note.text  # its own wrapped lines are joined
    assert note.text.endswith("Ban Chỉ đạo CCHC tỉnh.")
    assert "javascript" not in note.text and "khai tiến độ" not in note.text


def test_all_footnotes_of_the_2023_notice_extracted_with_anchors() -> None:
    rep = repair(raw_text(HY2023))
    assert [n.number for n in rep.footnotes] == list(range(1, 9))
    starts = {
        1: "Các sở, ngành: Công Thương",
        2: "Chỉ thị số 28-CT/TU ngày 10/8/2022",
        3: "Chỉ thị số 06/CT-CTUBND ngày 17/5/2019",
        4: "Nghị quyết số 131/NQ-CP ngày 06/10/2022",
        5: "Quyết định số 749/QĐ-TTg ngày 03/6/2020",
        6: "Quyết định số 942/QĐ-TTg ngày 15/6/2021",
        7: "Quyết định số 571/QĐ-UBND ngày 25/02/2022",
        8: "Chỉ thị số 23/CT-UBND ngày 23/10/2020",
    }
    text = rep.text
    # where each marker was, as (text before the anchor, character at it)
    anchors = {
        1: ("(CCHC) tỉnh", ";"),
        2: ("và năm 2023", ","),
        3: ("quản trị hành chính công", "."),
        4: ("ngày 06/10/2022 của Chính phủ", ";"),
        5: ("Quyết định số 749/QĐ-TTg", " "),
        6: ("Quyết định số 942/QĐ-TTg", " "),
        7: ("Quyết định số 571/QĐ-UBND của UBND tỉnh", "."),
        8: ("Chỉ thị số 23/CT-UBND", ","),
    }
    prev = -1
    for note in rep.footnotes:
        assert note.text.startswith(starts[note.number]), (note.number, note.text[:80])
        assert "\n" not in note.text and "  " not in note.text
        assert note.text not in text  # cut out of the body
        before, at = anchors[note.number]
        assert note.anchor > prev
        assert text[: note.anchor].endswith(before), (note.number, text[note.anchor - 40 : note.anchor])
        assert text[note.anchor] == at
        prev = note.anchor


def test_footnotes_of_the_2025_letter_extracted() -> None:
    rep = repair(raw_text(HY2025_CV))
    assert [n.number for n in rep.footnotes] == [1, 2, 3]
    assert rep.footnotes[0].text.startswith("Chỉ thị số 28-CT/TU")
    assert rep.footnotes[2].text.startswith("Chương trình hành động số 48-CTr/TU")
    assert all(n.anchor >= 0 for n in rep.footnotes)


def test_numbered_line_without_glued_marker_is_not_a_footnote() -> None:
    lines = ["Các nhiệm vụ sau:", "", "1 Tổ chức thực hiện kế hoạch.", "2 Báo cáo kết quả."]
    body, notes = extract_footnotes(lines)
    assert notes == []
    assert body == lines


def test_footnote_stored_as_footnote_passage_of_referring_section(knowledge: object, corpus_settings: Settings) -> None:
    con = sqlite3.connect(corpus_settings.home / "cchc.sqlite3")
    try:
        doc_id, doc_text = con.execute("select id, text from documents where source = ?", (HY2023,)).fetchone()
        rows = con.execute(
            "select p.section_path, p.text, p.start, p.end, s.path from passages p join sections s on s.id = p.section_id "
            "where p.document_id = ? and p.kind = 'footnote' order by p.ordinal",
            (doc_id,),
        ).fetchall()
    finally:
        con.close()
    assert len(rows) == 8
    expected_sections = {2: "1.", 3: "1.", 4: "3.", 5: "4.", 6: "4.", 7: "4.", 8: "4."}
    for n, (path, text, start, end, section_row_path) in enumerate(rows, 1):
        assert path.endswith(f" > Chú thích {n}"), path
        assert path == f"{section_row_path} > Chú thích {n}"  # attached to the section that refers to it
        if n in expected_sections:
            assert section_row_path == expected_sections[n], (n, section_row_path)
        assert doc_text[start:end] == text
    assert rows[1][1].startswith("Chỉ thị số 28-CT/TU")
    # the body of the document does not contain the footnote text inside sentences
    body = doc_text.split("\nChú thích:", 1)[0]
    assert "Chỉ thị số 28-CT/TU ngày 10/8/2022 của Tỉnh ủy về đẩy mạnh" not in body


# --------------------------------------------------------------------------- glued markers
def test_glued_footnote_markers_removed() -> None:
    text = repaired(HY2023)
    assert "Ban Chỉ đạo cải cách hành chính (CCHC) tỉnh; Thủ trưởng" in text
    assert "tỉnh1;" not in text
    assert "và năm 2023, công tác nâng cao hiệu quả và quản trị hành chính công. Nghiêm túc" in text
    assert "năm 20232," not in text and "công3." not in text


def test_unglue_keeps_real_numbers() -> None:
    text = "các thành viên tỉnh1; và năm 20232, đạt 12/63 và 83,52/100 điểm"
    out, anchors = unglue_footnote_markers(text, [1, 2])
    assert out == "các thành viên tỉnh; và năm 2023, đạt 12/63 và 83,52/100 điểm"
    assert out[anchors[1]] == ";" and out[anchors[2]] == ","


# --------------------------------------------------------------------------- hard wraps
def test_hard_wraps_joined() -> None:
    lines = repaired(HY2023).split("\n")
    assert any("Chỉ số PAR INDEX xếp thứ 12/63 (giữ nguyên so với năm 2021)" in ln for ln in lines)
    part = normalize_chars(excerpt(HY2023, 44, 54)).split("\n")
    paras = join_wrapped_lines(part)
    assert len(paras) == 1
    assert paras[0].startswith("Năm 2022, theo kết quả công bố")
    assert "Chỉ số PAPI xếp thứ 11/63 tỉnh/thành phố (giảm 6 bậc)." in paras[0]


def test_wrapped_paragraphs_and_markers_start_new_lines() -> None:
    part = normalize_chars(excerpt(HY2023, 108, 132)).split("\n")
    paras = join_wrapped_lines(part)
    assert paras[0] == "trung triển khai một số nhiệm vụ trọng tâm sau:"
    assert paras[1].startswith("1. Tổ chức thực hiện có hiệu quả")
    assert paras[1].endswith("phát triển kinh tế - xã hội.")
    assert paras[2].startswith("2. Tăng cường kiểm tra")


def test_hyphenated_word_across_wrap_joined() -> None:
    assert join_wrapped_lines(["Đài PT-", "TH Hưng Yên đưa tin"]) == ["Đài PT-TH Hưng Yên đưa tin"]


# --------------------------------------------------------------------------- decorative rules
def test_decorative_rules_removed() -> None:
    part = excerpt(HY2023, 1, 16).split("\n")
    assert any(set(ln.strip()) == {"_"} for ln in part)
    assert not any(set(ln.strip()) == {"_"} for ln in drop_rules(part))
    assert "____" not in repaired(HY2023)
    assert drop_rules(["a", "-----", "=====", "* * *x", "…"]) == ["a", "* * *x", "…"]


def test_decorative_rule_separates_title_from_body() -> None:
    text = repaired(HY2023)
    assert "tỉnh Hưng Yên Ngày 26/5/2023" not in text
    assert "\nNgày 26/5/2023, Ủy ban nhân dân tỉnh tổ chức Hội nghị" in text


# --------------------------------------------------------------------------- false markers
def test_number_at_start_of_wrapped_line_is_not_a_section() -> None:
    part = excerpt(HY2023, 225, 240)
    assert "Đề án \n\n06. Nâng cấp" in part
    text = repair(part).text
    assert "theo Đề án 06. Nâng cấp, hoàn thiện hệ thống thông tin giải quyết TTHC" in text
    full = repaired(HY2023)
    outline = parse(full)
    starts = [full[s.start : s.start + 12] for s in outline.sections if s.marker is not None]
    assert not any(st.startswith(("06.", "06 ")) for st in starts), starts
    # the real item 6 of the list is still a section
    assert any(st.startswith("6. Thực hiện") for st in starts), starts
    assert not any(ln.startswith("06.") for ln in full.split("\n"))


def test_repair_handles_crlf_and_single_spaced_text(tmp_path: Path) -> None:
    raw = "1. Mục đích\r\nNâng cao chất lượng giải quyết thủ tục\r\nhành chính cho người dân.\r\n2. Yêu cầu\r\nBảo đảm tiến độ.\r\n"
    assert repair(raw).text == (
        "1. Mục đích\nNâng cao chất lượng giải quyết thủ tục hành chính cho người dân.\n2. Yêu cầu\nBảo đảm tiến độ."
    )
