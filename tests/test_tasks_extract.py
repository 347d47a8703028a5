"""Task extraction on the sample corpus, and the library functions the bot calls."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from core.errors import NotFoundError
from knowledge.tasks.actions import history, mark_done
from knowledge.tasks.answer import answer_responsibility_question
from knowledge.tasks.query import list_tasks, tasks_due_between, tasks_for_agency
from knowledge.tasks.refresh import refresh_from_documents
from knowledge.tasks.views import format_task_line

TODAY = date(2026, 11, 21)


def _find(tasks: list[Any], fragment: str) -> Any:
    hits = [t for t in tasks if fragment in re.sub(r"\s+", " ", t.quote or "")]
    assert hits, fragment
    return hits[0]


def test_bar_tasks_are_extracted(knowledge: Any) -> None:
    tasks = list_tasks(knowledge.db, today=TODAY)
    t = _find(tasks, "Yêu cầu Sở Kế hoạch và Đầu tư, Sở Y tế, Ban Quản lý các Khu công nghiệp tỉnh")
    assert t.leads == ["Sở Kế hoạch và Đầu tư", "Sở Y tế", "Ban Quản lý các Khu công nghiệp tỉnh"]
    assert t.due == date(2023, 7, 31) and t.status == "quá hạn"
    t = _find(tasks, "Xây dựng báo cáo làm rõ nguyên nhân")
    assert t.agency == "Sở Thông tin và Truyền thông" and t.due == date(2023, 6, 15)
    t = _find(tasks, "lĩnh vực Tổ chức bộ máy xong trước quý 4/2023")
    assert t.agency == "Sở Nội vụ" and t.due == date(2023, 9, 30)
    t = _find(tasks, "ban hành trước ngày 05/8/2025")
    assert set(t.leads) == {"Các sở, ban, ngành tỉnh", "Các đơn vị sự nghiệp công lập trực thuộc UBND tỉnh", "UBND các xã, phường"}
    assert t.due == date(2025, 8, 5)
    t = _find(tasks, "Đến hết năm ngân sách 2025")
    assert t.agency == "Sở Tài chính" and t.due == date(2025, 12, 31)
    t = _find(tasks, "Giao Ngân hàng Nhà nước chi nhánh tỉnh Hưng Yên chủ trì")
    assert t.agency == "Ngân hàng Nhà nước chi nhánh tỉnh Hưng Yên"
    assert "Văn phòng UBND tỉnh" in t.supporting


def test_quotes_are_exact_slices(knowledge: Any) -> None:
    from knowledge.store import documents as store

    texts = {d.source: d.text for d in store.list_documents(knowledge.db)}
    tasks = list_tasks(knowledge.db)
    assert len(tasks) >= 100
    for t in tasks:
        assert t.quote and t.source and t.quote in texts[t.source]
        assert t.section


def test_no_results_sections_become_tasks(knowledge: Any) -> None:
    for t in list_tasks(knowledge.db):
        assert not (t.section or "").startswith(("A. KẾT QUẢ", "B. ĐÁNH GIÁ", "I. THỰC TRẠNG", "I. MỤC ĐÍCH"))


def test_refresh_is_idempotent_and_keeps_history(knowledge: Any) -> None:
    db = knowledge.db
    t = _find(list_tasks(db), "Xây dựng báo cáo làm rõ nguyên nhân")
    done = mark_done(db, t.id, by="telegram:42", channel="telegram")
    assert done.status == "hoàn thành"
    before = {x.code: x.id for x in list_tasks(db)}
    rep = refresh_from_documents(db)
    assert rep.added == 0 and rep.removed == 0
    after = {x.code: x.id for x in list_tasks(db)}
    assert before == after
    again = _find(list_tasks(db), "Xây dựng báo cáo làm rõ nguyên nhân")
    assert again.status == "hoàn thành"
    h = history(db, t.id)
    assert h[-1]["to"] == "hoàn thành" and h[-1]["by"] == "telegram:42" and h[-1]["channel"] == "telegram"
    with pytest.raises(NotFoundError):
        mark_done(db, 999_999, by="x", channel="cli")


def test_tasks_for_merged_agency_says_who_holds_it_now(knowledge: Any) -> None:
    res = tasks_for_agency(knowledge.db, "Sở TT&TT", today=TODAY)
    assert res.agency == "Sở Thông tin và Truyền thông"
    assert len(res.tasks) >= 4
    text = res.text()
    assert "Sở Khoa học và Công nghệ" in text
    assert "tỉnh Hải Dương (không phải tỉnh Hưng Yên)" in text
    assert "15/06/2023" in text
    # the successor inherits its predecessors' assignments
    khcn = tasks_for_agency(knowledge.db, "Sở Khoa học và Công nghệ", today=TODAY)
    assert {t.id for t in res.tasks} <= {t.id for t in khcn.tasks}
    huyen = tasks_for_agency(knowledge.db, "UBND cấp huyện", today=TODAY)
    assert huyen.tasks and "UBND các xã, phường" in huyen.text()


def test_tasks_for_agency_groups_newest_first(knowledge: Any) -> None:
    # Speed is measured by benchmarks/tasks_speed.py, not asserted here.
    res = tasks_for_agency(knowledge.db, "so noi vu", today=TODAY)
    dates = [t.document_date or "" for t in res.tasks if t.province == "Hưng Yên"]
    assert dates == sorted(dates, reverse=True)
    own = [t for t in res.tasks if res.roles[t.id] == "lead"]
    assert own and all(t.agency == "Sở Nội vụ" for t in own)
    group = [t for t in res.tasks if res.roles[t.id] == "group"]
    assert any("05/8/2025" in (t.quote or "") for t in group)  # assigned to "các sở, ban, ngành"
    assert "chủ trì" in format_task_line(own[0])


def test_unknown_agency(knowledge: Any) -> None:
    with pytest.raises(NotFoundError) as exc:
        tasks_for_agency(knowledge.db, "Sở Ngoại vụ")
    assert "Sở Nội vụ" in exc.value.user_message


def test_due_between(knowledge: Any) -> None:
    due = tasks_due_between(knowledge.db, date(2025, 1, 1), date(2025, 12, 31))
    assert {t.due for t in due} == {date(2025, 8, 5), date(2025, 12, 31)}
    assert all(t.province == "Hưng Yên" for t in due)  # other provinces only on request
    both = tasks_due_between(knowledge.db, date(2023, 1, 1), date(2023, 12, 31), all_provinces=True)
    assert len(both) >= 4
    only = tasks_due_between(knowledge.db, date(2025, 1, 1), date(2025, 12, 31), agency="Sở Tài chính")
    assert [t.due for t in only] == [date(2025, 8, 5), date(2025, 12, 31)]  # its own and its group's


def test_responsibility_answer(knowledge: Any) -> None:
    from knowledge.store import documents as store

    texts = {d.source: d.text for d in store.list_documents(knowledge.db)}
    ans = answer_responsibility_question(knowledge.db, "Sở Nội vụ phải làm gì?")
    assert ans is not None and not ans.refused
    assert "Sở Nội vụ" in ans.text and ans.citations
    for c in ans.citations:
        assert c.quote in texts[c.source] and c.province == "Hưng Yên"
    merged = answer_responsibility_question(knowledge.db, "nhiệm vụ của Sở KH&ĐT")
    assert merged is not None
    assert "Sở Tài chính" in merged.text and "Hải Dương" in merged.text
    assert answer_responsibility_question(knowledge.db, "so tu phap phai lam gi") is not None
    # anything more specific is left to text retrieval
    assert answer_responsibility_question(knowledge.db, "Sở Tư pháp có nhiệm vụ gì để khắc phục hạn chế về chỉ số CCHC?") is None
    assert answer_responsibility_question(knowledge.db, "Lãi suất tiết kiệm phải làm gì?") is None
    via_ask = knowledge.ask("Sở Tài chính phải làm gì?")
    assert "Sở Tài chính" in via_ask.text and via_ask.citations
