"""The answer engine on the sample corpus: routing by what is asked, complete duty lists, index
answers that say what the data holds, the task schedule, document facts and honest refusals."""

from __future__ import annotations

import shutil
from datetime import date
from typing import Any

import pytest

from knowledge.answers import engine
from knowledge.answers.engine import AnswerContext, answerer
from knowledge.answers.question import Question, parse
from knowledge.answers.types import Answer
from knowledge.service import Knowledge
from knowledge.store.agencies import load_registry
from knowledge.tasks.answer import answer_tasks
from tests.conftest import ROOT

PLAN = "hung-yen_2025-07_ke-hoach-cchc-6-thang-cuoi-2025.txt"


@pytest.fixture(scope="module")
def kn(tmp_path_factory: pytest.TempPathFactory, _corpus_home: Any) -> Any:
    from tests.conftest import make_settings

    home = tmp_path_factory.mktemp("engine") / "home"
    shutil.copytree(_corpus_home, home)
    k = Knowledge(make_settings(home))
    k.import_schedule(ROOT / "data" / "schedule" / "lich-cong-tac-mau.csv")
    yield k
    k.close()


def _doc_text(kn: Knowledge, source: str) -> str:
    from sqlalchemy import select

    from knowledge.store.models import Document

    with kn.db.session() as s:
        return s.scalars(select(Document.text).where(Document.source == source)).one()


def test_duties_are_the_complete_list_of_the_agency_section(kn: Knowledge) -> None:
    ans = kn.ask("Sở Nội vụ phải làm gì trong 6 tháng cuối năm 2025?")
    lines = ans.text.splitlines()
    markers = [ln.split(" ", 1)[0] for ln in lines[1:] if ln[:2].endswith(")")]
    assert markers == ["a)", "b)", "c)", "d)", "đ)", "e)", "g)"]
    assert "bảy nhiệm vụ" in lines[0] and len(ans.citations) == 7 and len(ans.text) <= 1500
    text = _doc_text(kn, PLAN)
    assert all(c.source == PLAN and c.quote in text and "3. Sở Nội vụ" in c.section for c in ans.citations)


def test_duties_by_abbreviation_and_without_diacritics_match(kn: Knowledge) -> None:
    a = kn.ask("Sở KH&CN có nhiệm vụ gì theo kế hoạch CCHC 6 tháng cuối 2025?")
    b = kn.ask("so khoa hoc cong nghe lam gi trong ke hoach cchc 6 thang cuoi 2025")
    assert [c.quote for c in a.citations] == [c.quote for c in b.citations] and len(a.citations) == 2
    assert "7. Sở Khoa học và Công nghệ" in a.citations[0].section


def test_duties_of_a_body_without_a_section_are_refused(kn: Knowledge) -> None:
    ans = kn.ask("Sở Công Thương có nhiệm vụ gì trong kế hoạch CCHC 6 tháng cuối năm 2025?")
    assert ans.refused and not ans.citations


def test_who_leads_names_the_agency_first(kn: Knowledge) -> None:
    ans = kn.ask("Cơ quan nào chủ trì cải cách thể chế trong kế hoạch CCHC 6 tháng cuối năm 2025?")
    assert not ans.refused and ans.text.startswith("Sở Tư pháp")


def test_points_asked_rank_known_and_uncovered_year(kn: Knowledge) -> None:
    ans = kn.ask("Điểm PAR INDEX 2024 của Hưng Yên là bao nhiêu?")
    assert not ans.refused and "14/63" in ans.text[:300] and "không nêu điểm" in ans.text
    ans = kn.ask("Chỉ số PAR INDEX năm 2020 của Hưng Yên xếp thứ mấy?")
    assert ans.refused and "2022" in ans.text and "2024" in ans.text


def test_meeting_date_is_not_answered_with_a_rank(kn: Knowledge) -> None:
    ans = kn.ask("Hội nghị đánh giá kết quả các chỉ số năm 2022 được tổ chức ngày nào?")
    assert not ans.refused and "26/5/2023" in ans.text[:300] and "12/63" not in ans.text


def test_summary_question_gets_the_summary(kn: Knowledge) -> None:
    ans = kn.ask("Tóm tắt kết quả các chỉ số năm 2024")
    assert not ans.refused and len(ans.text) <= 700
    for rank in ("14/63", "8/63", "19/63"):
        assert rank in ans.text[:300] and any(rank in c.quote for c in ans.citations)


def test_tasks_due_come_from_the_schedule(kn: Knowledge) -> None:
    ctx = AnswerContext(kn.db, kn.settings, kn.policy, lambda: kn.retriever)
    q = parse("Những nhiệm vụ nào phải hoàn thành trước 31/12/2026?", load_registry(kn.db))
    ans = answer_tasks(ctx, q, today=date(2026, 11, 1))
    assert ans is not None and not ans.refused
    assert "10/12/2026" in ans.text.splitlines()[1] and "31/12/2026" in ans.text
    assert "27" not in ans.text.split("\n", 1)[1].split("hạn ")[1][:10]  # nothing due in 2027 listed first
    assert all("/2027" not in ln for ln in ans.text.splitlines()[1:])


def test_signer_is_answered_from_the_signature_block(kn: Knowledge) -> None:
    ans = kn.ask("Ai ký kế hoạch CCHC 6 tháng cuối năm 2025?")
    assert not ans.refused and ans.text.startswith("Phạm Văn Nghiêm") and "Phó Chủ tịch" in ans.text
    assert "Phạm Văn Nghiêm" in ans.citations[0].quote and ans.citations[0].source == PLAN
    ans = kn.ask("Ai ký Kế hoạch số 137/KH-UBND ngày 30/6/2025?")  # a document we do not hold
    assert ans.refused


@pytest.mark.parametrize(
    "q",
    [
        "Thủ đô của Pháp là gì?",
        "Hưng Yên có bao nhiêu xã, phường sau sắp xếp đơn vị hành chính?",
        "Ai là Chủ tịch UBND tỉnh Hưng Yên?",
        "Kế hoạch CCHC 6 tháng đầu năm 2025 của Hưng Yên có mục tiêu gì?",
        "Nghị định 118/2025/NĐ-CP có bao nhiêu điều?",
    ],
)
def test_refusals_that_share_words_with_the_corpus(kn: Knowledge, q: str) -> None:
    ans = kn.ask(q)
    assert ans.refused and not ans.citations, ans.text


def test_home_province_first_and_other_province_labelled(kn: Knowledge) -> None:
    ans = kn.ask("Sở Nội vụ phải làm gì?")
    assert all(c.province == "Hưng Yên" for c in ans.citations)
    ans = kn.ask("Sở Tài chính Hải Dương cần làm gì để nâng cao chỉ số CCHC?")
    assert "Hải Dương" in ans.text.splitlines()[0] and all(c.province == "Hải Dương" for c in ans.citations)


def test_passage_answers_expose_their_evidence_and_mode(kn: Knowledge) -> None:
    ans = kn.ask("Tỷ lệ hồ sơ trực tuyến toàn trình phải đạt bao nhiêu trong 6 tháng cuối năm 2025?")
    assert not ans.refused and "70%" in ans.text[:300] and len(ans.text) <= 700
    assert ans.evidence and ans.evidence[0].passage_id == ans.citations[0].passage_id
    assert ans.citations[0].quote in ans.evidence[0].text and ans.as_dict()["mode"] == "extractive"


def test_the_best_claim_answers(kn: Knowledge) -> None:
    """A registered answerer that claims a question better than the built-ins is the one asked."""

    def claim(q: Question) -> float:
        return 0.95 if "ping" in q.folded else 0.0

    @answerer("test_ping", claim=claim)
    def _ping(ctx: AnswerContext, q: Question) -> Answer | None:
        return Answer(q.text, "pong", False)

    try:
        assert kn.ask("ping xếp thứ mấy?").text == "pong"
        assert kn.ask("PAR INDEX 2024 của Hưng Yên đứng thứ mấy?").text != "pong"
    finally:
        engine._ANSWERERS.pop("test_ping")
