"""Document metadata from the header and signature blocks; the sidecar file overrides it."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import IngestError
from ingest.metadata import DocMeta, extract, find_province, provinces_in
from ingest.pipeline import parse_file
from ingest.structure import parse

NOTICE = """ỦY BAN NHÂN DÂN
TỈNH HƯNG YÊN
Số: 123/TB-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Hưng Yên, ngày 26 tháng 5 năm 2023
THÔNG BÁO
Kết luận của Phó Chủ tịch UBND tỉnh tại Hội nghị cải cách hành chính
1. Sở Nội vụ tỉnh Hưng Yên tham mưu kiểm tra công tác cải cách hành chính tỉnh Hưng Yên.
2. Sở Tư pháp rà soát văn bản quy phạm pháp luật của tỉnh Hưng Yên.
3. Văn phòng Ủy ban nhân dân tỉnh theo dõi, đôn đốc thực hiện.
4. Các sở, ngành báo cáo kết quả trước ngày 15/6/2023.
Nơi nhận:
- Như trên;
- Lưu: VT.
KT. CHỦ TỊCH
PHÓ CHỦ TỊCH
Nguyễn Duy Hưng
"""


def meta_of(text: str, filename: str = "") -> DocMeta:
    """Metadata of a text that already has one paragraph per line (as repair() outputs it)."""
    out = parse(text)
    return extract(text, text[out.footer_start :], filename)


def test_header_and_signature_block() -> None:
    m = meta_of(NOTICE)
    assert m.doc_type == "Thông báo"
    assert m.number == "123/TB-UBND"
    assert m.date == "2023-05-26"
    assert m.province == "Hưng Yên"
    assert m.signer == "Nguyễn Duy Hưng"
    assert m.issuer == "Ủy Ban Nhân Dân"
    assert m.title == "Kết luận của Phó Chủ tịch UBND tỉnh tại Hội nghị cải cách hành chính"
    assert m.display() == "Thông báo số 123/TB-UBND ngày 26/5/2023 của Ủy Ban Nhân Dân"


def test_blank_day_in_draft_header_gives_year_and_month() -> None:
    text = NOTICE.replace("ngày 26 tháng 5 năm 2023", "ngày   tháng 7 năm 2025")
    m = meta_of(text)
    assert m.date == "2025-07"
    assert "tháng 7/2025" in m.display()


def test_date_from_file_name_when_header_has_none() -> None:
    text = NOTICE.replace("Hưng Yên, ngày 26 tháng 5 năm 2023\n", "")
    assert meta_of(text, "hung-yen_2024-11_bao-cao.txt").date == "2024-11"
    assert meta_of(text, "hung-yen_2024_bao-cao.txt").date == "2024"
    assert meta_of(text, "bao-cao.txt").date is None


@pytest.mark.parametrize(
    ("heading", "doc_type"),
    [("KẾ HOẠCH", "Kế hoạch"), ("BÁO CÁO", "Báo cáo"), ("KẾT LUẬN", "Kết luận"), ("QUYẾT ĐỊNH", "Quyết định")],
)
def test_document_types(heading: str, doc_type: str) -> None:
    assert meta_of(NOTICE.replace("THÔNG BÁO", heading)).doc_type == doc_type


def test_letter_with_kinh_gui_is_a_cong_van() -> None:
    text = NOTICE.replace("THÔNG BÁO\n", "Kính gửi: Các sở, ban, ngành tỉnh\n")
    assert meta_of(text).doc_type == "Công văn"


def test_province_the_document_names_most() -> None:
    text = NOTICE + "\nSo sánh với tỉnh Hải Dương.\n"
    assert meta_of(text).province == "Hưng Yên"
    assert find_province("chỉ số của tỉnh hai duong năm 2022") == "Hải Dương"
    assert provinces_in("Hưng Yên và Hải Dương, không phải Thái Bình") == {"Hưng Yên", "Hải Dương", "Thái Bình"}


def test_corpus_metadata(knowledge: object) -> None:
    from knowledge.store import documents as store

    docs = {d.source: d for d in store.list_documents(knowledge.db)}  # type: ignore[attr-defined]
    ke = docs["hung-yen_2025-07_ke-hoach-cchc-6-thang-cuoi-2025.txt"]
    assert ke.doc_type == "Kế hoạch"
    assert ke.date == "2025-07"  # "ngày   tháng 7 năm 2025" in the header; the sidecar has no date
    assert ke.signer == "Phạm Văn Nghiêm"
    assert ke.province == "Hưng Yên"
    hd = docs["hai-duong_2023_phan-tich-chi-so-cchc-2022.txt"]
    assert hd.province == "Hải Dương"
    assert hd.signer == "Phạm Mạnh Hùng"
    tb = docs["hung-yen_2023-05_thong-bao-ket-luan-hoi-nghi-chi-so-2022.txt"]
    assert (tb.doc_type, tb.signer, tb.province) == ("Thông báo", "Trần Văn Thắng", "Hưng Yên")


def test_sidecar_overrides_header(tmp_path: Path) -> None:
    src = tmp_path / "thong-bao.txt"
    src.write_text(NOTICE, encoding="utf-8")
    assert parse_file(src, max_bytes=10**6).meta.number == "123/TB-UBND"
    (tmp_path / "thong-bao.meta.yaml").write_text(
        'doc_type: Kết luận\nnumber: "99/KL-UBND"\ndate: "2023-06-01"\nprovince: Thái Bình\nsigner: null\n',
        encoding="utf-8",
    )
    m = parse_file(src, max_bytes=10**6).meta
    assert m.doc_type == "Kết luận"
    assert m.number == "99/KL-UBND"
    assert m.date == "2023-06-01"
    assert m.province == "Thái Bình"
    assert m.signer == "Nguyễn Duy Hưng"  # null in the sidecar keeps what the text says


def test_sidecar_named_after_full_file_name(tmp_path: Path) -> None:
    src = tmp_path / "thong-bao.txt"
    src.write_text(NOTICE, encoding="utf-8")
    (tmp_path / "thong-bao.txt.meta.yaml").write_text("title: Tiêu đề đã duyệt\n", encoding="utf-8")
    assert parse_file(src, max_bytes=10**6).meta.title == "Tiêu đề đã duyệt"


def test_unknown_sidecar_key_is_an_ingest_error(tmp_path: Path) -> None:
    src = tmp_path / "thong-bao.txt"
    src.write_text(NOTICE, encoding="utf-8")
    (tmp_path / "thong-bao.meta.yaml").write_text("doc_type: Kết luận\nauthor: Ai đó\n", encoding="utf-8")
    with pytest.raises(IngestError) as err:
        parse_file(src, max_bytes=10**6)
    assert "author" in str(err.value)
    assert "thong-bao.meta.yaml" in str(err.value)
    assert "khóa không biết" in err.value.user_message


def test_invalid_sidecar_yaml_is_an_ingest_error(tmp_path: Path) -> None:
    src = tmp_path / "thong-bao.txt"
    src.write_text(NOTICE, encoding="utf-8")
    (tmp_path / "thong-bao.meta.yaml").write_text("doc_type: [unclosed\n", encoding="utf-8")
    with pytest.raises(IngestError) as err:
        parse_file(src, max_bytes=10**6)
    assert "thong-bao.meta.yaml" in str(err.value) and "không hợp lệ" in str(err.value)


@pytest.mark.parametrize("fmt", ["docx", "txt"])
def test_header_paragraphs_keep_their_metadata(tmp_path: Path, fmt: str) -> None:
    import docx

    src = tmp_path / f"thong-bao.{fmt}"
    if fmt == "docx":
        d = docx.Document()
        for line in NOTICE.strip().split("\n"):
            d.add_paragraph(line)
        d.save(str(src))
    else:
        src.write_text(NOTICE.replace("\n", "\n\n"), encoding="utf-8")
    parsed = parse_file(src, max_bytes=10**7)
    assert parsed.meta.doc_type == "Thông báo"
    assert parsed.meta.title == "Kết luận của Phó Chủ tịch UBND tỉnh tại Hội nghị cải cách hành chính"
    # Item 1 is its own section (a long item is labelled by its marker alone, like "a)").
    assert any(c.section_path == "1." and parsed.text[c.start : c.end].startswith("1. Sở Nội vụ") for c in parsed.chunks)
