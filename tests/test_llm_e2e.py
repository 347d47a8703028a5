"""Generated answers end to end: the sample corpus, ``Knowledge.ask`` and ``cchc ask --json`` / ``cchc
doctor --json`` against the fake OpenAI-compatible server (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from tests.conftest import ROOT, make_settings
from tests.fakes.fake_openai import FakeOpenAI, Reply, sentences_json
from tests.test_cli import one_json, run

PASSAGE_Q = "Mô hình chính quyền địa phương hai cấp chính thức đi vào hoạt động từ ngày nào?"
INDEX_Q = "Năm 2022 Chỉ số PAR INDEX của Hưng Yên xếp thứ mấy?"


def copying_model(pattern: str, change: Callable[[str], str] = lambda s: s) -> Callable[[dict[str, Any]], Reply]:
    """A model that answers with the passage sentence matching ``pattern`` (then ``change``s it)."""

    def respond(request: dict[str, Any]) -> Reply:
        user = request["messages"][-1]["content"]
        for num, body in re.findall(r'<doan so="(\d+)">\n(.*?)\n</doan>', user, re.S):
            for sentence in re.split(r"(?<=[.;:])\s+", body.replace("\n", " ")):
                if re.search(pattern, sentence):
                    text = "Theo kế hoạch, " + sentence[0].lower() + sentence[1:].rstrip(".;:") + "."
                    return Reply(content=sentences_json((change(text), [int(num)])))
        return Reply(content=sentences_json(("Không có thông tin.", [])))

    return respond


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


def llm_settings(corpus_settings: Settings, fake: FakeOpenAI, timeout_s: float = 30.0) -> Settings:
    return make_settings(
        corpus_settings.home,
        llm={"enabled": True, "base_url": fake.base_url, "model": fake.model, "api_key": fake.api_key, "timeout_s": timeout_s},
    )


def test_passage_answer_is_generated_verified_and_cited(corpus_settings: Settings, fake: FakeOpenAI) -> None:
    from knowledge.service import Knowledge

    fake.responder = copying_model(r"01/7/2025")
    kn = Knowledge(llm_settings(corpus_settings, fake))
    try:
        answer = kn.ask(PASSAGE_Q)
    finally:
        kn.close()
    assert answer.mode == "generated" and answer.verified
    assert answer.text.startswith("Theo kế hoạch,") and "01/7/2025" in answer.text
    n = int(re.search(r"\[(\d+)\]", answer.text).group(1))  # type: ignore[union-attr]
    cited = answer.citations[n - 1]
    assert cited.passage_id is not None and cited.quote  # the same citation object as the extractive answer
    assert answer.as_dict()["mode"] == "generated" and answer.as_dict()["verified"] is True


def test_a_wrong_generated_answer_gives_the_extractive_one(corpus_settings: Settings, fake: FakeOpenAI) -> None:
    from knowledge.service import Knowledge

    plain = Knowledge(corpus_settings)
    try:
        extractive = plain.ask(PASSAGE_Q)
    finally:
        plain.close()
    fake.responder = copying_model(r"01/7/2025", lambda s: s.replace("01/7/2025", "01/8/2025"))
    kn = Knowledge(llm_settings(corpus_settings, fake))
    try:
        answer = kn.ask(PASSAGE_Q)
    finally:
        kn.close()
    assert len(fake.requests) == 1
    assert answer.mode == "extractive" and not answer.verified and "verified" not in answer.as_dict()
    assert answer.text == extractive.text and answer.citations == extractive.citations


def test_structured_answers_are_not_rewritten(corpus_settings: Settings, fake: FakeOpenAI) -> None:
    from knowledge.service import Knowledge

    fake.responder = copying_model(r"12/63")
    kn = Knowledge(llm_settings(corpus_settings, fake))
    try:
        answer = kn.ask(INDEX_Q)
    finally:
        kn.close()
    assert answer.answered_by == "index_results"
    assert answer.mode == "extractive" and fake.requests == []


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory: pytest.TempPathFactory, _corpus_home: Path) -> Path:
    import shutil

    h = tmp_path_factory.mktemp("llm-cli") / "home"
    shutil.copytree(_corpus_home, h)
    return h


def test_cli_ask_json_mode_and_doctor(cli_home: Path, fake: FakeOpenAI) -> None:
    env = {"CCHC_LLM__ENABLED": "true", "CCHC_LLM__BASE_URL": fake.base_url, "CCHC_LLM__MODEL": fake.model,
           "CCHC_LLM__API_KEY": fake.api_key, "CCHC_LLM__TIMEOUT_S": "30"}
    off = one_json(run(cli_home, "ask", PASSAGE_Q, "--json"))
    assert off["mode"] == "extractive" and "verified" not in off
    fake.responder = copying_model(r"01/7/2025")
    on = one_json(run(cli_home, "ask", PASSAGE_Q, "--json", env=env))
    assert on["mode"] == "generated" and on["verified"] is True
    assert on["citations"] and re.search(r"\[\d\]", on["answer"])
    fake.responder = None
    fake.script(Reply(status=500))
    failed = one_json(run(cli_home, "ask", PASSAGE_Q, "--json", env=env))
    assert failed["mode"] == "extractive" and "verified" not in failed and failed["answer"] == off["answer"]
    doctor = one_json(run(cli_home, "doctor", "--json", env=env))
    checks = doctor["checks"] if isinstance(doctor, dict) else doctor
    llm = next(c for c in checks if c["name"] == "llm")
    assert llm["ok"] and "1/2" in llm["verdict"] and "50%" in llm["verdict"] and "http_error: 1" in llm["verdict"]


def test_base_install_does_not_import_the_model_client(cli_home: Path) -> None:
    code = (
        "import sys; from knowledge.service import Knowledge; from core.settings import load_settings; "
        f"kn = Knowledge(load_settings({str(cli_home / 'config.yaml')!r}, home={str(cli_home)!r})); "
        "kn.ask('Mô hình chính quyền hai cấp hoạt động từ ngày nào?'); "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('langchain_openai', 'openai')))))"
    )
    (cli_home / "config.yaml").write_text("{}\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def _two_passage_model(request: dict[str, Any]) -> Reply:
    """Combines the passage that answers with a sentence of another, retrieved passage."""
    user = request["messages"][-1]["content"]
    blocks = re.findall(r'<doan so="(\d+)">\n(.*?)\n</doan>', user, re.S)
    picked: list[tuple[str, list[int]]] = []
    for num, body in blocks:
        body = body.split("\n", 2)[-1].replace("\n", " ")
        for sentence in re.split(r"(?<=[.;:])\s+", body):
            want = r"01/7/2025" if not picked else r"\d"
            if re.search(want, sentence) and 30 < len(sentence) < 800 and (not picked or int(num) != picked[0][1][0]):
                picked.append((sentence.rstrip(".;:") + ".", [int(num)]))
                break
        if len(picked) == 2:
            break
    return Reply(content=sentences_json(*picked))


def test_generated_answer_can_combine_a_retrieved_passage(corpus_settings: Settings, fake: FakeOpenAI) -> None:
    from knowledge.service import Knowledge

    fake.responder = _two_passage_model
    kn = Knowledge(llm_settings(corpus_settings, fake))
    try:
        answer = kn.ask(PASSAGE_Q)
        records = {p.id: p for p in kn.retriever.passages}
    finally:
        kn.close()
    user = fake.requests[0]["messages"][-1]["content"]
    assert len(re.findall(r'<doan so="\d+">', user)) == 4  # llm.max_passages
    assert answer.mode == "generated" and answer.verified, answer.text
    assert re.findall(r"\[(\d)\]", answer.text) == ["1", "2"] and len(answer.citations) == 2
    second = answer.citations[1]
    assert second.passage_id is not None and second.quote
    assert re.sub(r"\s+", " ", second.quote) in re.sub(r"\s+", " ", records[second.passage_id].text)
