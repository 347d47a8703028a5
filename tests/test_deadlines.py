from __future__ import annotations

from datetime import date, datetime

import pytest

from ingest.facts.deadlines import find_deadline, find_recurrence, parse_date_cell


@pytest.mark.parametrize(
    ("text", "year", "due", "written"),
    [
        ("(xong trước ngày 31/7/2023).", None, date(2023, 7, 31), "trước ngày 31/7/2023"),
        ("(báo cáo với UBND tỉnh trước ngày 15/6/2023)", None, date(2023, 6, 15), "trước ngày 15/6/2023"),
        ("ban hành trước ngày 05/8/2025; bố trí kinh phí", None, date(2025, 8, 5), "trước ngày 05/8/2025"),
        ("khắc phục xong trước quý 4/2023.", None, date(2023, 9, 30), "trước quý 4/2023"),
        ("hoàn thành trước quý I/2026", None, date(2025, 12, 31), "trước quý I/2026"),
        ("trong quý III/2025", None, date(2025, 9, 30), "trong quý III/2025"),
        ("Đến hết năm ngân sách 2025, phấn đấu giải ngân", None, date(2025, 12, 31), "Đến hết năm ngân sách 2025"),
        ("trong 6 tháng cuối năm 2025", None, date(2025, 12, 31), "trong 6 tháng cuối năm 2025"),
        ("báo cáo trước ngày 15/6", 2024, date(2024, 6, 15), "trước ngày 15/6"),
        ("chậm nhất ngày 10 tháng 12 năm 2026", None, date(2026, 12, 10), "chậm nhất ngày 10 tháng 12 năm 2026"),
        ("hoàn thành báo cáo trong tháng 2/2023", None, date(2023, 2, 28), "trong tháng 2/2023"),
        ("hoàn thành các nhiệm vụ của Đề án 06 trong năm 2023, kịp thời", None, date(2023, 12, 31), "trong năm 2023"),
    ],
)
def test_deadline_phrases(text: str, year: int | None, due: date, written: str) -> None:
    d = find_deadline(text, year)
    assert d is not None
    assert d.due == due
    assert d.text == written
    assert text[d.start : d.end] == written


@pytest.mark.parametrize(
    "text",
    [
        "theo Nghị quyết số 76/NQ-CP ngày 15/7/2021 của Chính phủ",  # a reference, not a deadline
        "giai đoạn 2021-2025, tầm nhìn đến năm 2030",
        "Kế hoạch CCHC 6 tháng cuối năm 2025 của cơ quan",
        "các dự án có thể hoàn thành, đưa vào sử dụng trong năm 2025",
        "trước ngày 15/6",  # no year and no document year
        "trước ngày 31/02/2026",  # impossible date
    ],
)
def test_not_deadlines(text: str) -> None:
    assert find_deadline(text, None) is None


def test_recurrence() -> None:
    assert find_recurrence("tham mưu công nhận sáng kiến cấp tỉnh hằng năm") == "hằng năm"
    assert find_recurrence("theo kế hoạch hàng năm") == "hằng năm"
    assert find_recurrence("báo cáo định kỳ hằng quý") == "hằng quý"
    assert find_recurrence("báo cáo định kỳ 6 tháng") == "6 tháng"
    assert find_recurrence("Kế hoạch 6 tháng cuối năm 2025") is None
    assert find_recurrence("không lặp lại") is None


def test_date_cells() -> None:
    assert parse_date_cell("31/12/2026") == date(2026, 12, 31)
    assert parse_date_cell("2026-12-31") == date(2026, 12, 31)
    assert parse_date_cell(46387) == date(2026, 12, 31)  # Excel serial
    assert parse_date_cell("46387") == date(2026, 12, 31)
    assert parse_date_cell(datetime(2027, 1, 5, 0, 0)) == date(2027, 1, 5)
    assert parse_date_cell("") is None
    assert parse_date_cell(None) is None
    with pytest.raises(ValueError, match="không tồn tại"):
        parse_date_cell("31/02/2026")
    with pytest.raises(ValueError, match="không phải ngày"):
        parse_date_cell("cuối tháng")
