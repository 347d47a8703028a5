"""The shape of an XLSX's first sheet, measured before any sheet library opens the file.

openpyxl pads every row to the sheet's width and yields the blank rows between the ones present, up
to the sheet's declared dimension; it also reads shared strings whole. So before it runs, every part
is decompressed once through the byte budget (which also refuses DTDs, the "billion laughs"
pattern), and the first sheet is streamed with expat, holding no tree, to count the rows and
columns the reader would yield. Counting stops as soon as a cap is passed.
"""

from __future__ import annotations

import logging
import posixpath
import re
import xml.parsers.expat
from zipfile import ZipFile

from core.errors import CorruptFileError
from ingest.archive import BLOCK, Budget, drain, open_member, open_zip
from ingest.limits import Limits, breach, num

logger = logging.getLogger(__name__)

_CELL_REF = re.compile(r"([A-Z]{1,4})(\d{1,9})")
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


class _Shape:
    """Counts rows (by number, so gaps count) and columns (by reference, or by position)."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.rows = 0
        self.cols = 0
        self._col = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        local = tag.rsplit(":", 1)[-1]
        if local == "row":
            r = attrs.get("r", "")
            self.rows = int(r) if r.isdigit() and int(r) > self.rows else self.rows + 1
            self._col = 0
        elif local == "c":
            m = _CELL_REF.fullmatch(attrs.get("r", ""))
            self._col = column_index(m.group(1)) if m else self._col + 1
            self.cols = max(self.cols, self._col)
        elif local == "dimension":
            self._dimension(attrs.get("ref", ""))
        else:
            return
        self.check()

    def _dimension(self, ref: str) -> None:
        last = ref.split(":")[-1]
        m = _CELL_REF.fullmatch(last)
        if m:
            self.cols = max(self.cols, column_index(m.group(1)))
            self.rows = max(self.rows, int(m.group(2)))

    def check(self) -> None:
        lim = self.limits
        if self.rows > lim.max_sheet_rows:
            raise breach(self.name, f"bảng có hơn {num(lim.max_sheet_rows)} dòng (tính cả dòng trống)", "max_sheet_rows")
        if self.rows * max(1, self.cols) > lim.max_sheet_cells:
            raise breach(self.name, f"bảng có hơn {num(lim.max_sheet_cells)} ô (tính cả ô trống)", "max_sheet_cells")


def first_sheet(zf: ZipFile, budget: Budget) -> str:
    """The part name of the workbook's first sheet (the one the importers read)."""
    rid = _first_match(zf, "xl/workbook.xml", budget, "sheet", f"{{{_REL_NS}}}id")
    target = None
    if rid:
        target = _rel_target(zf, budget, rid)
    if target is None:
        sheets = sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml"))
        if not sheets:
            raise CorruptFileError(f"{budget.name}: tệp Excel không có trang tính nào", path=budget.name)
        return sheets[0]
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def _rel_target(zf: ZipFile, budget: Budget, rid: str) -> str | None:
    found: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag.rsplit("}", 1)[-1] == "Relationship" and attrs.get("Id") == rid and not found:
            found.append(attrs.get("Target", ""))

    _parse(zf, "xl/_rels/workbook.xml.rels", budget, start, namespaces=True)
    return found[0] if found else None


def _first_match(zf: ZipFile, member: str, budget: Budget, local: str, attr: str) -> str | None:
    found: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag.rsplit("}", 1)[-1] == local and not found:
            found.append(attrs.get(attr, ""))

    _parse(zf, member, budget, start, namespaces=True)
    return found[0] if found else None


def _parse(zf: ZipFile, member: str, budget: Budget, start: object, *, namespaces: bool) -> None:
    parser = xml.parsers.expat.ParserCreate(namespace_separator="}" if namespaces else None)
    parser.StartElementHandler = start  # type: ignore[assignment]
    try:
        with open_member(zf, member, budget) as fh:
            while block := fh.read(BLOCK):
                parser.Parse(block, False)
            parser.Parse(b"", True)
    except KeyError:
        return
    except xml.parsers.expat.ExpatError as exc:
        raise CorruptFileError(f"{budget.name}: tệp Excel bị hỏng ({member}: XML lỗi)", path=budget.name) from exc


def sheet_shape(data: bytes, name: str, limits: Limits) -> tuple[int, int]:
    """(rows, columns) the first sheet would yield; raises on a cap, a bomb, a DTD or broken XML."""
    budget = Budget(name, limits)
    try:
        zf = open_zip(data, name)
    except CorruptFileError as exc:
        raise CorruptFileError(f"{name}: không đọc được tệp Excel: không phải tệp XLSX hợp lệ.", path=name) from exc
    with zf:
        drain(zf, budget)
        budget = Budget(name, limits)  # the guard pass proved every part fits; count this pass afresh
        sheet = first_sheet(zf, budget)
        shape = _Shape(name, limits)
        _parse(zf, sheet, budget, lambda tag, attrs: shape.start(tag, attrs), namespaces=False)
    logger.debug("%s: first sheet %s is %d rows x %d columns", name, sheet, shape.rows, shape.cols)
    return shape.rows, shape.cols
