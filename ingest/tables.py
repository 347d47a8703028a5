"""Reading tables (CSV, XLSX) row by row: the one reader behind the schedule and index-result imports.

Rows are streamed (an XLSX is opened read-only), numbered as the user sees them (the header is row 1),
and cells keep their types (an XLSX date stays a datetime, a number a number). CSV files may be UTF-8
(with or without BOM) or Windows-1258; the delimiter (comma, semicolon, tab) is sniffed.
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

logger = logging.getLogger(__name__)


def read_rows(path: Path) -> Iterator[tuple[int, list[object]]]:
    """(row number, cells) of a .xlsx/.xlsm or .csv file. Raises CchcError with a Vietnamese message."""
    if not path.is_file():
        raise CchcError(f"Không tìm thấy tệp {path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise CchcError(f"{path.name}: không đọc được tệp Excel: không phải tệp XLSX hợp lệ ({exc.__class__.__name__}).") from exc
        try:
            ws = wb.worksheets[0]
            for n, row in enumerate(ws.iter_rows(values_only=True), 1):
                yield n, list(row)
        finally:
            wb.close()
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
        for n, row in enumerate(csv.reader(io.StringIO(text), dialect), 1):
            yield n, list(row)
        return
    raise CchcError(f"{path.name}: chỉ nhập được tệp .csv hoặc .xlsx.")


def decode_csv(raw: bytes, name: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return nfc(raw[3:].decode("utf-8"))
    try:
        return nfc(raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    try:
        return nfc(raw.decode("cp1258"))  # Windows-1258 (Vietnamese, combining tones -> NFC)
    except UnicodeDecodeError as exc:
        raise CchcError(f"{name}: không nhận ra bảng mã (hãy lưu CSV dạng UTF-8).") from exc
