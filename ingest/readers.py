"""Readers: one per format, all returning :class:`RawDoc`. The format is decided by content
(magic bytes), not by the file name."""

from __future__ import annotations

import html
import io
import logging
import re
import zipfile
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

from core.errors import (
    CorruptFileError,
    EmptyFileError,
    EncryptedFileError,
    IngestError,
    ScannedPdfError,
    UnsupportedFileError,
)
from ingest.archive import Budget, open_member, open_zip
from ingest.limits import MIB, Limits, breach, check_chars, num, too_large

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md", ".text", ".html", ".htm", ".pdf", ".docx"}


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


def _limits(limits: Limits | None, max_bytes: int | None, max_pages: int | None) -> Limits:
    base = limits or Limits()
    if max_bytes is not None:
        base = replace(base, max_file_mb=max_bytes / MIB)
    if max_pages is not None:
        base = replace(base, max_pdf_pages=max_pages)
    return base


def read_path(
    path: Path, *, limits: Limits | None = None, max_bytes: int | None = None, max_pages: int | None = None
) -> RawDoc:
    lim = _limits(limits, max_bytes, max_pages)
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise IngestError(f"{path.name}: tệp không còn tồn tại", path=str(path)) from exc
    if size > lim.max_bytes:
        raise too_large(path.name, size, lim)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise IngestError(f"{path.name}: tệp đã bị xóa trong khi đọc", path=str(path)) from exc
    except OSError as exc:
        raise IngestError(f"{path.name}: không đọc được tệp ({exc.strerror})", path=str(path)) from exc
    return read_bytes(data, path.name, limits=lim)


def read_bytes(
    data: bytes, name: str, *, limits: Limits | None = None, max_bytes: int | None = None, max_pages: int | None = None
) -> RawDoc:
    lim = _limits(limits, max_bytes, max_pages)
    if len(data) > lim.max_bytes:
        raise too_large(name, len(data), lim)
    if not data.strip():
        raise EmptyFileError(f"{name}: tệp rỗng", path=name)
    kind = sniff(data, name)
    try:
        doc = _read_kind(kind, data, name, lim)
    except IngestError:
        raise
    except MemoryError as exc:
        raise breach(name, "không đủ bộ nhớ để đọc tệp này", "max_document_chars") from exc
    except Exception as exc:  # parsers raise many kinds of errors on damaged input
        logger.debug("reader failed on %s", name, exc_info=True)
        raise CorruptFileError(f"{name}: tệp bị hỏng hoặc không đúng định dạng {kind.upper()}", path=name) from exc
    check_chars(name, len(doc.text), lim)
    if not re.search(r"\w{2,}", doc.text):
        raise EmptyFileError(f"{name}: không có nội dung chữ", path=name)
    return doc


def _read_kind(kind: str, data: bytes, name: str, lim: Limits) -> RawDoc:
    if kind == "pdf":
        return read_pdf(data, name, limits=lim)
    if kind == "docx":
        return read_docx(data, name, limits=lim)
    if kind == "html":
        text = decode_text(data)
        check_chars(name, len(text), lim)
        return RawDoc(html_to_text(text), "html")
    if kind in ("txt", "md"):
        return RawDoc(decode_text(data), kind)
    if kind == "xlsx":
        raise UnsupportedFileError(
            f"{name}: đây là bảng tính Excel; dùng 'cchc tasks import' hoặc 'cchc scores import'", path=name
        )
    raise UnsupportedFileError(
        f"{name}: định dạng không hỗ trợ (chỉ nhận TXT, MD, HTML, DOCX, PDF có lớp chữ)", path=name
    )


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


def read_pdf(data: bytes, name: str, *, limits: Limits | None = None, max_pages: int | None = None) -> RawDoc:
    """Text of every page (PDFium, through pypdfium2), with each page's number on a line after it."""
    import pypdfium2 as pdfium

    lim = _limits(limits, None, max_pages)
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium.raw.FPDF_ERR_PASSWORD:
            raise EncryptedFileError(f"{name}: tệp PDF có mật khẩu; hãy gửi bản không khóa", path=name) from exc
        raise CorruptFileError(f"{name}: tệp PDF bị hỏng", path=name) from exc
    try:
        n_pages = len(pdf)
        if n_pages > lim.max_pdf_pages:
            raise breach(name, f"{num(n_pages)} trang, vượt giới hạn {num(lim.max_pdf_pages)} trang", "max_pdf_pages")
        pages: list[str] = []
        total = 0
        for i in range(n_pages):
            body = _page_text(pdf, i)
            total += len(body)
            check_chars(name, total, lim)
            pages.append(body.rstrip() + f"\n{i + 1}\n")  # keep page breaks visible as a number line
    finally:
        pdf.close()
    text = "".join(pages)
    letters = len(re.findall(r"\w", text)) - len(pages) * 2
    if letters < 20 * max(1, len(pages)) * 0.1 and letters < 200:
        raise ScannedPdfError(
            f"{name}: PDF không có lớp chữ (bản quét); cần nhận dạng chữ (OCR) trước khi nạp", path=name
        )
    return RawDoc(text, "pdf", pages=len(pages))


def _page_text(pdf: Any, index: int) -> str:
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            body: str = textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()
    # PDFium ends lines with CR LF and marks soft hyphens / unmapped glyphs with control characters.
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    return _PDF_JUNK.sub("", body)


_PDF_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(data: bytes, name: str, *, limits: Limits | None = None) -> RawDoc:
    """Paragraphs and table rows of the body, streamed from ``word/document.xml``.

    The part is decompressed through a byte budget and parsed block by block (each body-level
    paragraph or table is read and then freed), with a running character count, so neither a
    bomb nor a huge but honest body can take more than the caps allow.
    """
    from lxml import etree

    lim = limits or Limits()
    budget = Budget(name, lim)
    with open_zip(data, name) as zf:
        try:
            stream = open_member(zf, "word/document.xml", budget)
        except KeyError as exc:
            raise CorruptFileError(f"{name}: tệp DOCX thiếu phần nội dung chính", path=name) from exc
        with stream:
            lines: list[str] = []
            total = 0
            parser = etree.iterparse(
                stream, events=("end",), resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False
            )
            body_tag = W_NS + "body"
            for _event, elem in parser:
                parent = elem.getparent()
                if parent is None or parent.tag != body_tag:
                    continue  # inside a block (read with it), or the root
                block = _docx_block(elem) if len(elem) else [""] if elem.tag == W_NS + "p" else []
                if block:
                    lines.extend(block)
                    lines.append("")
                    total += sum(len(x) + 1 for x in block) + 1
                    if total > lim.max_document_chars:
                        check_chars(name, total, lim)
                elem.clear()  # every body child is freed once read, whatever its kind
                while elem.getprevious() is not None:
                    del parent[0]
    return RawDoc("\n".join(lines), "docx")


def _texts(elem: Any) -> list[str]:
    return [t.text or "" for t in elem.iter(W_NS + "t")]


def _docx_block(block: Any) -> list[str]:
    tag = block.tag
    if tag == W_NS + "p":
        return ["".join(_texts(block))]
    if tag != W_NS + "tbl":
        return []
    rows = []
    for row in block.iter(W_NS + "tr"):
        cells = [" ".join(_texts(cell)).strip() for cell in row.iter(W_NS + "tc")]
        rows.append(" | ".join(c for c in cells if c))
    return rows


class _HtmlText(HTMLParser):
    BLOCK: ClassVar[set[str]] = {
        "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article", "ul", "ol",
    }
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
