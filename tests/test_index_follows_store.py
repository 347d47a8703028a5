"""Every answering process follows the store: the generation moves with any change (triggers, on
SQLite and PostgreSQL), a running ``Knowledge`` picks up documents ingested, replaced or removed by
another one without a restart, and a long-running ``cchc chat`` answers from a document that a
separate ``cchc ingest`` process added within 5 s, and stops within 5 s once a separate
``cchc documents remove`` removed it."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from core.settings import Settings
from knowledge.service import Knowledge
from knowledge.store import generation
from knowledge.store.db import Database
from knowledge.store.task_models import Task
from tests.conftest import CORPUS, make_settings

NEW_DOC = (
    "KẾ HOẠCH\nTổ chức Lễ hội hoa sen Thiên Ân năm 2026\n\n"
    "I. NỘI DUNG\n1. Thời gian, địa điểm\n"
    "Lễ hội hoa sen Thiên Ân năm 2026 do Sở Văn hóa, Thể thao và Du lịch chủ trì, khai mạc ngày 12 tháng 7 "
    "năm 2026 tại đầm Dạ Trạch, huyện Khoái Châu.\n"
)
QUESTION = "Lễ hội hoa sen Thiên Ân khai mạc ở đâu?"
MARKER = "Dạ Trạch"
PG_URL = os.environ.get("CCHC_TEST_DATABASE_URL")


def quick(settings: Settings) -> Settings:
    return settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update={"check_seconds": 0.0})})


# --------------------------------------------------------------------------- generation
def test_the_generation_moves_with_documents_and_facts(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'g.sqlite3'}")
    k = Knowledge(make_settings(tmp_path / "home"), db)
    g0 = generation.current(db)
    k.ingest([CORPUS / "hung-yen_2025-07_ke-hoach-cchc-6-thang-cuoi-2025.txt"])
    g1 = generation.current(db)
    assert g1 > g0
    with db.session() as s:  # a derived fact changes: the reminder planner must see it too
        s.execute(update(Task).values(title=Task.title + " "))
    assert generation.current(db) > g1


@pytest.mark.skipif(not PG_URL, reason="CCHC_TEST_DATABASE_URL not set")
def test_postgresql_triggers_move_the_generation(tmp_path: Path) -> None:
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"cchc_gen_{uuid.uuid4().hex[:8]}"
    admin = create_engine(str(PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = f"{PG_URL}{'&' if '?' in str(PG_URL) else '?'}options=-csearch_path%3D{schema}"
        db = Database(url)
        k = Knowledge(make_settings(tmp_path / "home"), db)
        g0 = generation.current(db)
        k.ingest([CORPUS / "hung-yen_2025-05_cong-van-nang-cao-chi-so-2025.txt"])
        assert generation.current(db) > g0
        db.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --------------------------------------------------------------------------- one process, two doors
@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[Knowledge, Knowledge, Path]]:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    writer = Knowledge(quick(make_settings(tmp_path / "w")), Database(url))
    writer.ingest([CORPUS / "hung-yen_2025-07_ke-hoach-cchc-6-thang-cuoi-2025.txt"])
    reader = Knowledge(quick(make_settings(tmp_path / "r")), Database(url))
    reader.search("cải cách hành chính")  # loaded before the changes below
    new = tmp_path / "le-hoi-sen.txt"
    new.write_text(NEW_DOC, encoding="utf-8")
    yield writer, reader, new
    writer.close()
    reader.close()


def sources(k: Knowledge, q: str) -> list[str]:
    return [h.passage.source for h in k.search(q, 5)]


def test_a_running_reader_finds_a_document_another_ingested_and_loses_a_removed_one(two: tuple[Knowledge, Knowledge, Path]) -> None:
    writer, reader, new = two
    before = reader.retriever
    assert "le-hoi-sen.txt" not in sources(reader, QUESTION)
    writer.ingest([new])
    assert sources(reader, QUESTION)[0] == "le-hoi-sen.txt"
    assert before.search(QUESTION, 5) == [] or before.search(QUESTION, 5)[0].passage.source != "le-hoi-sen.txt"
    fresh = Knowledge(quick(make_settings(new.parent / "fresh")), Database(writer.db.url))
    for q in (QUESTION, "cải cách hành chính", "chuyen doi so"):  # a caught-up reader ranks like a fresh process
        assert [(h.passage.id, round(h.score, 5)) for h in reader.search(q, 10)] == [
            (h.passage.id, round(h.score, 5)) for h in fresh.search(q, 10)]
    fresh.close()
    writer.remove_document("le-hoi-sen.txt")
    assert "le-hoi-sen.txt" not in sources(reader, QUESTION)
    assert "le-hoi-sen.txt" not in sources(reader, "le hoi hoa sen thien an")


def test_a_replaced_document_is_searched_in_its_new_version(two: tuple[Knowledge, Knowledge, Path]) -> None:
    writer, reader, new = two
    writer.ingest([new])
    assert sources(reader, QUESTION)[0] == "le-hoi-sen.txt"
    assert 2037 not in reader.retriever.years()
    new.write_text(NEW_DOC.replace("đầm Dạ Trạch", "Quảng trường Nguyễn Văn Linh").replace("2026", "2037"), encoding="utf-8")
    writer.ingest([new])
    assert 2037 in reader.retriever.years()  # filters see the new version too (passage ids may be reused)
    hits = reader.search("Quảng trường Nguyễn Văn Linh", 3)
    assert hits and hits[0].passage.source == "le-hoi-sen.txt"
    assert all("Dạ Trạch" not in h.passage.text for h in reader.search("đầm Dạ Trạch", 10))


def test_a_new_process_loads_the_saved_index_and_catches_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import knowledge.search.keeper as keeper

    monkeypatch.setattr(keeper, "EXACT_MAX_PASSAGES", 0)  # as in a large corpus: no merge after a catch-up
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    home = tmp_path / "home"
    first = Knowledge(quick(make_settings(home)), Database(url))
    first.ingest([CORPUS / "hung-yen_2025-07_ke-hoach-cchc-6-thang-cuoi-2025.txt"])
    first.search("cải cách hành chính")  # builds and saves the index
    assert (home / "index" / "lexical" / "meta.json").exists()
    served = first.retriever.index.segments[0].matrix.data
    assert not served.flags.writeable and not served.flags.owndata  # served from the saved files, mapped
    from knowledge.search import restore

    vocab = first.retriever.index.vocab
    assert restore._TABLES[id(vocab)].vocab is vocab  # the accent table is ready before any unaccented question
    new = tmp_path / "le-hoi-sen.txt"
    new.write_text(NEW_DOC, encoding="utf-8")
    first.ingest([new])
    second = Knowledge(quick(make_settings(home)), Database(url))
    assert sources(second, QUESTION)[0] == "le-hoi-sen.txt"
    assert len(second.retriever.index.segments) >= 2  # the saved index plus the new document, no rebuild
    rebuilt = second.refresh(force=True)
    assert len(rebuilt.index.segments) == 1 and sources(second, QUESTION)[0] == "le-hoi-sen.txt"


# --------------------------------------------------------------------------- two real processes
class Chat:
    """``cchc chat`` in a child process, questions on stdin, answers read from stdout."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from cchc.cli import main; main()", "chat"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd,
            text=True, encoding="utf-8", bufsize=1,
        )
        self.out: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self._until_prompt(60)

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        while ch := self.proc.stdout.read(1):
            self.out.put(ch)

    def _until_prompt(self, timeout: float) -> str:
        buf, end = "", time.monotonic() + timeout
        while not buf.endswith("Bạn> "):
            try:
                buf += self.out.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"chat did not answer in {timeout} s: {buf[-300:]!r}") from None
        return buf

    def ask(self, question: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(question + "\n")
        self.proc.stdin.flush()
        return self._until_prompt(30)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def cli(env: dict[str, str], cwd: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-c", "from cchc.cli import main; main()", *args],
                   env=env, cwd=cwd, check=True, capture_output=True, timeout=120)


def until(chat: Chat, pred: str, want: bool, budget: float = 5.0) -> float:
    """Seconds until the chat's answer to QUESTION does (or does not) contain ``pred``."""
    start = time.monotonic()
    answer = ""
    while time.monotonic() - start < budget:
        answer = chat.ask(QUESTION)
        if (pred in answer) == want:
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"after {budget} s the running chat still answers: {answer[-400:]!r}")


def test_a_running_chat_follows_a_cli_ingest_and_a_removal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text("{}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCHC_")}
    env |= {"CCHC_HOME": str(home), "CCHC_CONFIG": str(home / "config.yaml"), "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    cli(env, tmp_path, "ingest", str(CORPUS / "hung-yen_2025-07_ke-hoach-cchc-6-thang-cuoi-2025.txt"))
    chat = Chat(env, tmp_path)
    try:
        assert MARKER not in chat.ask(QUESTION)
        new = tmp_path / "le-hoi-sen.txt"
        new.write_text(NEW_DOC, encoding="utf-8")
        cli(env, tmp_path, "ingest", str(new))
        assert until(chat, MARKER, True) < 5.0
        cli(env, tmp_path, "documents", "remove", "le-hoi-sen.txt")
        assert until(chat, MARKER, False) < 5.0
    finally:
        chat.close()
