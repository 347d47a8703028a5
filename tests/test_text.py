"""Vietnamese text handling: folding, analysis (tokens, bigrams, glossary), sentence spans, name keys."""

from __future__ import annotations

import unicodedata

import pytest

from core.agencies import norm_name as name_key
from core.text import analyze, fold, has_diacritics, nfc, query_text, split_sentences, words


def sentences(text: str, **kw: int) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text, **kw)]


# --------------------------------------------------------------------------- fold / diacritics
@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đồng Tháp", "dong thap"),
        ("Cải cách hành chính", "cai cach hanh chinh"),
        ("ỦY BAN NHÂN DÂN", "uy ban nhan dan"),
        ("Hưng Yên", "hung yen"),
        ("đ Đ", "d d"),
        ("plain ascii 12/63", "plain ascii 12/63"),
    ],
)
def test_fold_removes_diacritics_and_lowercases(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_handles_nfd_input_and_long_texts() -> None:
    nfd = unicodedata.normalize("NFD", "Thủ tục hành chính")
    assert fold(nfd) == "thu tuc hanh chinh"
    long = "Ủy ban nhân dân tỉnh Hưng Yên chỉ đạo đẩy mạnh cải cách hành chính " * 3
    assert len(long) > 64
    assert fold(long) == "uy ban nhan dan tinh hung yen chi dao day manh cai cach hanh chinh " * 3


def test_has_diacritics() -> None:
    assert has_diacritics("Sở Nội vụ")
    assert has_diacritics("đ")
    assert has_diacritics("ĐẦU TƯ")
    assert not has_diacritics("so noi vu")
    assert not has_diacritics("PAR INDEX 12/63")


def test_nfc_composes() -> None:
    nfd = unicodedata.normalize("NFD", "Hưng Yên")
    assert nfd != "Hưng Yên"
    assert nfc(nfd) == "Hưng Yên"


def test_words_lowercases_syllables() -> None:
    assert words("Chỉ số PAR INDEX xếp thứ 12/63") == ["chỉ", "số", "par", "index", "xếp", "thứ", "12", "63"]


# --------------------------------------------------------------------------- analyze
def test_analyze_syllables_bigrams_and_folded_forms() -> None:
    a = analyze("Cải cách hành chính", expand=False)
    assert a.uni == ["cải", "cách", "hành", "chính"]
    assert a.bi == ["cải_cách", "cách_hành", "hành_chính"]
    assert a.funi == ["cai", "cach", "hanh", "chinh"]
    assert a.fbi == ["cai_cach", "cach_hanh", "hanh_chinh"]


def test_analyze_query_without_diacritics_matches_folded_forms_of_text() -> None:
    doc = analyze("Tỷ lệ hồ sơ trực tuyến toàn trình", expand=False)
    query = analyze("ty le ho so truc tuyen toan trinh", expand=False)
    assert set(query.funi) <= set(doc.funi)
    assert set(query.fbi) <= set(doc.fbi)
    # the exact-diacritic fields stay distinct
    assert not set(query.uni) & {"tỷ", "lệ", "hồ", "sơ"}


def test_analyze_nfd_input_equals_nfc_input() -> None:
    text = "Chỉ số hài lòng của người dân"
    assert analyze(unicodedata.normalize("NFD", text)) == analyze(text)


def test_glossary_expands_ampersand_abbreviation() -> None:
    a = analyze("Sở KH&ĐT phải làm gì về PCI?")
    for tok in ("kế", "hoạch", "và", "đầu", "tư"):
        assert tok in a.uni
    assert "kế_hoạch" in a.bi and "đầu_tư" in a.bi
    assert "ke_hoach" in a.fbi and "dau_tu" in a.fbi
    # PCI expands too
    assert "cạnh_tranh" in a.bi


def test_glossary_expansion_can_be_turned_off() -> None:
    a = analyze("Sở KH&ĐT", expand=False)
    assert "hoạch" not in a.uni


def test_lowercase_cchc_expands() -> None:
    a = analyze("ke hoach cchc 6 thang cuoi nam")
    assert {"cải", "cách", "hành", "chính"} <= set(a.uni)
    assert "cai_cach" in a.fbi and "hanh_chinh" in a.fbi


def test_uppercase_abbreviation_is_expanded_once() -> None:
    a = analyze("CCHC")
    assert a.uni.count("cải") == 1
    assert a.uni.count("hành") == 1


def test_unknown_lowercase_word_not_expanded() -> None:
    # "tu" (a folded syllable) must not be read as the case-sensitive abbreviation TU (tỉnh ủy)
    a = analyze("dau tu cong")
    assert "ủy" not in a.uni


def test_agency_name_key() -> None:
    """Agency names written either way share one key (knowledge.store.agencies.norm_name, used by the
    retriever's agency index too)."""
    assert name_key("Sở KH&ĐT") == "so ke hoach va dau tu"
    assert name_key("Sở Kế hoạch và Đầu tư") == name_key("Sở KH&ĐT")
    assert name_key("VP UBND tỉnh") == name_key("Văn phòng Ủy ban nhân dân tỉnh")
    assert name_key("  Sở   Nội vụ ") == "so noi vu"


# --------------------------------------------------------------------------- split_sentences
def test_split_sentences_basic_and_offsets_exact() -> None:
    text = "Câu thứ nhất. Câu thứ hai! Câu thứ ba? Câu cuối"
    spans = split_sentences(text)
    assert [text[s.start : s.end] for s in spans] == ["Câu thứ nhất.", "Câu thứ hai!", "Câu thứ ba?", "Câu cuối"]
    for s in spans:
        assert 0 <= s.start < s.end <= len(text)
        assert text[s.start : s.end] == text[s.start : s.end].strip()


@pytest.mark.parametrize(
    "text",
    [
        "Trừ 0.09 điểm do chưa triển khai hết số hồ sơ.",
        "Chỉ số PAR INDEX xếp thứ 12/63 (giữ nguyên so với năm 2021).",
        "Tổng số đạt 10,876/12 điểm, bị trừ 1,124 điểm.",
        "Năm 2022 có 94.385/153.273 hồ sơ trực tuyến.",
    ],
)
def test_no_split_inside_numbers(text: str) -> None:
    assert sentences(text) == [text]


@pytest.mark.parametrize("abbrev", ["TP.", "Đ/c.", "TS.", "ThS."])
def test_no_split_after_abbreviation(abbrev: str) -> None:
    text = f"Làm việc với {abbrev} Nguyễn Văn An về nội dung này. Sau đó báo cáo."
    assert sentences(text) == [f"Làm việc với {abbrev} Nguyễn Văn An về nội dung này.", "Sau đó báo cáo."]


def test_split_at_newlines() -> None:
    assert sentences("Dòng một\nDòng hai\n\nDòng ba") == ["Dòng một", "Dòng hai", "Dòng ba"]


def test_short_sentence_not_split_at_semicolon() -> None:
    text = "Chỉ số PAR INDEX xếp thứ 12/63; Chỉ số SIPAS xếp thứ 06/63; Chỉ số PAPI xếp thứ 11/63."
    assert sentences(text) == [text]


def test_long_sentence_split_at_semicolons() -> None:
    parts = [f"nhiệm vụ số {i} được giao cho các cơ quan, đơn vị thực hiện đầy đủ và kịp thời" for i in range(1, 9)]
    text = "; ".join(parts) + "."
    assert len(text) > 450
    got = sentences(text)
    assert len(got) > 1
    assert got[0] == parts[0] + ";"
    for piece in got[:-1]:
        assert piece.endswith(";")
    assert got[-1].endswith(parts[-1] + ".")
    assert all(len(piece) <= 450 for piece in got)
    # the pieces cover the text in order, split only at '; '
    assert " ".join(got) == text


def test_long_sentence_threshold_is_a_parameter() -> None:
    text = "việc thứ nhất; việc thứ hai; việc thứ ba."
    assert sentences(text) == [text]
    assert sentences(text, long_sentence=12) == ["việc thứ nhất;", "việc thứ hai;", "việc thứ ba."]


def test_split_sentences_skips_punctuation_only_pieces() -> None:
    assert sentences("... . ;") == []
    assert sentences("") == []


@pytest.mark.parametrize(
    ("question", "tail"),
    [
        ("Cư trú là gì?", "Cư trú là"),
        ("Cu tru la gi?", "Cu tru la"),
        ("Theo Bo luat Dan su 2015, loi tuc duoc hieu nhu the nao?", "loi tuc la"),
        ('Dinh nghia cua "Nguoi su dung lao dong"?', "Nguoi su dung lao dong la"),
    ],
)
def test_a_definition_question_asks_for_the_term_with_or_without_diacritics(question: str, tail: str) -> None:
    assert query_text(question).endswith(tail)
