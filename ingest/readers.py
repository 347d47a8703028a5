"""Readers: one per format, all returning :class:`RawDoc`. The format is decided by content
(magic bytes), not by the file name."""

from __future__ import annotations

import html
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

from core.errors import (
    CorruptFileError,
    EmptyFileError,
    EncryptedFileError,
    FileTooLargeError,
    IngestError,
    ScannedPdfError,
    UnsupportedFileError,
)

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md", ".text", ".html", ".htm", ".pdf", ".docx"}
MAX_DOCX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_RATIO = 200


@dataclass
class RawDoc:
    text: str
    format: str  # txt | md | html | pdf | docx
    pages: int | None = None


def sniff(data: bytes, name: str = "") -> str:
    """The format of ``data``: pdf, docx, xlsx, zip, html, txt; 'binary' for anything else."""
    head = data[:2048]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            return "binary"
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return "zip"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text (its ASCII has zero bytes)
        return "md" if name.lower().endswith(".md") else "txt"
    if head.startswith((b"\xd0\xcf\x11\xe0", b"\x7fELF", b"MZ", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "binary"
    low = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if low.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta")) or b"<html" in low[:512]:
        return "html"
    if b"\x00" in head and not (head.startswith((b"\xff\xfe", b"\xfe\xff"))):
        return "binary"
    sample = head
    ctrl = sum(1 for b in sample if b < 9 or 13 < b < 32)
    if sample and ctrl / len(sample) > 0.05:
        return "binary"
    return "md" if name.lower().endswith(".md") else "txt"


def read_path(path: Path, *, max_bytes: int, max_pages: int = 3000) -> RawDoc:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise IngestError(f"{path.name}: tệp không còn tồn tại", path=str(path)) from exc
    if size > max_bytes:
        raise FileTooLargeError(
            f"{path.name}: tệp {size / 1e6:.1f} MB vượt giới hạn {max_bytes / 1e6:.0f} MB", path=str(path)
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise IngestError(f"{path.name}: tệp đã bị xóa trong khi đọc", path=str(path)) from exc
    except OSError as exc:
        raise IngestError(f"{path.name}: không đọc được tệp ({exc.strerror})", path=str(path)) from exc
    return read_bytes(data, path.name, max_bytes=max_bytes, max_pages=max_pages)


def read_bytes(data: bytes, name: str, *, max_bytes: int, max_pages: int = 3000) -> RawDoc:
    if len(data) > max_bytes:
        raise FileTooLargeError(f"{name}: tệp vượt giới hạn {max_bytes / 1e6:.0f} MB", path=name)
    if not data.strip():
        raise EmptyFileError(f"{name}: tệp rỗng", path=name)
    kind = sniff(data, name)
    try:
        if kind == "pdf":
            doc = read_pdf(data, name, max_pages=max_pages)
        elif kind == "docx":
            doc = read_docx(data, name)
        elif kind == "html":
            doc = RawDoc(html_to_text(decode_text(data)), "html")
        elif kind in ("txt", "md"):
            doc = RawDoc(decode_text(data), kind)
        elif kind == "xlsx":
            raise UnsupportedFileError(
                f"{name}: đây là bảng tính Excel; dùng 'cchc tasks import' hoặc 'cchc scores import'", path=name
            )
        else:
            raise UnsupportedFileError(
                f"{name}: định dạng không hỗ trợ (chỉ nhận TXT, MD, HTML, DOCX, PDF có lớp chữ)", path=name
            )
    except IngestError:
        raise
    except Exception as exc:  # parsers raise many kinds of errors on damaged input
        logger.debug("reader failed on %s", name, exc_info=True)
        raise CorruptFileError(f"{name}: tệp bị hỏng hoặc không đúng định dạng {kind.upper()}", path=name) from exc
    if not re.search(r"\w{2,}", doc.text):
        raise EmptyFileError(f"{name}: không có nội dung chữ", path=name)
    return doc


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1258 (Vietnamese), else Latin-1.
    Legacy TCVN3/VNI fonts are fixed later, in repair."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Legacy single-byte files: Latin-1 keeps every byte, which the TCVN3/VNI converters expect.
    text = data.decode("latin-1")
    from core.text import nfc
    from ingest.legacy import fix_legacy, vietnamese_score

    fixed, _enc = fix_legacy(text)
    try:
        cp = nfc(data.decode("cp1258"))  # tone marks are combining characters in Windows-1258
    except UnicodeDecodeError:
        return text
    return cp if vietnamese_score(cp) >= vietnamese_score(fixed) else text


def read_pdf(data: bytes, name: str, *, max_pages: int) -> RawDoc:
    import pymupdf as fitz

    try:
        pdf = fitz.open(stream=data, filetype="pdf")
    except Exception as exc:
        raise CorruptFileError(f"{name}: tệp PDF bị hỏng", path=name) from exc
    with pdf:
        if pdf.needs_pass or pdf.is_encrypted:
            raise EncryptedFileError(f"{name}: tệp PDF có mật khẩu; hãy gửi bản không khóa", path=name)
        if pdf.page_count > max_pages:
            raise FileTooLargeError(f"{name}: {pdf.page_count} trang, vượt giới hạn {max_pages}", path=name)
        pages = []
        for i, page in enumerate(pdf):  # type: ignore[arg-type, var-annotated]
            body = page.get_text("text", sort=False)
            pages.append(body.rstrip() + f"\n{i + 1}\n")  # keep page breaks visible as a number line
        text = "".join(pages)
        letters = len(re.findall(r"\w", text)) - len(pages) * 2
        if letters < 20 * max(1, len(pages)) * 0.1 and letters < 200:
            raise ScannedPdfError(
                f"{name}: PDF không có lớp chữ (bản quét); cần nhận dạng chữ (OCR) trước khi nạp", path=name
            )
        return RawDoc(text, "pdf", pages=len(pages))


def read_docx(data: bytes, name: str) -> RawDoc:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        total = 0
        for info in zf.infolist():
            total += info.file_size
            if info.compress_size and info.file_size / max(1, info.compress_size) > MAX_ZIP_RATIO and info.file_size > 10_000_000:
                raise CorruptFileError(f"{name}: tệp DOCX bất thường (nén quá mức, có thể là zip bomb)", path=name)
        if total > MAX_DOCX_UNCOMPRESSED:
            raise CorruptFileError(f"{name}: tệp DOCX giải nén quá lớn ({total / 1e6:.0f} MB)", path=name)
    import docx

    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append("".join(t.text or "" for t in block.iter() if t.tag.endswith("}t")))
        elif tag == "tbl":
            for row in block.iter():
                if row.tag.endswith("}tr"):
                    cells = []
                    for cell in row.iter():
                        if cell.tag.endswith("}tc"):
                            cells.append(" ".join(t.text or "" for t in cell.iter() if t.tag.endswith("}t")).strip())
                    lines.append(" | ".join(c for c in cells if c))
        lines.append("")
    return RawDoc("\n".join(lines), "docx")


class _HtmlText(HTMLParser):
    BLOCK: ClassVar[set[str]] = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article", "ul", "ol"}
    SKIP: ClassVar[set[str]] = {"script", "style", "noscript", "head", "nav", "footer"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        elif tag in self.BLOCK:
            self.out.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> str:
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.out))
    return re.sub(r"\n[ \t]+", "\n", re.sub(r"\n{3,}", "\n\n", text)).strip()


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in TEXT_SUFFIXES
