"""Ingest speed on text PDFs: generates a multi-page Vietnamese PDF (reportlab, DejaVu Sans for
the glyphs; tests/pdfs.py) from the sample corpus and times the full parse (read, repair,
structure, metadata, chunking), then a full ``Knowledge.ingest`` into SQLite.

    .venv/bin/python benchmarks/ingest_pdf.py [--pages 200]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_pdf(path: Path, pages: int) -> None:
    from tests.pdfs import make_pdf as write_pdf

    lines: list[str] = []
    for f in sorted((ROOT / "data" / "corpus").glob("*.txt")):
        lines += [ln.rstrip()[:95] for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]
    per_page = 42
    bodies = []
    for p in range(pages):
        chunk = [lines[(p * per_page + j) % len(lines)] for j in range(per_page)]
        bodies.append("\n".join([*chunk, "", str(p + 1)]))
    path.write_bytes(write_pdf(bodies))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=200)
    args = ap.parse_args()
    from core.settings import load_settings
    from ingest.pipeline import parse_file
    from knowledge.service import Knowledge

    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "bao-cao-mau.pdf"
        make_pdf(pdf, args.pages)
        t0 = time.perf_counter()
        parsed = parse_file(pdf, max_bytes=500 * 1024 * 1024, max_pages=10_000)
        parse_s = time.perf_counter() - t0
        cfg = Path(tmp) / "config.yaml"
        cfg.write_text("{}\n", encoding="utf-8")
        kn = Knowledge(load_settings(cfg, home=Path(tmp) / "home"))
        t1 = time.perf_counter()
        report = kn.ingest([pdf])
        ingest_s = time.perf_counter() - t1
        assert report.ingested, report.failed
        print(json.dumps({
            "pages": parsed.pages, "passages": len(parsed.chunks), "parse_s": round(parse_s, 2),
            "parse_pages_per_s": round(args.pages / parse_s, 1), "ingest_s": round(ingest_s, 2),
            "ingest_pages_per_s": round(args.pages / ingest_s, 1),
        }))
        kn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
