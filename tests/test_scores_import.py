"""Import of index results from CSV and XLSX: Vietnamese headers, row-level validation, all-or-nothing,
idempotent re-import, conflicts flagged against the documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from core.errors import CchcError, ImportRowsError
from knowledge.scores.answer import answer_score_question
from knowledge.scores.imports import import_table
from knowledge.scores.query import query

ROOT = Path(__file__).resolve().parents[1]


def _csv(tmp_path: Path, body: str, name: str = "bang.csv") -> Path:
    p = tmp_path / name
    p.write_text(body, encoding="utf-8")
    return p


def test_sample_files_import_and_agree_with_documents(knowledge: Any) -> None:
    for name in ("hung-yen-chi-so-2022-2024.csv", "hung-yen-chi-so-2022-2024.xlsx"):
        rep = import_table(knowledge.db, ROOT / "data" / "scores" / name)
        assert rep.imported == 6
    rows = query(knowledge.db, province="Hưng Yên", index="PAR", year=2024)
    assert {r["origin"] for r in rows if not r["derived"]} == {"document", "import"}
    assert not any(r["conflict"] for r in rows)  # same numbers as the documents
    # the xlsx re-import replaced the csv rows with the same key: no duplicates
    imported = [r for r in query(knowledge.db) if r["origin"] == "import"]
    assert len(imported) == 6


def test_vietnamese_headers_and_forms(settings: Any, tmp_path: Path) -> None:
    from knowledge.store.db import Database

    db = Database(settings.database_url)
    f = _csv(tmp_path, "Chỉ số;Năm;Tỉnh;Lĩnh vực;Điểm;Thứ hạng;Thay đổi;Nguồn\n"
                       "Chi so CCHC;2023;tỉnh Nam Định;Cải cách thể chế;9,5;12/63;tăng 3;QĐ 1\n"
                       "papi;2023;Nam Định;;;20;giữ nguyên;\n")
    rep = import_table(db, f)
    assert rep.imported == 2
    rows = query(db, province="Nam Định")
    f_row = next(r for r in rows if r["scope"] == "field")
    assert (f_row["index"], f_row["field"], f_row["score"], f_row["max_score"], f_row["rank"], f_row["rank_of"],
            f_row["rank_change"]) == ("PAR", "Cải cách thể chế", 9.5, 10.0, 12, 63, 3)
    p_row = next(r for r in rows if r["index"] == "PAPI")
    assert (p_row["rank"], p_row["rank_of"], p_row["rank_change"]) == (20, 63, 0)
    # re-import is idempotent
    rep2 = import_table(db, f)
    assert (rep2.imported, rep2.replaced) == (2, 2)
    assert len(query(db, province="Nam Định")) == 2
    db.dispose()


def test_xlsx(settings: Any, tmp_path: Path) -> None:
    from knowledge.store.db import Database

    db = Database(settings.database_url)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["index", "year", "province", "score", "max_score", "rank", "rank_of", "rank_change"])
    ws.append(["PAR INDEX", 2024, "Thái Bình", 85.1, 100, 20, 63, "-2"])
    p = tmp_path / "t.xlsx"
    wb.save(p)
    assert import_table(db, p).imported == 1
    r = query(db, province="Thái Bình")[0]
    assert (r["score"], r["rank"], r["rank_change"], r["section"]) == (85.1, 20, -2, "dòng 2")
    db.dispose()


BAD = (
    "chỉ số,năm,tỉnh,điểm,điểm tối đa,thứ hạng\n"
    "PAR INDEX,2024,Hưng Yên,80,100,10/63\n"   # row 2: fine
    "PAR INDEX,20222,Hưng Yên,,,12/63\n"       # row 3: bad year
    "ABC,2023,Hưng Yên,,,5\n"                  # row 4: unknown index
    "SIPAS,2023,Hưng Yên,,,70/63\n"            # row 5: rank over rank-of
    "PAR INDEX,2023,Hưng Yên,101,100,\n"       # row 6: score above max
    "PAPI,2023,Hưng Yên,abc,,\n"               # row 7: not a number
    "PCI,2023,,,,3,extra\n"                    # row 8: extra cell, missing province
)


def test_bad_rows_rejected_with_row_numbers_and_nothing_imported(settings: Any, tmp_path: Path) -> None:
    from knowledge.store.db import Database

    db = Database(settings.database_url)
    with pytest.raises(ImportRowsError) as ei:
        import_table(db, _csv(tmp_path, BAD))
    msgs = "\n".join(ei.value.problems)
    assert "Dòng 3: năm '20222' không hợp lệ" in msgs
    assert "Dòng 4: không nhận ra chỉ số 'ABC'" in msgs
    assert "Dòng 5: thứ hạng 70/63 không hợp lệ" in msgs
    assert "Dòng 6: điểm 101 lớn hơn điểm tối đa 100" in msgs
    assert "Dòng 7: điểm 'abc' không phải là số" in msgs
    assert "Dòng 8:" in msgs
    assert "Dòng 2" not in msgs
    assert query(db) == []  # row 2 was valid but nothing is half-imported
    db.dispose()


def test_bad_files(settings: Any, tmp_path: Path) -> None:
    from knowledge.store.db import Database

    db = Database(settings.database_url)
    with pytest.raises(ImportRowsError, match="thiếu cột bắt buộc"):
        import_table(db, _csv(tmp_path, "chỉ số,thứ hạng\nPAR,1\n"))
    with pytest.raises(CchcError, match="trống"):
        import_table(db, _csv(tmp_path, ""))
    with pytest.raises(CchcError, match=r"\.csv hoặc \.xlsx"):
        import_table(db, _csv(tmp_path, "x", name="a.txt"))
    bogus = tmp_path / "b.xlsx"
    bogus.write_bytes(b"not a zip")
    with pytest.raises(CchcError, match="XLSX"):
        import_table(db, bogus)
    db.dispose()


def test_conflict_with_a_document_is_flagged_not_merged(knowledge: Any, tmp_path: Path) -> None:
    import_table(knowledge.db, _csv(tmp_path, "index,year,province,rank\nPAR,2024,Hưng Yên,15/63\n"))
    rows = [r for r in query(knowledge.db, index="PAR", year=2024, province="Hưng Yên") if not r["derived"]]
    assert sorted(r["rank"] for r in rows) == [14, 15]
    assert all(r["conflict"] for r in rows)
    ans = answer_score_question(knowledge.db, "PAR INDEX 2024 của Hưng Yên đứng thứ mấy?", home_province="Hưng Yên")
    assert ans is not None and "14/63" in ans.text and "15/63" in ans.text and "khác nhau" in ans.text


def test_cli_import_json(corpus_settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cchc.cli import cli

    monkeypatch.setenv("CCHC_HOME", str(corpus_settings.home))
    monkeypatch.setenv("CCHC_CONFIG", str(corpus_settings.home / "config.yaml"))
    runner = CliRunner()
    bad = _csv(tmp_path, BAD)
    res = runner.invoke(cli, ["scores", "import", str(bad), "--json"])
    assert res.exit_code == 1
    import json

    out = json.loads(res.stdout)
    assert out["imported"] == 0 and any("Dòng 3" in e for e in out["errors"])
    good = ROOT / "data" / "scores" / "hung-yen-chi-so-2022-2024.csv"
    res = runner.invoke(cli, ["scores", "import", str(good), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["imported"] == 6
