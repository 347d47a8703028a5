"""Fault injection: ``cchc ingest`` is killed with SIGKILL at several points (documents half stored;
all stored but the index and the derived facts not yet built), then run again. The tasks, index
results and searchable passages must equal those of a clean run, and ``cchc doctor`` must have seen
the missing facts in between."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CORPUS, ROOT

TASKS = "select code, title, due, status, source, section, quote from tasks where origin = 'document' order by code"
RESULTS = (
    "select index_name, year, province, scope, field, score, max_score, rank, rank_of, rank_change, derived, "
    "source, section, quote, conflict from index_results order by 1, 2, 3, 4, 5, 12, 14"
)
PASSAGES = "select d.source, p.start, p.\"end\", p.kind, p.section_path from passages p join documents d on d.id = p.document_id order by 1, 2, 4"


def make_corpus(folder: Path) -> int:
    """The sample corpus (with its sidecars) three times, in sub-folders: 15 documents, equal names."""
    for sub in ("a", "b", "c"):
        shutil.copytree(CORPUS, folder / sub)
    return sum(1 for _ in folder.rglob("*.txt"))


class Home:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True)
        (folder / "config.yaml").write_text("{}\n", encoding="utf-8")
        self.db = folder / "home" / "cchc.sqlite3"
        self.env = dict(os.environ, CCHC_HOME=str(folder / "home"), CCHC_CONFIG=str(folder / "config.yaml"),
                        CCHC_LOG_LEVEL="WARNING", OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(ROOT))
        self.cwd = folder

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-c", "from cchc.cli import main; main()", *args]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*args), env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=300)

    def query(self, sql: str) -> list[tuple[object, ...]]:
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def state(self) -> dict[str, int]:
        if not self.db.exists():
            return {"docs": 0, "stale": 0}
        try:
            docs, stale = self.query("select count(*), sum(facts_version is null) from documents")[0]
        except sqlite3.Error:
            return {"docs": 0, "stale": 0}
        return {"docs": int(docs or 0), "stale": int(stale or 0)}

    def kill_when(self, corpus: Path, ready: Callable[[dict[str, int]], bool]) -> dict[str, int] | None:
        """Start an ingest and SIGKILL it as soon as ``ready(state)``; the state at the kill, or None
        when the ingest finished first."""
        proc = subprocess.Popen(self.argv("ingest", str(corpus)), env=self.env, cwd=self.cwd,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 240
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                st = self.state()
                if ready(st):
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(30)
                    return self.state()
                time.sleep(0.01)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(30)
        return None


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    folder = tmp_path_factory.mktemp("kho")
    return folder, make_corpus(folder)


@pytest.fixture(scope="module")
def clean(corpus: tuple[Path, int], tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[object, ...]]]:
    home = Home(tmp_path_factory.mktemp("clean") / "h")
    run = home.run("ingest", str(corpus[0]), "--json")
    assert run.returncode == 0, run.stderr
    assert len(json.loads(run.stdout)["ingested"]) == corpus[1]
    out = {"tasks": home.query(TASKS), "results": home.query(RESULTS), "passages": home.query(PASSAGES)}
    assert out["tasks"] and out["results"]  # the corpus does yield both kinds of facts
    return out


POINTS: dict[str, Callable[[int], Callable[[dict[str, int]], bool]]] = {
    "first_document_stored": lambda n: lambda st: st["docs"] >= 1,
    "half_stored": lambda n: lambda st: st["docs"] >= n // 2,
    "all_stored_facts_pending": lambda n: lambda st: st["docs"] == n and st["stale"] > 0,
}


@pytest.mark.slow
@pytest.mark.parametrize("point", list(POINTS))
def test_killed_ingest_then_rerun_equals_clean_run(
    point: str, corpus: tuple[Path, int], clean: dict[str, list[tuple[object, ...]]], tmp_path: Path
) -> None:
    folder, n = corpus
    home = Home(tmp_path / "h")
    at_kill = home.kill_when(folder, POINTS[point](n))
    assert at_kill is not None, f"the ingest finished before reaching {point}"
    assert at_kill["docs"] >= 1
    if at_kill["stale"]:
        doctor = home.run("doctor", "--json")
        facts = [c for c in json.loads(doctor.stdout)["checks"] if c["name"] == "facts"] if doctor.stdout else []
        assert facts and facts[0]["ok"] is False and "thiếu dữ kiện" in facts[0]["verdict"], doctor.stdout + doctor.stderr
    rerun = home.run("ingest", str(folder), "--json")
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert len(report["ingested"]) + len(report["skipped"]) == n
    assert home.state() == {"docs": n, "stale": 0}
    assert home.query(TASKS) == clean["tasks"]
    assert home.query(RESULTS) == clean["results"]
    assert home.query(PASSAGES) == clean["passages"]
    search = home.run("search", "Chỉ số PAR INDEX", "--json")
    assert search.returncode == 0 and json.loads(search.stdout)["results"]
