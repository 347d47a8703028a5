"""The caps that keep parsing bounded, and the one error raised when a file breaches one.

Every cap is a setting (``ingest.<name>``); each breach names the file, the measured amount, the cap
and the setting that raises it, in Vietnamese. Sizes are shown in MB of 1,048,576 bytes, the unit
the settings use, so a configured 25 is shown as "25 MB".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.errors import FileTooLargeError
from core.settings import IngestSettings

logger = logging.getLogger(__name__)

MIB = 1024 * 1024


class LimitExceededError(FileTooLargeError):
    """A file is over one of the parsing caps (size, pages, characters, passages, cells...)."""

    def __init__(self, message: str, *, path: str | None = None, setting: str = "") -> None:
        super().__init__(message, path=path)
        self.setting = setting


@dataclass(frozen=True)
class Limits:
    """Caps per file. Defaults are generous for real administrative documents (hundreds of pages)."""

    max_file_mb: float = 25.0
    max_pdf_pages: int = 3000
    max_unzipped_mb: float = 100.0  # bytes actually decompressed from a DOCX/XLSX, all members
    max_document_chars: int = 5_000_000
    max_passages: int = 20_000
    passage_chars: int = 900  # passages are split near this length, never longer
    max_sheet_rows: int = 200_000  # blank rows count
    max_sheet_cells: int = 5_000_000  # rows x columns as the sheet reader would yield them, blanks too

    @classmethod
    def from_settings(cls, ingest: IngestSettings) -> Limits:
        return cls(
            max_file_mb=ingest.max_file_mb,
            max_pdf_pages=ingest.max_pdf_pages,
            max_unzipped_mb=ingest.max_unzipped_mb,
            max_document_chars=ingest.max_document_chars,
            max_passages=ingest.max_passages,
            passage_chars=ingest.chunk_chars,
            max_sheet_rows=ingest.max_sheet_rows,
            max_sheet_cells=ingest.max_sheet_cells,
        )

    @property
    def max_bytes(self) -> int:
        return int(self.max_file_mb * MIB)

    @property
    def max_unzipped_bytes(self) -> int:
        return int(self.max_unzipped_mb * MIB)


def mb(n_bytes: float) -> str:
    """A byte count in MB (of 1,048,576 bytes) the way users read it: '25', '25,5', '0,1' (never 0 for a non-empty file)."""
    value = round(n_bytes / MIB, 1)
    if n_bytes > 0 and value == 0:
        value = 0.1
    text = f"{value:.0f}" if value.is_integer() else f"{value:.1f}"
    return text.replace(".", ",")


def num(n: int) -> str:
    """Vietnamese thousands separator: 5.000.000."""
    return f"{n:,}".replace(",", ".")


def breach(name: str, what: str, setting: str) -> LimitExceededError:
    """The error for one breach; ``what`` says what was measured against which cap."""
    logger.info("limit %s breached by %s", setting, name)
    return LimitExceededError(f"{name}: {what} (giới hạn đặt trong ingest.{setting})", path=name, setting=setting)


def too_large(name: str, size: int, limits: Limits) -> LimitExceededError:
    return breach(name, f"tệp {mb(size)} MB vượt giới hạn {mb(limits.max_bytes)} MB", "max_file_mb")


def check_chars(name: str, n_chars: int, limits: Limits) -> None:
    if n_chars > limits.max_document_chars:
        raise breach(
            name,
            f"văn bản có hơn {num(limits.max_document_chars)} ký tự, vượt giới hạn cho một văn bản",
            "max_document_chars",
        )


def check_passages(name: str, n_passages: int, limits: Limits) -> None:
    if n_passages > limits.max_passages:
        raise breach(
            name,
            f"văn bản tách ra {num(n_passages)} đoạn, vượt giới hạn {num(limits.max_passages)} đoạn",
            "max_passages",
        )
