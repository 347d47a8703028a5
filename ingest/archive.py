"""Bounded reading of zip containers (DOCX, XLSX).

Sizes declared in a zip's headers are never trusted: members are decompressed as a stream and the
bytes actually produced are counted against one cap for the whole file. XML parts that declare a
DTD or entities (the "billion laughs" pattern; Office files never do) are refused before any XML
parser sees them.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterable
from typing import IO

from core.errors import CorruptFileError
from ingest.limits import Limits, breach, mb

logger = logging.getLogger(__name__)

BLOCK = 1 << 20
_DTD_MARKS = (b"<!DOCTYPE", b"<!ENTITY")


class Budget:
    """Decompressed bytes left for one file; shared by every member read from it."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.used = 0

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.limits.max_unzipped_bytes:
            raise breach(
                self.name,
                f"nội dung giải nén vượt {mb(self.limits.max_unzipped_bytes)} MB (tệp nén bất thường, có thể là zip bomb)",
                "max_unzipped_mb",
            )


class CappedReader(io.RawIOBase):
    """A member's stream that charges every byte read to the file's :class:`Budget` and refuses DTDs."""

    def __init__(self, raw: IO[bytes], budget: Budget, *, xml: bool) -> None:
        super().__init__()
        self._raw = raw
        self._budget = budget
        self._xml = xml
        self._tail = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        want = BLOCK if size is None or size < 0 else min(size, BLOCK)
        data = self._raw.read(want)
        self._budget.spend(len(data))
        if self._xml and data:
            window = self._tail + data
            if any(mark in window for mark in _DTD_MARKS):
                raise CorruptFileError(
                    f"{self._budget.name}: tệp chứa khai báo DTD/ENTITY trong XML (mẫu tấn công 'billion laughs'); "
                    "tệp Office thật không có khai báo này",
                    path=self._budget.name,
                )
            self._tail = window[-16:]
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise CorruptFileError(f"{name}: tệp nén bị hỏng", path=name) from exc


def open_member(zf: zipfile.ZipFile, member: str, budget: Budget) -> CappedReader:
    """A bounded stream of one member (KeyError when it is absent)."""
    raw = zf.open(member)
    return CappedReader(raw, budget, xml=member.endswith((".xml", ".rels")))


def drain(zf: zipfile.ZipFile, budget: Budget, members: Iterable[str] | None = None) -> None:
    """Decompress ``members`` (default: every member but media) to nothing, charging the budget.

    Used before handing the archive to a library (openpyxl) that reads parts whole: after this pass
    every part it may read is known to fit the cap and to hold no DTD.
    """
    names = list(members) if members is not None else [
        i.filename for i in zf.infolist() if "/media/" not in i.filename and not i.is_dir()
    ]
    for member in names:
        try:
            with open_member(zf, member, budget) as fh:
                while fh.read(BLOCK):
                    pass
        except zipfile.BadZipFile as exc:  # CRC or size mismatch: the headers lie
            raise CorruptFileError(f"{budget.name}: tệp nén bị hỏng ({member})", path=budget.name) from exc
    logger.debug("%s: %d bytes decompressed in the guard pass", budget.name, budget.used)
