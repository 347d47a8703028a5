"""Reading tables (CSV, XLSX) row by row: the one reader behind the schedule and index-result imports.

Rows are streamed (an XLSX is opened read-only), numbered as the user sees them (the header is row 1),
and cells keep their types (an XLSX date stays a datetime, a number a number). CSV files may be UTF-8
(with or without BOM), UTF-16 or Windows-1258; the delimiter (comma, semicolon, tab) is sniffed.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.errors import CchcError
from core.text import nfc
from ingest.limits import Limits, breach, num, too_large
from ingest.sheets import sheet_shape

logger = logging.getLogger(__name__)


def read_rows(path: Path, limits: Limits | None = None) -> Iterator[tuple[int, list[object]]]:
    """(row number, cells) of a .xlsx/.xlsm or .csv file. Raises CchcError with a Vietnamese message.

    Every row and cell counts toward the caps, blank ones included (a sheet reader pads rows to the
    sheet's width and yields the blank rows in between)."""
    lim = limits or Limits()
    if not path.is_file():
        raise CchcError(f"Không tìm thấy tệp {path}")
    size = path.stat().st_size
    if size > lim.max_bytes:
        raise too_large(path.name, size, lim)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        yield from _xlsx_rows(path, lim)
        return
    if suffix == ".csv":
        raw = path.read_bytes()
        if not raw.strip():
            raise CchcError(f"{path.name}: tệp trống.")
        text = decode_csv(raw, path.name)
        try:
            dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        yield from _csv_rows(text, dialect, path.name, lim)
        return
    raise CchcError(f"{path.name}: chỉ nhập được tệp .csv hoặc .xlsx.")


def _csv_rows(text: str, dialect: Any, name: str, lim: Limits) -> Iterator[tuple[int, list[object]]]:
    cells = 0
    try:
        for n, row in enumerate(csv.reader(io.StringIO(text), dialect), 1):
            cells += max(1, len(row))
            _check_sheet(name, n, cells, lim)
            yield n, list(row)
    except csv.Error as exc:  # e.g. a field over the csv module's 131,072-character limit
        raise CchcError(f"{name}: tệp CSV hỏng hoặc có ô quá dài ({exc}).") from exc


def _xlsx_rows(path: Path, lim: Limits) -> Iterator[tuple[int, list[object]]]:
    from openpyxl import load_workbook

    data = path.read_bytes()
    rows, cols = sheet_shape(data, path.name, lim)
    _check_sheet(path.name, rows, rows * cols, lim)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise CchcError(f"{path.name}: không đọc được tệp Excel: không phải tệp XLSX hợp lệ ({exc.__class__.__name__}).") from exc
    try:
        ws = wb.worksheets[0]
        cells = 0
        for n, row in enumerate(ws.iter_rows(values_only=True), 1):
            cells += max(1, len(row))
            _check_sheet(path.name, n, cells, lim)
            yield n, list(row)
    finally:
        wb.close()


def _check_sheet(name: str, rows: int, cells: int, lim: Limits) -> None:
    if rows > lim.max_sheet_rows:
        raise breach(name, f"bảng có hơn {num(lim.max_sheet_rows)} dòng (tính cả dòng trống)", "max_sheet_rows")
    if cells > lim.max_sheet_cells:
        raise breach(name, f"bảng có hơn {num(lim.max_sheet_cells)} ô (tính cả ô trống)", "max_sheet_cells")


def decode_csv(raw: bytes, name: str) -> str:
    """UTF-8 (BOM or not), UTF-16 (Excel's "Unicode text", BOM or not), else Windows-1258."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return nfc(raw[3:].decode("utf-8"))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(raw):
        try:
            return nfc(_decode_utf16(raw))
        except UnicodeDecodeError as exc:
            raise CchcError(f"{name}: tệp UTF-16 bị hỏng (hãy lưu CSV dạng UTF-8).") from exc
    if b"\x00" in raw[:4096]:
        raise CchcError(f"{name}: đây không phải tệp văn bản CSV (có ký tự nhị phân); hãy lưu CSV dạng UTF-8.")
    try:
        return nfc(raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    try:
        return nfc(raw.decode("cp1258"))  # Windows-1258 (Vietnamese, combining tones -> NFC)
    except UnicodeDecodeError as exc:
        raise CchcError(f"{name}: không nhận ra bảng mã (hãy lưu CSV dạng UTF-8).") from exc


def _looks_utf16(raw: bytes) -> bool:
    """No BOM, but every other byte zero in the ASCII-heavy head: UTF-16 LE or BE."""
    head = raw[:4096]
    if len(head) < 4:
        return False
    odd_zero = head[1::2].count(0) / (len(head) // 2)
    even_zero = head[0::2].count(0) / ((len(head) + 1) // 2)
    return odd_zero > 0.4 or even_zero > 0.4


def _decode_utf16(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    return raw.decode("utf-16-le" if raw[1::2].count(0) >= raw[0::2].count(0) else "utf-16-be")
