"""Ingest through the Knowledge facade: idempotence, replacement, bad files, interrupted runs."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from core.settings import Settings
from knowledge.service import Knowledge
from tests.conftest import CORPUS, ROOT, make_settings

HY2023 = "hung-yen_2023-05_thong-bao-ket-luan-hoi-nghi-chi-so-2022.txt"


def db_of(settings: Settings) -> sqlite3.Connection:
    return sqlite3.connect(settings.home / "cchc.sqlite3")


def counts(con: sqlite3.Connection) -> tuple[int, int, int]:
    return tuple(con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("documents", "sections", "passages"))


def assert_consistent(con: sqlite3.Connection) -> None:
    """Every passage belongs to an existing document and to a section of that document; no document
    is without passages; no passage is stored twice."""
    orphans = con.execute(
        "select count(*) from passages p left join documents d on d.id = p.document_id "
        "left join sections s on s.id = p.section_id where d.id is null or s.id is null or s.document_id != p.document_id"
    ).fetchone()[0]
    assert orphans == 0
    assert con.execute("select count(*) from sections s left join documents d on d.id = s.document_id where d.id is null").fetchone()[0] == 0
    empty = con.execute(
        "select d.source from documents d left join passages p on p.document_id = d.id group by d.id having count(p.id) = 0"
    ).fetchall()
    assert empty == []
    dups = con.execute(
        "select count(*) from (select document_id, start, \"end\", kind, count(*) c from passages group by 1, 2, 3, 4 having c > 1)"
    ).fetchone()[0]
    assert dups == 0
    assert con.execute("select count(*) - count(distinct source) from documents").fetchone()[0] == 0


def test_reingest_unchanged_corpus_skips_everything(knowledge: Knowledge, corpus_settings: Settings) -> None:
    con = db_of(corpus_settings)
    before = counts(con)
    ids_before = con.execute("select id from passages order by id").fetchall()
    report = knowledge.ingest([CORPUS])
    assert report.ingested == [] and report.failed == []
    assert sorted(report.skipped) == sorted(p.name for p in CORPUS.glob("*.txt"))
    assert counts(con) == before
    assert con.execute("select id from passages order by id").fetchall() == ids_before
    con.close()


def test_changed_file_replaces_its_passages(knowledge: Knowledge, corpus_settings: Settings, tmp_path: Path) -> None:
    src = tmp_path / "in" / "sub" / HY2023
    src.parent.mkdir(parents=True)
    shutil.copy(CORPUS / HY2023, src)
    key = f"sub/{HY2023}"  # keyed by its path under the folder ingested: no clash with the corpus copy
    report = knowledge.ingest([tmp_path / "in"])
    assert report.ingested == [key] and not report.failed
    con = db_of(corpus_settings)
    others_before = con.execute(
        "select p.id, p.text from passages p join documents d on d.id = p.document_id where d.source != ? order by p.id", (key,)
    ).fetchall()
    old = "Chỉ số PAR INDEX xếp thứ 12/63"
    new = "Chỉ số PAR INDEX xếp thứ 15/63"
    text = src.read_text(encoding="utf-8")
    assert old in text
    src.write_text(text.replace(old, new), encoding="utf-8")
    report = knowledge.ingest([tmp_path / "in"])
    assert report.ingested == [key] and not report.failed
    rows = con.execute(
        "select p.text from passages p join documents d on d.id = p.document_id where d.source = ?", (key,)
    ).fetchall()
    joined = "\n".join(r[0] for r in rows)
    assert new in joined and old not in joined
    assert con.execute("select count(*) from documents where source = ?", (key,)).fetchone()[0] == 1
    from ingest.pipeline import parse_file

    assert len(rows) == len(parse_file(src, max_bytes=10**8).chunks)  # no duplicates left behind
    others_after = con.execute(
        "select p.id, p.text from passages p join documents d on d.id = p.document_id where d.source != ? order by p.id", (key,)
    ).fetchall()
    assert others_after == others_before  # other documents untouched
    assert_consistent(con)
    con.close()
    # the index follows the store: the new number is found, the old one is gone
    hits = knowledge.search("PAR INDEX xếp thứ Hưng Yên năm 2022", k=20)
    texts = [h.passage.text for h in hits if h.passage.source == key]
    assert any(new in t for t in texts)
    assert not any(old in t for t in texts)


def test_batch_with_bad_files_reports_them_and_ingests_the_rest(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "lo"
    folder.mkdir()
    shutil.copy(CORPUS / HY2023, folder / "a-tot.txt")
    (folder / "b-hong.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    (folder / "c-rong.txt").write_bytes(b"")
    (folder / "d-la.docx").write_bytes(os.urandom(2048))
    kn = Knowledge(settings)
    try:
        report = kn.ingest([folder])
        assert report.ingested == ["a-tot.txt"]
        failed = {Path(f["path"]).name: f["error"] for f in report.failed}
        assert set(failed) == {"b-hong.pdf", "c-rong.txt", "d-la.docx"}
        for name, err in failed.items():
            assert name in err
        assert "rỗng" in failed["c-rong.txt"]
        assert kn.search("PAR INDEX", k=1)[0].passage.source == "a-tot.txt"
        con = db_of(settings)
        assert con.execute("select source from documents").fetchall() == [("a-tot.txt",)]
        assert_consistent(con)
        con.close()
    finally:
        kn.close()


def test_missing_path_fails_clearly(settings: Settings, tmp_path: Path) -> None:
    kn = Knowledge(settings)
    try:
        missing = tmp_path / "khong-ton-tai.txt"
        report = kn.ingest([missing])
        assert report.ingested == [] and report.skipped == []
        assert len(report.failed) == 1
        assert report.failed[0]["path"] == str(missing)
        assert "khong-ton-tai.txt" in report.failed[0]["error"]
        assert "không tìm thấy" in report.failed[0]["error"].lower()
    finally:
        kn.close()


def _generate_corpus(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True)
    sources = sorted(CORPUS.glob("*.txt"))
    out = []
    for i in range(n):
        base = sources[i % len(sources)].read_text(encoding="utf-8")
        text = base.replace("năm 2022", f"năm 2022 (bản sao {i})", 3)
        p = folder / f"van-ban-{i:03d}.txt"
        p.write_text(text + f"\nGhi chú bản sao số {i}.\n", encoding="utf-8")
        out.append(p)
    return out


def test_interrupted_ingest_then_resume_is_consistent(tmp_path: Path) -> None:
    folder = tmp_path / "kho"
    files = _generate_corpus(folder, 12)
    home = tmp_path / "home"
    settings = make_settings(home)
    env = dict(os.environ, CCHC_HOME=str(home), CCHC_CONFIG=str(home / "config.yaml"), CCHC_LOG_LEVEL="WARNING")
    cchc = ROOT / ".venv" / "bin" / "cchc"
    cmd = [str(cchc)] if cchc.exists() else [sys.executable, "-m", "cchc.cli"]
    proc = subprocess.Popen([*cmd, "ingest", str(folder), "--json"], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = home / "cchc.sqlite3"
    killed_at = -1
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if db.exists():
                try:
                    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
                    n = con.execute("select count(*) from documents").fetchone()[0]
                    con.close()
                except sqlite3.Error:
                    n = 0
                if n >= 2:
                    proc.send_signal(signal.SIGKILL)
                    killed_at = n
                    break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert killed_at >= 2, "the ingest finished before it could be interrupted"
    assert proc.returncode == -signal.SIGKILL
    con = db_of(settings)
    partial = counts(con)[0]
    assert 2 <= partial < len(files)
    assert_consistent(con)  # what was committed is whole
    con.close()

    kn = Knowledge(settings)
    try:
        report = kn.ingest([folder])
        assert not report.failed
        assert len(report.skipped) == partial
        assert len(report.ingested) == len(files) - partial
        # the last file (ingested only after the resume) is searchable
        assert kn.search("Ghi chú bản sao số 11", k=1)[0].passage.source == "van-ban-011.txt"
    finally:
        kn.close()

    clean_settings = make_settings(tmp_path / "clean")
    clean = Knowledge(clean_settings)
    try:
        assert len(clean.ingest([folder]).ingested) == len(files)
    finally:
        clean.close()
    con, con2 = db_of(settings), db_of(clean_settings)
    try:
        assert_consistent(con)
        assert counts(con) == counts(con2)
        q = "select d.source, p.section_path, p.start, p.\"end\", p.kind from passages p join documents d on d.id = p.document_id order by 1, 3, 5"
        assert con.execute(q).fetchall() == con2.execute(q).fetchall()
    finally:
        con.close()
        con2.close()
