"""Readers decide the format by content, read every supported format, and give a clear Vietnamese
error naming the file for everything else."""

from __future__ import annotations

import io
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest

from core.errors import (
    CorruptFileError,
    EmptyFileError,
    EncryptedFileError,
    FileTooLargeError,
    IngestError,
    ScannedPdfError,
    UnsupportedFileError,
)
from core.text import has_diacritics, nfc
from ingest.readers import decode_text, read_bytes, read_path, sniff
from tests.pdfs import make_pdf

MB = 10**6
VI = "Ủy ban nhân dân tỉnh Hưng Yên chỉ đạo đẩy mạnh cải cách hành chính năm 2025."


def make_docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("KẾ HOẠCH")
    d.add_paragraph("1. Sở Nội vụ chủ trì kiểm tra công tác cải cách hành chính.")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Chỉ số"
    table.cell(0, 1).text = "Xếp hạng"
    table.cell(1, 0).text = "PAR INDEX"
    table.cell(1, 1).text = "12/63"
    d.add_paragraph("2. Sở Tư pháp rà soát văn bản.")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters (with hat, breve, horn) + tone marks."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = b""
    for ch in text:
        d = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in d if c not in tones))
        out += (base + "".join(c for c in d if c in tones)).encode("cp1258")
    return out


def assert_clear_error(exc: IngestError, name: str) -> None:
    msg = str(exc)
    assert name in msg, msg
    assert has_diacritics(msg), f"not a Vietnamese message: {msg}"
    assert exc.user_message == msg
    assert exc.path is not None and name in exc.path


# --------------------------------------------------------------------------- format by content
def test_html_saved_as_pdf_is_read_as_html() -> None:
    html = f"<!DOCTYPE html><html><head><title>x</title><script>var a=1;</script></head><body><h1>KẾ HOẠCH</h1><p>{VI}</p><p>A &amp; B</p></body></html>"
    assert sniff(html.encode(), "ke-hoach.pdf") == "html"
    doc = read_bytes(html.encode("utf-8"), "ke-hoach.pdf", max_bytes=MB)
    assert doc.format == "html"
    assert VI in doc.text and "KẾ HOẠCH" in doc.text and "A & B" in doc.text
    assert "var a" not in doc.text and "<p>" not in doc.text


def test_text_pdf_read_with_pages() -> None:
    data = make_pdf([f"Trang một. {VI}", f"Trang hai. {VI}", "Trang ba. Sở Nội vụ tổng hợp báo cáo kết quả thực hiện."])
    doc = read_bytes(data, "bao-cao.pdf", max_bytes=10 * MB)
    assert doc.format == "pdf"
    assert doc.pages == 3
    text = nfc(doc.text)
    assert "Ủy ban nhân dân tỉnh Hưng Yên" in text
    assert text.index("Trang một") < text.index("Trang hai") < text.index("Trang ba")


def test_pdf_named_txt_is_still_a_pdf() -> None:
    data = make_pdf([VI])
    assert read_bytes(data, "nham-ten.txt", max_bytes=10 * MB).format == "pdf"


def test_pdf_without_text_layer_is_a_scan() -> None:
    data = make_pdf(["", ""], text_layer=False)
    with pytest.raises(ScannedPdfError) as err:
        read_bytes(data, "ban-quet.pdf", max_bytes=10 * MB)
    assert_clear_error(err.value, "ban-quet.pdf")
    assert "OCR" in str(err.value)


def test_encrypted_pdf() -> None:
    data = make_pdf([VI], encrypt=True)
    with pytest.raises(EncryptedFileError) as err:
        read_bytes(data, "mat-khau.pdf", max_bytes=10 * MB)
    assert_clear_error(err.value, "mat-khau.pdf")


@pytest.mark.parametrize("cut", [0.5, 0.1])
def test_truncated_pdf_is_corrupt(cut: float) -> None:
    data = make_pdf([VI, VI])
    broken = data[: int(len(data) * cut)]
    with pytest.raises((CorruptFileError, ScannedPdfError, EmptyFileError)) as err:
        read_bytes(broken, "hong.pdf", max_bytes=10 * MB)
    assert_clear_error(err.value, "hong.pdf")


def test_garbage_after_pdf_magic_is_corrupt() -> None:
    with pytest.raises(CorruptFileError) as err:
        read_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20, "rac.pdf", max_bytes=MB)
    assert_clear_error(err.value, "rac.pdf")


def test_too_many_pdf_pages() -> None:
    data = make_pdf([VI] * 3)
    with pytest.raises(FileTooLargeError) as err:
        read_bytes(data, "dai.pdf", max_bytes=10 * MB, max_pages=2)
    assert_clear_error(err.value, "dai.pdf")


# --------------------------------------------------------------------------- docx
def test_docx_with_table() -> None:
    doc = read_bytes(make_docx(), "ke-hoach.docx", max_bytes=10 * MB)
    assert doc.format == "docx"
    lines = [ln for ln in doc.text.split("\n") if ln.strip()]
    assert lines[0] == "KẾ HOẠCH"
    assert "Chỉ số | Xếp hạng" in lines
    assert "PAR INDEX | 12/63" in lines
    assert lines.index("PAR INDEX | 12/63") < lines.index("2. Sở Tư pháp rà soát văn bản.")


def test_docx_named_pdf_is_read_as_docx() -> None:
    assert read_bytes(make_docx(), "sai-duoi.pdf", max_bytes=10 * MB).format == "docx"


def test_docx_zip_bomb_rejected_quickly() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            block = b"\0" * (8 * 1024 * 1024)
            for _ in range(25):  # 200 MiB of zeros
                fh.write(block)
    data = buf.getvalue()
    assert len(data) < 2 * MB
    t = time.perf_counter()
    with pytest.raises(CorruptFileError) as err:
        read_bytes(data, "bom.docx", max_bytes=25 * MB)
    assert time.perf_counter() - t < 2.0
    assert_clear_error(err.value, "bom.docx")


def test_damaged_docx_is_corrupt() -> None:
    data = make_docx()
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, b"<not xml" if info.filename == "word/document.xml" else body)
    with pytest.raises(CorruptFileError) as err:
        read_bytes(buf.getvalue(), "hong.docx", max_bytes=10 * MB)
    assert_clear_error(err.value, "hong.docx")


def test_xlsx_pointed_to_import_commands() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnsupportedFileError) as err:
        read_bytes(buf.getvalue(), "bang.xlsx", max_bytes=MB)
    assert_clear_error(err.value, "bang.xlsx")


# --------------------------------------------------------------------------- empty, binary, size
@pytest.mark.parametrize("data", [b"", b"   \n\t  \r\n"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(EmptyFileError) as err:
        read_bytes(data, "rong.txt", max_bytes=MB)
    assert_clear_error(err.value, "rong.txt")


def test_empty_file_on_disk(tmp_path: Path) -> None:
    p = tmp_path / "rong.docx"
    p.write_bytes(b"")
    with pytest.raises(EmptyFileError) as err:
        read_path(p, max_bytes=MB)
    assert_clear_error(err.value, "rong.docx")


def test_text_without_words_is_empty() -> None:
    with pytest.raises(EmptyFileError) as err:
        read_bytes(b"... --- 1 2 3 !!!", "so.txt", max_bytes=MB)
    assert_clear_error(err.value, "so.txt")


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 40,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
        b"PK\x03\x04 not really a zip",
    ],
)
def test_random_binary_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedFileError) as err:
        read_bytes(data, "la.bin", max_bytes=MB)
    assert_clear_error(err.value, "la.bin")


def test_over_max_size(tmp_path: Path) -> None:
    p = tmp_path / "lon.txt"
    p.write_bytes(("Cải cách hành chính. " * 2000).encode())
    with pytest.raises(FileTooLargeError) as err:
        read_path(p, max_bytes=10_000)
    assert_clear_error(err.value, "lon.txt")
    with pytest.raises(FileTooLargeError):
        read_bytes(p.read_bytes(), "lon.txt", max_bytes=10_000)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as err:
        read_path(tmp_path / "khong-co.txt", max_bytes=MB)
    assert_clear_error(err.value, "khong-co.txt")


# --------------------------------------------------------------------------- text encodings
CSV = "Chỉ số,Năm,Xếp hạng\nPAR INDEX,2022,12/63\nSIPAS,2022,06/63\nHưng Yên; Hải Dương; Thái Bình; Đồng Tháp\n"


def test_windows_1258_csv_decoded() -> None:
    data = to_cp1258(CSV)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert nfc(decode_text(data)) == CSV
    doc = read_bytes(data, "chi-so.csv", max_bytes=MB)
    assert nfc(doc.text) == CSV


def test_utf8_with_bom_decoded() -> None:
    data = b"\xef\xbb\xbf" + CSV.encode("utf-8")
    doc = read_bytes(data, "chi-so.csv", max_bytes=MB)
    assert doc.text == CSV
    assert not doc.text.startswith("\ufeff")


def test_utf16_with_bom_decoded() -> None:
    doc = read_bytes(CSV.encode("utf-16"), "chi-so.txt", max_bytes=MB)
    assert doc.text == CSV


def test_markdown_by_name() -> None:
    doc = read_bytes("# Kế hoạch\n\n- Sở Nội vụ".encode(), "ghi-chu.md", max_bytes=MB)
    assert doc.format == "md"
