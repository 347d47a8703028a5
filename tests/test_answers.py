"""Answers through Knowledge.ask: the dev question set, refusals, province disambiguation, verbatim
numbers and exact quotes, agency naming, and bad questions."""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from core.errors import QuestionError
from core.settings import Settings
from knowledge.service import Knowledge
from tests.conftest import ROOT, SHARED

DEV_QA = SHARED / "eval" / "dev_qa.jsonl"
HAI_DUONG = "hai-duong_2023_phan-tich-chi-so-cchc-2022.txt"


def _judge() -> Callable[[dict[str, Any], dict[str, Any]], tuple[bool, str]]:
    spec = importlib.util.spec_from_file_location("bench_dev_qa", ROOT / "benchmarks" / "dev_qa.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.judge


def _items() -> list[dict[str, Any]]:
    if not DEV_QA.exists():
        return []
    return [json.loads(line) for line in DEV_QA.read_text(encoding="utf-8").splitlines() if line.strip()]


judge = _judge()
ITEMS = _items()
NUM_RE = re.compile(r"\d+(?:[.,/]\d+)*")


@pytest.fixture(scope="module")
def kn(tmp_path_factory: pytest.TempPathFactory, _corpus_home: Any) -> Any:
    import shutil

    from tests.conftest import make_settings

    home = tmp_path_factory.mktemp("answers") / "home"
    shutil.copytree(_corpus_home, home)
    k = Knowledge(make_settings(home))
    yield k
    k.close()


@pytest.mark.skipif(not ITEMS, reason="../shared/eval/dev_qa.jsonl not present")
@pytest.mark.parametrize("item", ITEMS, ids=[i["id"] for i in ITEMS])
def test_dev_question_passes(kn: Knowledge, item: dict[str, Any]) -> None:
    ans = kn.ask(item["q"]).as_dict()
    ok, why = judge(item, ans)
    assert ok, f"{item['id']}: {why}\n{ans['answer']}"


@pytest.mark.parametrize(
    "q",
    [
        "Lãi suất tiết kiệm ngân hàng tháng này là bao nhiêu?",
        "Thời tiết Hưng Yên ngày mai thế nào?",
        "Giá vàng hôm nay bao nhiêu?",
        "Chỉ số PAPI năm 2015 của tỉnh Hưng Yên đứng thứ mấy?",
        "Chỉ số CCHC năm 2022 của tỉnh Cà Mau xếp thứ mấy?",
    ],
)
def test_refusals_cite_nothing(kn: Knowledge, q: str) -> None:
    ans = kn.ask(q)
    assert ans.refused
    assert ans.citations == []
    assert ans.text and ("không" in ans.text.lower())


@pytest.mark.parametrize(
    ("q", "answered"),
    [
        ("Chỉ số PAR INDEX năm 2022 của Hưng Yên xếp thứ mấy?", True),
        ("Chỉ số CCHC năm 2022 của tỉnh Hưng Yên xếp thứ mấy?", True),
        # Only Hải Dương's report has field scores: the honest reply for Hưng Yên is a refusal.
        ("Lĩnh vực cải cách tài chính công của tỉnh Hưng Yên năm 2022 đạt bao nhiêu điểm?", False),
        ("Sở Tư pháp tỉnh Hưng Yên có nhiệm vụ gì?", True),
    ],
)
def test_hung_yen_question_never_cites_hai_duong(kn: Knowledge, q: str, answered: bool) -> None:
    ans = kn.ask(q)
    assert ans.refused is not answered, ans.text
    assert all(c.source != HAI_DUONG for c in ans.citations), [c.source for c in ans.citations]
    assert "Hải Dương" not in ans.text


def test_hai_duong_question_never_shows_hung_yen_rank(kn: Knowledge) -> None:
    ans = kn.ask("Chỉ số CCHC năm 2022 của tỉnh Hải Dương")
    assert not ans.refused
    assert "12/63" not in ans.text
    assert "47/63" in ans.text
    assert all(c.source == HAI_DUONG for c in ans.citations)
    assert "Hải Dương" in ans.text  # labelled as another province's document


ASKED = [
    "Năm 2022 Chỉ số PAR INDEX của Hưng Yên xếp thứ mấy và thay đổi thế nào so với 2021?",
    "Lĩnh vực cải cách tài chính công năm 2022 đạt bao nhiêu điểm và xếp thứ mấy?",
    "Chỉ số hài lòng về tiếp cận dịch vụ đạt bao nhiêu điểm?",
    "Mức độ hài lòng của người dân về giải quyết TTHC phải đạt tối thiểu bao nhiêu?",
    "dich vu cong truc tuyen toan trinh cho bao nhieu nhom tthc",
    "Chỉ số SIPAS năm 2024 của Hưng Yên đứng thứ mấy?",
    "Chỉ số SIPAS năm 2022 của Hưng Yên xếp thứ mấy?",
    "Sở Khoa học và Công nghệ có nhiệm vụ gì trong kế hoạch CCHC 6 tháng cuối năm 2025?",
]


@pytest.fixture(scope="module")
def documents(kn: Knowledge) -> dict[str, str]:
    con = sqlite3.connect(kn.settings.home / "cchc.sqlite3")
    try:
        return dict(con.execute("select source, text from documents").fetchall())
    finally:
        con.close()


@pytest.mark.parametrize("q", ASKED)
def test_quotes_are_exact_slices_of_stored_text(kn: Knowledge, documents: dict[str, str], q: str) -> None:
    ans = kn.ask(q)
    assert not ans.refused, q
    assert ans.citations
    for c in ans.citations:
        assert c.source in documents
        assert c.quote and c.quote in documents[c.source], (c.source, c.quote)


@pytest.mark.parametrize("q", ASKED)
def test_numbers_in_answers_are_verbatim_from_quotes(kn: Knowledge, q: str) -> None:
    ans = kn.ask(q)
    quotes = " ".join(c.quote for c in ans.citations)
    # a year may frame the answer ("Năm 2022, ...") when the question or the cited document names it
    framing = " ".join([q, *(c.document for c in ans.citations), *(c.section for c in ans.citations)])
    body = re.sub(r"\[\d+\]", " ", ans.text)  # citation markers
    for num in NUM_RE.findall(body):
        # a cited document's name ("Kế hoạch tháng 7/2025 ...") frames a list, it is not a quoted fact
        if (re.fullmatch(r"(19|20)\d\d", num) and num in framing) or any(num in c.document for c in ans.citations):
            continue
        assert re.search(rf"(?<![\d.,/]){re.escape(num)}(?![\d]|[.,/]\d)", quotes), (
            f"{num!r} is not written so in any quote: {ans.text!r}"
        )


def test_answer_from_agency_section_names_the_agency(kn: Knowledge) -> None:
    ans = kn.ask("Sở Khoa học và Công nghệ có nhiệm vụ gì trong kế hoạch CCHC 6 tháng cuối năm 2025?")
    assert not ans.refused
    assert any("7. Sở Khoa học và Công nghệ" in c.section for c in ans.citations)
    assert "Sở Khoa học và Công nghệ" in ans.text
    # the quoted sentence itself starts with the task, not the agency: the answer adds the name
    c = next(c for c in ans.citations if "7. Sở Khoa học và Công nghệ" in c.section)
    assert "Sở Khoa học và Công nghệ" not in c.quote


def test_citation_fields_are_filled(kn: Knowledge) -> None:
    ans = kn.ask("Mức độ hài lòng của người dân về giải quyết TTHC phải đạt tối thiểu bao nhiêu?")
    d = ans.as_dict()
    assert set(d) == {"question", "answer", "refused", "citations", "took_ms", "mode"}
    assert d["mode"] == "extractive"
    c = d["citations"][0]
    assert set(c) == {"source", "document", "section", "quote"}
    assert c["source"] == "hung-yen_2025-07_ke-hoach-cchc-6-thang-cuoi-2025.txt"
    assert c["document"].startswith("Kế hoạch")
    assert "2.2. Cải cách thủ tục hành chính" in c["section"]


@pytest.mark.parametrize("q", ["", "   ", "\n\t  \n", "x" * 10_000, "\x00\x01\x02\x03\x04\x05", "%$#@!*&^ 123 456 !!!"])
def test_bad_questions_raise_question_error(kn: Knowledge, q: str) -> None:
    with pytest.raises(QuestionError) as err:
        kn.ask(q)
    assert err.value.user_message
    assert any(ch in err.value.user_message for ch in "âăêôơưđáàảãạ")  # Vietnamese


def test_long_question_message_gives_the_limit(kn: Knowledge) -> None:
    with pytest.raises(QuestionError) as err:
        kn.ask("Cải cách hành chính " * 600)
    assert "quá dài" in err.value.user_message


@pytest.mark.parametrize(
    "q", ["What is the PAR INDEX rank of Hung Yen province in 2022?", "How many online public services does the plan require?"]
)
def test_english_question_refused_politely(kn: Knowledge, q: str) -> None:
    ans = kn.ask(q)
    assert ans.refused and ans.citations == []
    assert "tiếng Việt" in ans.text


def test_ask_before_ingest_is_a_clear_error(settings: Settings) -> None:
    from core.errors import IndexNotReadyError

    k = Knowledge(settings)
    try:
        with pytest.raises(IndexNotReadyError) as err:
            k.ask("Sở Nội vụ phải làm gì?")
        assert "cchc ingest" in err.value.user_message
    finally:
        k.close()
