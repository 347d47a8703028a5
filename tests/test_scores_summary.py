"""Leaders' summaries (/diem, cchc summary), the chart, and score answers."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from knowledge.scores.answer import answer_score_question
from knowledge.scores.summary import summarize
from knowledge.store.models import Document

HY = "Hưng Yên"


def _numbers(text: str) -> set[float]:
    body = text.split("\nNguồn:")[0]
    body = re.sub(r"\[\d+\]", " ", body)
    out = set()
    for m in re.finditer(r"\d+(?:,\d+)?", body):
        out.add(float(m.group(0).replace(",", ".")))
    return out


def _doc_numbers(knowledge: Any, prefix: str) -> set[float]:
    with knowledge.db.session() as s:
        texts = [d.text for d in s.scalars(select(Document)) if d.source.startswith(prefix)]
    out = set()
    for t in texts:
        for m in re.finditer(r"\d+(?:[,.]\d+)?", t):
            out.add(float(m.group(0).replace(",", ".")) if "," in m.group(0) else float(m.group(0)))
    return out


def test_home_summary_numbers_come_from_hung_yen_documents(knowledge: Any) -> None:
    s = summarize(knowledge.db, args="", home_province=HY, chart=False)
    assert s.found and s.year == 2024 and s.province == HY
    for line in ("PAR INDEX: hạng 14/63, ▲ tăng 12 bậc", "SIPAS: hạng 8/63, ▼ giảm 1 bậc", "PAPI: hạng 19/63, ▼ giảm 7 bậc"):
        assert line in s.text
    assert "2023: 26*" in s.text and "2021: 12*" in s.text
    assert "nhóm 10" in s.text and "PCI tăng từ 2 đến 5 bậc" in s.text
    assert "✗ chưa đạt" in s.text and "✓ đạt" in s.text
    # every number is in a Hưng Yên document (derived ranks: their sum/difference) and none is Hải Dương's
    hy = _doc_numbers(knowledge, "hung-yen")
    derived = {26.0, 3.0, 7.0, 5.0, 12.0}
    assert _numbers(s.text) <= hy | derived
    assert "Hải Dương" not in s.text and "hai-duong" not in s.text
    for hd in ("47/63", "83,52", "8,42", "55/63", "giảm 28"):  # Hải Dương-only figures
        assert hd not in s.text
    assert all(src["source"].startswith("hung-yen") for src in s.sources)


def test_detailed_summary_hai_duong(knowledge: Any) -> None:
    s = summarize(knowledge.db, args="2022 hai duong", home_province=HY, chart=False)
    assert s.province == "Hải Dương" and s.year == 2022
    assert "không phải tỉnh Hưng Yên" in s.text
    assert "PAR INDEX: hạng 47/63, ▼ giảm 28 bậc so với 2021, 83,52/100 điểm" in s.text
    lines = s.text.splitlines()
    fields = [ln for ln in lines if re.match(r"^\d\. ", ln)]
    assert len(fields) == 8
    assert fields[0].startswith("1. Xây dựng và phát triển chính quyền điện tử") and "(mất 4,196)" in fields[0]
    assert fields[-1].startswith("8. Cải cách thủ tục hành chính")
    assert "Trách nhiệm: Sở Thông tin và Truyền thông" in s.text
    assert "Trách nhiệm: Sở Tài chính, Sở Kế hoạch và Đầu tư" in s.text
    assert "−0,154: thực hiện giải ngân vốn đầu tư công" in s.text
    assert "Tiếp cận dịch vụ: 1,28/1,5 điểm (mất 0,22)" in s.text
    hd = _doc_numbers(knowledge, "hai-duong")
    assert _numbers(s.text) <= hd | {19.0, 4.0}  # derived 2021 ranks: 47-28, 14-10
    assert all(src["source"].startswith("hai-duong") for src in s.sources)


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        ("2015", "Không có kết quả chỉ số năm 2015 của tỉnh Hưng Yên"),
        ("20222", "Năm '20222' không hợp lệ"),
        ("Hà Nội", "Không có kết quả chỉ số cho 'ha noi'"),
        ("PCI", "Chưa có kết quả PCI của tỉnh Hưng Yên"),
    ],
)
def test_unknown_year_or_province_lists_what_exists(knowledge: Any, args: str, expect: str) -> None:
    s = summarize(knowledge.db, args=args, home_province=HY, chart=False)
    assert not s.found
    assert expect in s.text
    assert "Hưng Yên: 2021, 2022, 2023, 2024" in s.text and "Hải Dương: 2021, 2022" in s.text


def test_index_filter_and_lenient_args(knowledge: Any) -> None:
    s = summarize(knowledge.db, args="papi 2022", home_province=HY, chart=False)
    assert (s.index, s.year) == ("PAPI", 2022)
    assert "PAPI: hạng 11/63, ▼ giảm 6 bậc" in s.text and "PAR INDEX:" not in s.text


def test_summary_splits_for_channels_at_lines(knowledge: Any) -> None:
    """The channels split every reply with bot.formatting.split_message (Zalo 2,000, Telegram 4,096)."""
    from bot.formatting import split_message

    s = summarize(knowledge.db, args="2022 Hải Dương", home_province=HY, chart=False)
    for limit in (2000, 4096, 500):
        parts = split_message(s.text, limit)
        assert all(len(p) <= limit for p in parts)
        # No line is broken: the parts' lines are exactly the summary's non-blank lines.
        got = [ln for p in parts for ln in p.splitlines() if ln.strip()]
        assert got == [ln for ln in s.text.splitlines() if ln.strip()]
    assert len(split_message(s.text, 2000)) >= 3


def test_chart_png_with_vietnamese_glyphs(knowledge: Any) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = summarize(knowledge.db, args="2022 Hải Dương", home_province=HY, chart=True)
    assert s.chart_png is not None and s.chart_png.startswith(b"\x89PNG")
    assert not [w for w in caught if "Glyph" in str(w.message)]
    import io

    from PIL import Image  # matplotlib depends on pillow

    img = Image.open(io.BytesIO(s.chart_png))
    assert img.size == (1100, 460)


@pytest.mark.parametrize(
    ("q", "must", "must_not"),
    [
        ("PAR INDEX 2024 của Hưng Yên đứng thứ mấy?", ["14/63", "tăng 12 bậc"], ["Hải Dương"]),
        ("Năm 2022 Chỉ số PAR INDEX của Hưng Yên xếp thứ mấy và thay đổi thế nào so với 2021?", ["12/63", "giữ nguyên"], []),
        ("chi so sipas nam 2024 cua hung yen dung thu may", ["8/63"], []),
        ("Chỉ số CCHC năm 2022 của tỉnh Hải Dương xếp thứ mấy?", ["47/63", "không phải tỉnh Hưng Yên"], ["12/63"]),
        ("PAPI 2023 của Hưng Yên xếp thứ mấy?", ["12/63", "suy ra"], []),
    ],
)
def test_answers_from_structured_results(knowledge: Any, q: str, must: list[str], must_not: list[str]) -> None:
    ans = answer_score_question(knowledge.db, q, home_province=HY)
    assert ans is not None and not ans.refused
    for m in must:
        assert m in ans.text
    for m in must_not:
        assert m not in ans.text
    with knowledge.db.session() as s:
        texts = {d.source: d.text for d in s.scalars(select(Document))}
    for c in ans.citations:
        assert c.quote in texts[c.source]
        assert c.document and c.section


@pytest.mark.parametrize(
    "q",
    [
        "Lĩnh vực cải cách tài chính công năm 2022 đạt bao nhiêu điểm và xếp thứ mấy?",  # Hải Dương only
        "Chỉ số hài lòng về tiếp cận dịch vụ đạt bao nhiêu điểm?",  # no Hưng Yên component
        "Sở Nội vụ phải làm gì để nâng cao PAR INDEX?",  # not a rank question
    ],
)
def test_not_answered_from_structure(knowledge: Any, q: str) -> None:
    assert answer_score_question(knowledge.db, q, home_province=HY) is None


@pytest.mark.parametrize(
    ("q", "says"),
    [
        ("Chỉ số PAPI năm 2015 của tỉnh Hưng Yên đứng thứ mấy?", ["2015", "2022", "2024"]),  # the years it has
        ("PCI của Hưng Yên xếp thứ mấy?", ["PCI", "không nêu"]),  # no PCI result
        ("Chỉ số PAR INDEX của tỉnh Hà Nội xếp thứ mấy?", ["Hà Nội", "không nêu"]),  # a province without results
    ],
)
def test_refused_from_structure_with_what_it_has(knowledge: Any, q: str, says: list[str]) -> None:
    ans = answer_score_question(knowledge.db, q, home_province=HY)
    assert ans is not None and ans.refused and not ans.citations
    for s in says:
        assert s in ans.text


def test_points_asked_when_only_rank_known(knowledge: Any) -> None:
    ans = knowledge.ask("Điểm PAR INDEX 2024 của Hưng Yên là bao nhiêu?")
    assert not ans.refused and "14/63" in ans.text[:300] and "không nêu điểm" in ans.text


def test_knowledge_ask_uses_structured_answer(knowledge: Any) -> None:
    ans = knowledge.ask("PAR INDEX 2024 của Hưng Yên đứng thứ mấy?")
    assert "14/63" in ans.text and ans.citations[0].source.startswith("hung-yen_2025-05")


def test_cli_scores_and_summary_json(corpus_settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cchc.cli import cli

    monkeypatch.setenv("CCHC_HOME", str(corpus_settings.home))
    monkeypatch.setenv("CCHC_CONFIG", str(corpus_settings.home / "config.yaml"))
    runner = CliRunner()
    res = runner.invoke(cli, ["scores", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    keys = {"index", "year", "province", "scope", "field", "score", "max_score", "rank", "rank_of", "rank_change",
            "derived", "source", "section", "quote"}
    assert data["results"] and all(keys <= set(r) for r in data["results"])
    hd = [r for r in data["results"] if r["province"] == "Hải Dương" and r["scope"] == "overall" and r["index"] == "PAR"
          and not r["derived"]]
    assert hd[0]["score"] == 83.52 and isinstance(hd[0]["score"], float)
    res = runner.invoke(cli, ["scores", "--index", "SIPAS", "--year", "2024", "--province", "hung yen", "--json"])
    rows = json.loads(res.stdout)["results"]
    assert [(r["rank"], r["rank_change"]) for r in rows] == [(8, -1)]
    png = tmp_path / "c.png"
    res = runner.invoke(cli, ["summary", "--year", "2024", "--chart", str(png), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["year"] == 2024 and "14/63" in out["text"] and out["chart"] == str(png)
    assert png.read_bytes().startswith(b"\x89PNG")
    res = runner.invoke(cli, ["summary", "--year", "2015", "--json"])
    assert res.exit_code == 1 and "2015" in json.loads(res.stdout)["text"]
