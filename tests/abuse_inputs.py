"""Hostile inputs, generated at test time: small files that expand (nothing large is committed).

Each generator writes one file into a folder and returns its path. They stream their content
through zlib, so even the 300 MB members cost the generating process a few MB of memory.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_CT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/{main}" ContentType="{ctype}"/>
{extra}
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="{main}"/>
</Relationships>"""
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
S = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
WORKBOOK = f'<?xml version="1.0" encoding="UTF-8"?><workbook {S} {R}><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
XLSX_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
DOCX_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _repeat(head: str, unit: str, count: int, tail: str) -> Iterator[bytes]:
    yield head.encode()
    block = unit.encode() * max(1, min(count, (1 << 20) // max(1, len(unit))))
    per = max(1, (1 << 20) // max(1, len(unit)))
    left = count
    while left > 0:
        n = min(per, left)
        yield block if n == per else unit.encode() * n
        left -= n
    yield tail.encode()


def _write_zip(path: Path, parts: dict[str, str | Callable[[], Iterator[bytes]]]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, body in parts.items():
            if isinstance(body, str):
                zf.writestr(name, body)
                continue
            with zf.open(name, "w", force_zip64=True) as fh:
                for chunk in body():
                    fh.write(chunk)
    return path


def docx(path: Path, body: Callable[[], Iterator[bytes]]) -> Path:
    return _write_zip(path, {
        "[Content_Types].xml": _CT.format(main="word/document.xml", ctype=DOCX_CT, extra=""),
        "_rels/.rels": _RELS.format(main="word/document.xml"),
        "word/document.xml": body,
    })


def xlsx(path: Path, sheet: Callable[[], Iterator[bytes]], shared: str | None = None) -> Path:
    extra = f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_CT}"/>'
    parts: dict[str, str | Callable[[], Iterator[bytes]]] = {
        "[Content_Types].xml": _CT.format(main="xl/workbook.xml", ctype=XLSX_CT, extra=extra),
        "_rels/.rels": _RELS.format(main="xl/workbook.xml"),
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WB_RELS,
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    return _write_zip(path, parts)


# ---------------------------------------------------------------------------- the inputs
def docx_huge_text(folder: Path) -> Path:
    """1.3 MB of DOCX holding ~187 MB of paragraphs of real words."""
    para = "<w:p><w:r><w:t>Sở Nội vụ chủ trì kiểm tra công tác cải cách hành chính năm 2025.</w:t></w:r></w:p>"
    return docx(folder / "phinh-to.docx", lambda: _repeat(f"<w:document {W}><w:body>", para, 1_600_000, "</w:body></w:document>"))


def docx_markup_bomb(folder: Path) -> Path:
    """300 MB of empty body-level bookmarks (no text: only the decompressed-bytes cap can stop it)."""
    return docx(folder / "bom-the.docx", lambda: _repeat(f"<w:document {W}><w:body>", '<w:bookmarkEnd w:id="0"/>', 12_000_000, "</w:body></w:document>"))


def docx_lying_sizes(folder: Path, declared: int = 1000) -> Path:
    """A DOCX whose headers declare ``declared`` bytes for a 300 MB document part."""
    path = docx_markup_bomb(folder)
    out = folder / f"khai-sai-{declared}.docx"
    out.write_bytes(_patch_sizes(path.read_bytes(), "word/document.xml", declared))
    path.unlink()
    return out


def _patch_sizes(data: bytes, member: str, declared: int) -> bytes:
    """Rewrite the uncompressed size of ``member`` in the local header, its zip64 extra fields and the
    central directory to ``declared`` (a lying archive; the CRC stays that of the real content)."""
    buf = bytearray(data)
    name = member.encode()
    for sig, size_off, name_len_off, _extra_len_off, name_off in (
        (b"PK\x03\x04", 22, 26, 28, 30),
        (b"PK\x01\x02", 24, 28, 30, 46),
    ):
        pos = buf.find(sig)
        while pos >= 0:
            n_len, e_len = struct.unpack_from("<HH", buf, pos + name_len_off)
            if bytes(buf[pos + name_off : pos + name_off + n_len]) == name:
                if struct.unpack_from("<I", buf, pos + size_off)[0] != 0xFFFFFFFF:
                    struct.pack_into("<I", buf, pos + size_off, min(declared, 0xFFFFFFFE))
                _patch_zip64(buf, pos + name_off + n_len, e_len, declared)
            pos = buf.find(sig, pos + 4)
    return bytes(buf)


def _patch_zip64(buf: bytearray, start: int, length: int, declared: int) -> None:
    i = start
    while i + 4 <= start + length:
        tag, size = struct.unpack_from("<HH", buf, i)
        if tag == 0x0001 and size >= 8:
            struct.pack_into("<Q", buf, i + 4, declared)
        i += 4 + size


def xlsx_wide_row(folder: Path) -> Path:
    """One row of 20 million cells, about 1 MB on disk."""
    return xlsx(folder / "mot-dong-rong.xlsx", lambda: _repeat(f"<worksheet {S}><sheetData><row>", "<c/>", 20_000_000, "</row></sheetData></worksheet>"))


def xlsx_blank_rows(folder: Path) -> Path:
    """Two real rows, the second numbered 250,000,000: a reader yields every blank row between."""
    head = "".join(
        f'<c r="{col}1" t="inlineStr"><is><t>{text}</t></is></c>'
        for col, text in zip("ABCD", ("Mã", "Nhiệm vụ", "Cơ quan chủ trì", "Hạn hoàn thành"), strict=True)
    )
    rows = f'<row r="1">{head}</row><row r="250000000"><c r="A250000000"><v>1</v></c></row>'
    return xlsx(folder / "dong-trong.xlsx", lambda: iter([f"<worksheet {S}><sheetData>{rows}</sheetData></worksheet>".encode()]))


def xlsx_billion_laughs(folder: Path) -> Path:
    """Shared strings with nested entities: expanded, 10^9 'lol's."""
    ents = '<!ENTITY lol "lol">' + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    shared = f'<?xml version="1.0"?><!DOCTYPE lolz [{ents}]><sst {S} count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    sheet = f'<worksheet {S}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
    return xlsx(folder / "billion-laughs.xlsx", lambda: iter([sheet.encode()]), shared=shared)


def txt_single_line(folder: Path, mb: int = 24) -> Path:
    """One line of ``mb`` MB of words, no full stop anywhere."""
    unit = "cải cách hành chính tỉnh Hưng Yên "
    n = mb * 1_000_000 // len(unit.encode())
    path = folder / f"mot-dong-{mb}mb.txt"
    with path.open("w", encoding="utf-8") as fh:
        for chunk in _repeat("", unit, n, "\n"):
            fh.write(chunk.decode())
    return path


def csv_utf16(folder: Path) -> Path:
    """Excel's "Unicode text": UTF-16 LE with BOM, tab-separated."""
    rows = [
        ["Mã", "Nhiệm vụ", "Cơ quan chủ trì", "Hạn hoàn thành"],
        ["NV-1", "Rà soát thủ tục hành chính", "Sở Tư pháp", "30/06/2026"],
        ["NV-2", "Báo cáo chỉ số PAR INDEX", "Sở Nội vụ", "15/07/2026"],
    ]
    path = folder / "unicode-text.csv"
    path.write_bytes("\r\n".join("\t".join(r) for r in rows).encode("utf-16"))
    return path


@dataclass
class Run:
    code: int  # exit status; negative: killed by that signal
    stdout: str
    stderr: str
    peak_mb: float  # the child's peak resident memory
    seconds: float


def run_limited(argv: list[str], *, env: dict[str, str], cwd: Path, mem_mb: int = 1024, timeout_s: float = 120) -> Run:
    """Run ``argv`` in a child process whose address space is capped at ``mem_mb`` (RLIMIT_AS) and
    whose CPU time is capped at ``timeout_s`` (it is killed after twice that in wall time). The child
    is reaped with wait4, so its own peak RSS is reported."""
    import os
    import resource
    import subprocess
    import threading
    import time

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem_mb << 20, mem_mb << 20))
        resource.setrlimit(resource.RLIMIT_CPU, (int(timeout_s), int(timeout_s) + 1))

    t0 = time.perf_counter()
    child = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit)
    streams: dict[str, bytes] = {}

    def drain(name: str, fh: IO[bytes]) -> None:
        streams[name] = fh.read()

    readers = [threading.Thread(target=drain, args=(n, f)) for n, f in (("out", child.stdout), ("err", child.stderr))]
    for t in readers:
        t.start()
    killer = threading.Timer(timeout_s * 2, child.kill)
    killer.start()
    _pid, status, usage = os.wait4(child.pid, 0)
    killer.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join()
    return Run(
        child.returncode,
        streams.get("out", b"").decode("utf-8", "replace"),
        streams.get("err", b"").decode("utf-8", "replace"),
        usage.ru_maxrss / 1024,
        time.perf_counter() - t0,
    )


def csv_long_field(folder: Path) -> Path:
    """A CSV whose one quoted field runs for 2 MB (past the csv module's field limit)."""
    path = folder / "o-qua-dai.csv"
    path.write_text('Mã,Nhiệm vụ,Cơ quan chủ trì\nNV-1,"' + "rà soát " * 250_000 + '",Sở Nội vụ\n', encoding="utf-8")
    return path
