"""Ingest pipeline: file -> RawDoc -> repaired text -> outline -> metadata -> chunks -> ParsedDoc."""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from core.errors import IngestError
from ingest import metadata as meta_mod
from ingest.chunking import Chunk, cap_chunks, chunk, footnote_chunks
from ingest.limits import MIB, Limits, check_passages
from ingest.readers import RawDoc, read_path
from ingest.repair import repair
from ingest.structure import Outline, parse

logger = logging.getLogger(__name__)


@dataclass
class ParsedDoc:
    source: str
    path: str
    sha256: str
    format: str
    encoding: str
    pages: int | None
    meta: meta_mod.DocMeta
    text: str  # repaired body + footer + footnote appendix; every offset refers to it
    outline: Outline
    chunks: list[Chunk] = field(default_factory=list)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError as exc:  # gone, unreadable, a folder
        raise IngestError(f"{path.name}: không đọc được tệp ({exc.strerror or exc})", path=str(path)) from exc
    return h.hexdigest()


def parse_raw(raw: RawDoc, *, source: str, path: Path, sha256: str, max_chars: int = 900) -> ParsedDoc:
    rep = repair(raw.text, hard_wraps=raw.format in ("txt", "md", "pdf"))
    body = rep.text
    outline = parse(body)
    footer = body[outline.footer_start :]
    meta = meta_mod.extract(body, footer, source)
    meta = meta_mod.apply_sidecar(meta, path)
    text = body
    offsets: list[tuple[int, int]] = []
    if rep.footnotes:
        text += "\nChú thích:"
        for note in rep.footnotes:
            line = f"\n{note.number} {note.text}"
            a = len(text) + 1 + len(str(note.number)) + 1
            text += line
            offsets.append((a, len(text)))
    title = meta.title or ""
    chunks = chunk(body, outline, max_chars=max_chars, title=title)
    chunks += footnote_chunks(outline, rep.footnotes, offsets, title)
    chunks = cap_chunks(text, chunks, max_chars)
    return ParsedDoc(
        source=source,
        path=str(path),
        sha256=sha256,
        format=raw.format,
        encoding=rep.encoding,
        pages=raw.pages,
        meta=meta,
        text=text,
        outline=outline,
        chunks=chunks,
    )


def parse_file(
    path: Path,
    *,
    limits: Limits | None = None,
    max_bytes: int | None = None,
    max_pages: int | None = None,
    max_chars: int | None = None,
    sha256: str | None = None,
    source: str | None = None,
) -> ParsedDoc:
    """Read and parse one file under ``limits``; ``sha256`` when the caller already hashed it;
    ``source`` is the document's key (default: the file name)."""
    lim = limits or Limits()
    if max_bytes is not None:
        lim = replace(lim, max_file_mb=max_bytes / MIB)
    if max_pages is not None:
        lim = replace(lim, max_pdf_pages=max_pages)
    if max_chars is not None:
        lim = replace(lim, passage_chars=max_chars)
    sha = sha256 or sha256_of(path)
    raw = read_path(path, limits=lim)
    parsed = parse_raw(raw, source=source or path.name, path=path, sha256=sha, max_chars=lim.passage_chars)
    check_passages(path.name, len(parsed.chunks), lim)
    return parsed


def expand_sources(paths: list[Path]) -> list[tuple[Path, str]]:
    """(file, key) for the files named and the supported files inside named folders. The key is
    the path relative to the folder named (POSIX separators, NFC), or the bare name of a file named."""
    from ingest.readers import is_supported

    out: list[tuple[Path, str]] = []
    for p in paths:
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and is_supported(f) and not f.name.startswith("."))
            out.extend((f, unicodedata.normalize("NFC", f.relative_to(p).as_posix())) for f in files)
        else:
            out.append((p, unicodedata.normalize("NFC", p.name)))
    return out
