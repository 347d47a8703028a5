"""The abuse suite: every hostile input is generated here (small files that expand), fed to the real
command line in a child process under a 1 GB address-space limit and a CPU-time limit, and must end
with a clear Vietnamese message, exit status 1, modest memory, and a store that is unchanged and
still answers."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import abuse_inputs as A

ROOT = Path(__file__).resolve().parents[1]
GOOD = ROOT / "data" / "corpus" / "hung-yen_2025-07_ke-hoach-cchc-6-thang-cuoi-2025.txt"
MEM_MB = 1024
CPU_S = 60


class Home:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "config.yaml").write_text("{}\n", encoding="utf-8")
        self.env = {
            **os.environ,
            "CCHC_HOME": str(folder / "home"),
            "CCHC_CONFIG": str(folder / "config.yaml"),
            "OPENBLAS_NUM_THREADS": "1",
            "PYTHONPATH": str(ROOT),
        }

    def cchc(self, *args: str) -> A.Run:
        argv = [sys.executable, "-c", "from cchc.cli import main; main()", *args]
        return A.run_limited(argv, env=self.env, cwd=self.folder, mem_mb=MEM_MB, timeout_s=CPU_S)

    def counts(self) -> dict[str, int]:
        con = sqlite3.connect(self.folder / "home" / "cchc.sqlite3")
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            orphans = con.execute(
                "SELECT count(*) FROM passages WHERE document_id NOT IN (SELECT id FROM documents)"
            ).fetchone()[0]
            assert orphans == 0
            return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("documents", "passages", "tasks")}
        finally:
            con.close()

    def still_answers(self) -> None:
        run = self.cchc("search", "cải cách hành chính", "--json")
        assert run.code == 0, run.stderr
        hits = json.loads(run.stdout)["results"]
        assert hits and hits[0]["source"] == GOOD.name


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    h = Home(tmp_path_factory.mktemp("abuse"))
    run = h.cchc("ingest", str(GOOD))
    assert run.code == 0, run.stderr
    return h


CASES: list[tuple[str, Callable[[Path], Path], str, str]] = [
    ("ingest", A.docx_huge_text, r"hơn 5\.000\.000 ký tự", "max_document_chars"),
    ("ingest", A.docx_lying_sizes, r"tệp bị hỏng", ""),
    ("ingest", lambda d: A.docx_lying_sizes(d, declared=2**40), r"giải nén vượt 100 MB", "max_unzipped_mb"),
    ("ingest", A.txt_single_line, r"hơn 5\.000\.000 ký tự", "max_document_chars"),
    ("tasks", A.xlsx_wide_row, r"hơn 5\.000\.000 ô \(tính cả ô trống\)", "max_sheet_cells"),
    ("tasks", A.xlsx_blank_rows, r"hơn 200\.000 dòng \(tính cả dòng trống\)", "max_sheet_rows"),
    ("tasks", A.xlsx_billion_laughs, r"DTD/ENTITY", ""),
    ("tasks", A.csv_long_field, r"ô quá dài", ""),
]


@pytest.mark.parametrize(("command", "make", "message", "setting"), CASES, ids=[c[1].__name__ if c[1].__name__ != "<lambda>" else "docx_lying_big" for c in CASES])
def test_hostile_file_is_refused_clearly(
    home: Home, tmp_path: Path, command: str, make: Callable[[Path], Path], message: str, setting: str
) -> None:
    before = home.counts()
    path = make(tmp_path)
    assert path.stat().st_size < 25 * 2**20  # small on disk
    args = ["ingest", str(path)] if command == "ingest" else ["tasks", "import", str(path)]
    run = home.cchc(*args)
    assert run.code == 1, (run.code, run.stderr[-2000:])
    assert path.name in run.stderr
    import re

    assert re.search(message, run.stderr), run.stderr[-2000:]
    if setting:
        assert f"ingest.{setting}" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.peak_mb < 600, run.peak_mb
    assert home.counts() == before
    home.still_answers()


def test_long_line_is_split_into_capped_passages(home: Home, tmp_path: Path) -> None:
    path = A.txt_single_line(tmp_path, mb=1)
    run = home.cchc("ingest", str(path), "--json")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["ingested"] == [path.name]
    con = sqlite3.connect(home.folder / "home" / "cchc.sqlite3")
    try:
        longest, n = con.execute(
            "SELECT max(length(p.text)), count(*) FROM passages p JOIN documents d ON d.id = p.document_id WHERE d.source = ?",
            (path.name,),
        ).fetchone()
    finally:
        con.close()
    assert longest <= 900
    assert n >= len(path.read_text(encoding="utf-8")) // 900


def test_utf16_csv_imports(home: Home, tmp_path: Path) -> None:
    before = home.counts()["tasks"]
    run = home.cchc("tasks", "import", str(A.csv_utf16(tmp_path)), "--json")
    assert run.code == 0, run.stderr
    assert "\x00" not in run.stdout + run.stderr
    assert home.counts()["tasks"] == before + 2
