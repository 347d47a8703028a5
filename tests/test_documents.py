"""Documents keyed without collisions, listed and removed; the smaller ingest promises of the CLI
(exit status, each error once, sizes in the configured unit, the log path, a port in use)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import CchcError, FileTooLargeError
from core.settings import Settings
from ingest.limits import Limits
from ingest.readers import read_path
from knowledge.service import Knowledge
from tests.conftest import CORPUS, ROOT, make_settings

HY2023 = "hung-yen_2023-05_thong-bao-ket-luan-hoi-nghi-chi-so-2022.txt"
PLAN = "Sở Nội vụ chủ trì rà soát thủ tục hành chính và báo cáo kết quả trước ngày 30/6/2026."


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CCHC_HOME=str(home), CCHC_CONFIG=str(home / "config.yaml"), PYTHONPATH=str(ROOT))
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text("{}\n", encoding="utf-8")
    return subprocess.run([sys.executable, "-c", "from cchc.cli import main; main()", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def two_plans(root: Path) -> tuple[Path, Path]:
    a, b = root / "so-noi-vu" / "ke-hoach.txt", root / "so-tu-phap" / "ke-hoach.txt"
    for p, who in ((a, "Sở Nội vụ"), (b, "Sở Tư pháp")):
        p.parent.mkdir(parents=True)
        p.write_text(f"KẾ HOẠCH\nCải cách hành chính năm 2026 của {who}.\n1. {PLAN.replace('Sở Nội vụ', who)}\n", encoding="utf-8")
    return a, b


def test_equal_names_in_subfolders_are_two_documents(settings: Settings, tmp_path: Path) -> None:
    two_plans(tmp_path / "kho")
    kn = Knowledge(settings)
    try:
        first = kn.ingest([tmp_path / "kho"])
        assert sorted(first.ingested) == ["so-noi-vu/ke-hoach.txt", "so-tu-phap/ke-hoach.txt"]
        again = kn.ingest([tmp_path / "kho"])
        assert again.ingested == [] and sorted(again.skipped) == sorted(first.ingested)
        hit = kn.search("Sở Tư pháp rà soát thủ tục", k=1)[0]
        assert hit.passage.source == "so-tu-phap/ke-hoach.txt"
    finally:
        kn.close()


def test_real_conflict_is_refused_clearly_and_replaces_nothing(settings: Settings, tmp_path: Path) -> None:
    a, b = two_plans(tmp_path / "kho")
    kn = Knowledge(settings)
    try:
        assert kn.ingest([a]).ingested == ["ke-hoach.txt"]
        report = kn.ingest([b])
        assert report.ingested == [] and len(report.failed) == 1
        msg = report.failed[0]["error"]
        assert "ke-hoach.txt" in msg and str(a.resolve()) in msg and "cchc documents remove" in msg
        assert kn.search("rà soát thủ tục hành chính", k=1)[0].passage.text.count("Sở Nội vụ") >= 1
        assert len(kn.documents()) == 1
        # the same file again, or moved after its old copy is gone, is no conflict
        assert kn.ingest([a]).skipped == ["ke-hoach.txt"]
        a.unlink()
        assert kn.ingest([b]).ingested == ["ke-hoach.txt"]
    finally:
        kn.close()


def test_documents_list_and_remove_through_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "ingest", str(CORPUS)).returncode == 0
    listed = json.loads(cli(home, "documents", "list", "--json").stdout)["documents"]
    assert len(listed) == len(list(CORPUS.glob("*.txt")))
    assert set(listed[0]) >= {"id", "source", "title", "type", "number", "date", "province", "passages"}
    target = next(d for d in listed if d["source"] == HY2023)
    assert target["passages"] > 0
    import sqlite3

    con = sqlite3.connect(home / "cchc.sqlite3")
    results_before = con.execute("select count(*) from index_results where document_id = ?", (target["id"],)).fetchone()[0]
    con.close()
    assert results_before > 0  # the document carries facts that must go with it

    run = cli(home, "documents", "remove", HY2023, "--json")
    assert run.returncode == 0, run.stderr
    removed = json.loads(run.stdout)["removed"]
    assert removed["id"] == target["id"] and removed["passages"] == target["passages"]
    con = sqlite3.connect(home / "cchc.sqlite3")
    try:
        for table in ("passages", "sections", "index_results"):
            assert con.execute(f"select count(*) from {table} where document_id = ?", (target["id"],)).fetchone()[0] == 0
        assert con.execute("select count(*) from tasks where origin = 'document' and document_id is null").fetchone()[0] == 0
    finally:
        con.close()
    hits = json.loads(cli(home, "search", "PAR INDEX 2022 xếp thứ 12/63", "--k", "20", "--json").stdout)["results"]
    assert all(h["source"] != HY2023 for h in hits)
    left = json.loads(cli(home, "documents", "list", "--json").stdout)["documents"]
    assert len(left) == len(listed) - 1
    # by id, and an unknown one
    assert cli(home, "documents", "remove", str(left[0]["id"])).returncode == 0
    missing = cli(home, "documents", "remove", "khong-co.txt")
    assert missing.returncode == 1 and "Không có văn bản nào" in missing.stderr


def test_rebuild_restores_every_fact(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "ingest", str(CORPUS)).returncode == 0
    import sqlite3

    con = sqlite3.connect(home / "cchc.sqlite3")
    con.execute("PRAGMA foreign_keys=ON")  # as the store runs: a task's agencies and history go with it
    tasks = con.execute("select count(*) from tasks").fetchone()[0]
    results = con.execute("select count(*) from index_results").fetchone()[0]
    con.execute("delete from tasks")
    con.execute("delete from index_results")
    con.execute("update documents set facts_version = null")
    con.commit()
    doctor = json.loads(cli(home, "doctor", "--json").stdout)
    facts = next(c for c in doctor["checks"] if c["name"] == "facts")
    assert facts["ok"] is False and "cchc documents rebuild" in facts["verdict"]
    run = cli(home, "documents", "rebuild", "--json")
    assert run.returncode == 0, run.stderr
    assert con.execute("select count(*) from tasks").fetchone()[0] == tasks
    assert con.execute("select count(*) from index_results").fetchone()[0] == results
    con.close()
    doctor = json.loads(cli(home, "doctor", "--json").stdout)
    assert next(c for c in doctor["checks"] if c["name"] == "facts")["ok"] is True


def test_ingest_with_a_failure_exits_1_and_says_it_once(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CORPUS / HY2023, folder / HY2023)
    (folder / "rong.txt").write_bytes(b"   \n")
    run = cli(tmp_path / "home", "ingest", str(folder))
    assert run.returncode == 1
    assert "Đã nạp: 1" in run.stdout
    assert run.stderr.count("rong.txt: tệp rỗng") == 1, run.stderr


def test_sizes_are_shown_in_the_configured_unit(tmp_path: Path) -> None:
    big = tmp_path / "lon.txt"
    big.write_bytes(b"a " * (int(1.5 * 2**20) // 2))
    with pytest.raises(FileTooLargeError) as info:
        read_path(big, limits=Limits(max_file_mb=1))
    assert "tệp 1,5 MB vượt giới hạn 1 MB" in str(info.value)
    s = make_settings(tmp_path / "h", ingest={"max_file_mb": 25})
    assert Limits.from_settings(s.ingest).max_bytes == 25 * 2**20


def test_unexpected_error_points_to_this_homes_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cchc.cli import unexpected_message

    monkeypatch.setenv("CCHC_HOME", str(tmp_path / "noi-khac"))
    monkeypatch.setenv("CCHC_CONFIG", str(tmp_path / "khong-co.yaml"))
    assert str(tmp_path / "noi-khac" / "logs" / "cchc.log") in unexpected_message(RuntimeError("x"))


def test_port_in_use_is_named() -> None:
    from cchc.cli import unexpected_message

    with socket.socket() as first, socket.socket() as second:
        first.bind(("127.0.0.1", 0))
        first.listen()
        try:
            second.bind(first.getsockname())
        except OSError as exc:
            assert exc.errno == errno.EADDRINUSE
            wrapped = RuntimeError("server failed")
            wrapped.__cause__ = exc
            assert "cổng mạng đã có chương trình khác dùng" in unexpected_message(wrapped)
        else:
            pytest.fail("binding a used port succeeded")


def test_unknown_document_is_a_cchc_error(settings: Settings) -> None:
    kn = Knowledge(settings)
    try:
        with pytest.raises(CchcError, match="Không có văn bản nào"):
            kn.remove_document("42")
    finally:
        kn.close()
