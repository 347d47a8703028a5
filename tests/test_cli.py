"""The installed ``cchc`` command: JSON shapes of the contract, stdout holds only JSON, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, ROOT

CCHC = ROOT / ".venv" / "bin" / "cchc"
BASE = [str(CCHC)] if CCHC.exists() else [sys.executable, "-m", "cchc.cli"]


def run(home: Path, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("CCHC_")}
    e.update(CCHC_HOME=str(home), CCHC_LOG_LEVEL="INFO")
    if env:
        e.update(env)
    return subprocess.run([*BASE, *args], capture_output=True, text=True, env=e, cwd=cwd or home.parent, timeout=timeout)


def one_json(proc: subprocess.CompletedProcess[str]) -> Any:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # the whole of stdout is one JSON document


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, _corpus_home: Path) -> Path:
    """A home with the sample corpus ingested (copied from the session's)."""
    h = tmp_path_factory.mktemp("cli") / "home"
    shutil.copytree(_corpus_home, h)
    return h


def test_ingest_json(tmp_path: Path) -> None:
    home = tmp_path / "home"
    one = tmp_path / "in"
    one.mkdir()
    shutil.copy(CORPUS / "hung-yen_2025_ket-luan-btv-tinh-uy-de-an-chi-so-2026-2030.txt", one)
    (one / "rong.txt").write_bytes(b"")
    proc = run(home, "ingest", str(one), "--json")
    assert proc.returncode == 1, proc.stderr  # not everything asked for was ingested
    out = json.loads(proc.stdout)  # still exactly one JSON document, with the failure in it
    assert set(out) >= {"ingested", "skipped", "failed"}
    assert out["ingested"] == ["hung-yen_2025_ket-luan-btv-tinh-uy-de-an-chi-so-2026-2030.txt"]
    assert out["skipped"] == []
    assert [Path(f["path"]).name for f in out["failed"]] == ["rong.txt"]
    assert set(out["failed"][0]) == {"path", "error"}
    assert "rong.txt" in proc.stderr  # the log of the failure went to stderr, not stdout
    again = one_json(run(home, "ingest", str(one / "hung-yen_2025_ket-luan-btv-tinh-uy-de-an-chi-so-2026-2030.txt"), "--json"))
    assert again["skipped"] == ["hung-yen_2025_ket-luan-btv-tinh-uy-de-an-chi-so-2026-2030.txt"] and again["ingested"] == []


def test_ask_json(home: Path) -> None:
    out = one_json(run(home, "ask", "Mức độ hài lòng của người dân về giải quyết TTHC phải đạt tối thiểu bao nhiêu?", "--json"))
    assert set(out) >= {"question", "answer", "refused", "citations", "took_ms"}
    assert out["refused"] is False
    assert "90%" in out["answer"]
    assert isinstance(out["took_ms"], (int, float))
    assert out["citations"]
    for c in out["citations"]:
        assert set(c) >= {"source", "document", "section", "quote"}
        assert all(isinstance(c[k], str) and c[k] for k in ("source", "document", "section", "quote"))


def test_ask_refusal_json(home: Path) -> None:
    out = one_json(run(home, "ask", "Giá vàng hôm nay bao nhiêu?", "--json"))
    assert out["refused"] is True and out["citations"] == []


def test_ask_file_json_lines_in_order(home: Path, tmp_path: Path) -> None:
    qs = [
        "Chỉ số SIPAS năm 2024 của Hưng Yên đứng thứ mấy?",
        "Lãi suất tiết kiệm ngân hàng tháng này là bao nhiêu?",
        "   ",
        "dich vu cong truc tuyen toan trinh cho bao nhieu nhom tthc",
    ]
    f = tmp_path / "cau-hoi.txt"
    f.write_text("\n".join(qs) + "\n", encoding="utf-8")
    proc = run(home, "ask", "--file", str(f), "--json")
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stdout.split("\n") if ln.strip()]
    assert len(lines) == len(qs)
    rows = [json.loads(ln) for ln in lines]
    assert [r["question"].strip() for r in rows] == [q.strip() for q in qs]
    assert rows[0]["refused"] is False and "8/63" in rows[0]["answer"]
    assert rows[1]["refused"] is True
    assert rows[2]["refused"] is True and rows[2]["citations"] == []
    assert rows[3]["refused"] is False and "82" in rows[3]["answer"]
    for r in rows:
        assert set(r) >= {"question", "answer", "refused", "citations", "took_ms"}


def test_search_json(home: Path) -> None:
    out = one_json(run(home, "search", "giải ngân vốn đầu tư công", "--k", "3", "--json"))
    assert out["query"] == "giải ngân vốn đầu tư công"
    assert len(out["results"]) == 3
    assert [r["rank"] for r in out["results"]] == [1, 2, 3]
    for r in out["results"]:
        assert set(r) >= {"rank", "score", "source", "document", "section", "text"}
    scores = [r["score"] for r in out["results"]]
    assert scores == sorted(scores, reverse=True)


def test_eval_retrieval_json(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    questions = tmp_path / "questions.jsonl"
    docs = [
        {"id": "d1", "title": "Luật Cán bộ, công chức", "text": "Công chức là công dân Việt Nam được tuyển dụng, bổ nhiệm vào ngạch."},
        {"id": "d2", "title": "Luật Đất đai", "text": "Nhà nước giao đất, cho thuê đất, công nhận quyền sử dụng đất."},
        {"id": "d3", "title": "Luật Giao thông", "text": "Người điều khiển xe mô tô phải đội mũ bảo hiểm."},
    ]
    qs = [
        {"qid": "q1", "question": "Công chức được tuyển dụng vào ngạch nào?", "relevant_ids": ["d1"]},
        {"qid": "q2", "question": "nha nuoc cho thue dat", "relevant_ids": ["d2"]},
        {"qid": "q3", "question": "đội mũ bảo hiểm khi đi xe mô tô", "relevant_ids": ["d3"]},
    ]
    corpus.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs) + "\n", encoding="utf-8")
    questions.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in qs) + "\n", encoding="utf-8")
    out = one_json(run(tmp_path / "home", "eval", "retrieval", "--corpus", str(corpus), "--questions", str(questions), "--json"))
    assert set(out) >= {"n", "recall@1", "recall@5", "recall@10", "mrr@10", "p50_ms", "p95_ms", "index_s"}
    assert out["n"] == 3
    assert out["recall@1"] == 1.0 and out["mrr@10"] == 1.0 and out["recall@10"] == 1.0
    assert out["p50_ms"] >= 0 and out["p95_ms"] >= out["p50_ms"] and out["index_s"] >= 0


def test_doctor_json_says_lexical_only(home: Path) -> None:
    out = one_json(run(home, "doctor", "--json"))
    checks = {c["name"]: c for c in out["checks"]}
    assert out["ok"] is True
    assert checks["embedding"]["ok"] is True
    assert "chỉ truy hồi từ vựng" in checks["embedding"]["verdict"]
    assert checks["database"]["ok"] is True and "5 tài liệu" in checks["database"]["verdict"]


def test_ask_before_ingest_is_a_user_error(tmp_path: Path) -> None:
    proc = run(tmp_path / "home", "ask", "Sở Nội vụ phải làm gì?", "--json")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "Chưa có tài liệu nào được nạp" in proc.stderr


def test_invalid_config_is_a_user_error(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("retrieval:\n  k: 0\n", encoding="utf-8")
    proc = run(tmp_path / "home", "search", "cải cách", "--json", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "Cấu hình không hợp lệ" in proc.stderr and "retrieval.k" in proc.stderr


def test_secret_in_config_is_a_user_error(tmp_path: Path) -> None:
    cfg = tmp_path / "khac.yaml"
    cfg.write_text("telegram:\n  token: '123:bi-mat'\n", encoding="utf-8")
    proc = run(tmp_path / "home", "--config", str(cfg), "search", "cải cách", "--json")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "CCHC_TELEGRAM__TOKEN" in proc.stderr
    assert "123:bi-mat" not in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("ask",),
        ("ask", "câu hỏi", "--file", "x.txt"),
        ("search", "x", "--k", "0"),
        ("khong-co-lenh",),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "x.txt").write_text("câu hỏi\n", encoding="utf-8")
    proc = run(tmp_path / "home", *args, cwd=tmp_path)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
