"""The question parser: per-slot precision on the labelled set, and the readings officials rely on
(abbreviations, no diacritics, periods, dates, exclusions)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from core.agencies import AgencyInfo, Registry
from knowledge.answers.parse_check import tally_slots
from knowledge.answers.question import parse
from knowledge.store.agencies import read_seed
from tests.conftest import ROOT

LABELLED = ROOT / "tests" / "data" / "question_parse.jsonl"


def seed_registry() -> Registry:
    data = read_seed()
    items = data["agencies"]
    ids = {a["key"]: n for n, a in enumerate(items, 1)}

    def aliases(raw: Any) -> tuple[str, ...]:
        if raw is None:
            return ()
        return tuple(x.strip() for x in raw.split("|")) if isinstance(raw, str) else tuple(raw)

    infos = [AgencyInfo(ids[a["key"]], a["key"], a["name"], a.get("level", "tỉnh"), a.get("kind", ""),
                        bool(a.get("members")), ids.get(a.get("successor")), None, a.get("note"),
                        aliases(a.get("aliases")), tuple(ids[m] for m in a.get("members") or []))
             for a in items]
    return Registry.build(data.get("province"), infos)


REG = seed_registry()


def slot_precision() -> dict[str, tuple[int, int, int]]:
    """slot -> (correct predictions, predictions, labelled values)."""
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    return tally_slots(((row, parse(row["q"], REG)) for row in rows), REG)


def test_labelled_set_is_large_enough() -> None:
    assert len(LABELLED.read_text(encoding="utf-8").splitlines()) >= 200


@pytest.mark.parametrize(("slot", "floor"), [("asked", 0.95), ("agency", 0.95), ("index", 0.95), ("year", 0.95),
                                             ("province", 0.95)])
def test_per_slot_precision(slot: str, floor: float) -> None:
    correct, predicted, labelled = slot_precision()[slot]
    assert predicted > 0 and labelled > 0
    assert correct / predicted >= floor, (slot, correct, predicted)


@pytest.mark.parametrize(
    ("text", "agency"),
    [
        ("Sở KH&CN có nhiệm vụ gì theo kế hoạch CCHC 6 tháng cuối 2025?", "Sở Khoa học và Công nghệ"),
        ("SNV có nhiệm vụ gì", "Sở Nội vụ"),
        ("so nv phai lam gi", "Sở Nội vụ"),
        ("GD&ĐT có trách nhiệm gì trong KH CCHC?", "Sở Giáo dục và Đào tạo"),
        ("so khoa hoc cong nghe lam gi", "Sở Khoa học và Công nghệ"),
        ("VP UBND tỉnh làm gì về kiểm soát TTHC", "Văn phòng UBND tỉnh"),
    ],
)
def test_agency_abbreviations_and_shorthand(text: str, agency: str) -> None:
    q = parse(text, REG)
    assert q.agency == agency and q.asked == "duties"


def test_document_numbers_are_not_agencies_or_years() -> None:
    q = parse("Báo cáo 81/BC-SNV về PAR INDEX và SIPAS 2024 ban hành ngày nào?", REG)
    assert q.agencies == () and q.years == (2024,) and q.asked == "date" and q.index == "PAR"


def test_periods_dates_and_exclusions() -> None:
    q = parse("Sở Nội vụ phải làm gì trong 6 tháng cuối năm 2025?", REG)
    assert q.period == "6 thang cuoi nam 2025" and q.years == (2025,)
    q = parse("Đề án giai đoạn 2026 - 2030 có mục tiêu gì?", REG)
    assert q.period is not None and "2026" in q.period and q.year == 2026
    q = parse("Những nhiệm vụ nào phải hoàn thành trước 31/12/2026?", REG)
    assert q.asked == "tasks" and q.dates == (date(2026, 12, 31),) and q.date_relation == "before" and q.years == ()
    q = parse("nhiem vu nao den han trong thang 1/2027", REG)
    assert q.asked == "tasks" and q.dates == (date(2027, 1, 1),) and q.date_relation == "in"
    q = parse("Các sở phải làm gì, ngoài Sở Nội vụ?", REG)
    assert q.excluded == ("so noi vu",)


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("Điểm PAR INDEX 2024 của Hưng Yên là bao nhiêu?", "points"),
        ("PAR INDEX 2024 tăng bao nhiêu bậc?", "change"),
        ("Hưng Yên PAR INDEX 2024", "rank"),
        ("mục tiêu PCI 2025", "what"),
        ("Tóm tắt kết quả các chỉ số năm 2024", "summary"),
        ("Sở Tài chính còn việc gì quá hạn", "tasks"),
        ("Hồ sơ TTHC giải quyết quá hạn thì phải làm gì?", "what"),
        ("Ai ký kế hoạch CCHC 6 tháng cuối năm 2025?", "person"),
        ("Ai lo cải cách tài chính công?", "agency"),
        ("Tối thiểu bao nhiêu % hồ sơ được xử lý trực tuyến?", "percent"),
        ("DVCTT toàn trình cho mấy nhóm TTHC?", "count"),
        ("Vì sao bị trừ 0,5 điểm?", "explain"),
        ("Nghị định nào quy định vị trí việc làm?", "number"),
    ],
)
def test_what_is_asked(text: str, asked: str) -> None:
    assert parse(text, REG).asked == asked


def test_counted_noun() -> None:
    assert parse("DVCTT toàn trình cho mấy nhóm TTHC?", REG).counted == "nhom"
    assert parse("Số hồ sơ đạt bao nhiêu trên tổng số?", REG).counted is None
