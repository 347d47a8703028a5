"""Schedule import: CSV/XLSX, validation, all-or-nothing, idempotent by code; the CLI contract."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from core.errors import ImportRowsError
from core.settings import Settings
from knowledge.store.db import Database
from knowledge.tasks.actions import mark_done
from knowledge.tasks.imports import import_schedule
from knowledge.tasks.query import list_tasks

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "schedule"
HEADER = ["Mã", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Hạn hoàn thành", "Người phụ trách",
          "Văn bản giao", "Trạng thái", "Lặp lại"]


@pytest.fixture
def db(settings: Settings) -> Database:
    return Database(settings.database_url)


def _xlsx(path: Path, rows: list[list[object]], merge: str | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["LỊCH CÔNG TÁC CCHC"])  # a title row above the header is not allowed: put it as a blank row instead
    ws.delete_rows(1)
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    if merge:
        ws.merge_cells(merge)
    wb.save(path)
    return path


def test_sample_schedule_xlsx_and_csv_agree(db: Database) -> None:
    rep = import_schedule(db, SAMPLE / "lich-cong-tac-mau.xlsx")
    assert rep.added == 24 and rep.rows == 24
    tasks = list_tasks(db, today=date(2026, 11, 21))
    assert all(t.due and t.due >= date(2026, 12, 1) for t in tasks)
    t = next(x for x in tasks if x.code == "HY-2026-006")
    assert t.agency == "Sở Tài chính" and "UBND các xã, phường" in t.supporting and t.status == "đang làm"
    rep2 = import_schedule(db, SAMPLE / "lich-cong-tac-mau.csv")
    assert rep2.added == 0 and rep2.unchanged == 24


def test_reimport_updates_in_place_and_keeps_history(db: Database, tmp_path: Path) -> None:
    p = _xlsx(tmp_path / "a.xlsx", [["A1", "Việc A", "Sở Nội vụ", "", "31/12/2026", "", "", "chưa làm", ""]])
    import_schedule(db, p)
    tid = list_tasks(db)[0].id
    mark_done(db, tid, by="zalo:7", channel="zalo")
    p = _xlsx(tmp_path / "a.xlsx", [["A1", "Việc A (sửa)", "SNV", "Sở Tư pháp", date(2027, 1, 15), "", "", "hoàn thành", "hằng năm"],
                                    ["A2", "Việc B", "Sở Y tế", "", "", "", "", "", ""]])
    rep = import_schedule(db, p)
    assert (rep.added, rep.updated) == (1, 1)
    t = next(x for x in list_tasks(db) if x.code == "A1")
    assert t.id == tid and t.title == "Việc A (sửa)" and t.due == date(2027, 1, 15)
    assert t.supporting == ["Sở Tư pháp"] and t.recurrence == "hằng năm" and t.status == "hoàn thành"
    b = next(x for x in list_tasks(db) if x.code == "A2")
    assert b.due is None and b.status == "chưa làm"  # a task without a deadline is still a task


def test_bad_rows_import_nothing(db: Database, tmp_path: Path) -> None:
    p = _xlsx(tmp_path / "bad.xlsx", [
        ["B1", "Đúng", "Sở Nội vụ", "", "31/12/2026", "", "", "", ""],
        ["B2", "Ngày sai", "Sở Nội vụ", "", "31/02/2026", "", "", "", ""],
        ["B3", "Cơ quan lạ", "Sở Ngoại vụ", "", "31/12/2026", "", "", "", ""],
        ["B1", "Trùng mã", "Sở Y tế", "", "", "", "", "", ""],
        ["B5", "Trạng thái lạ", "Sở Y tế", "", "", "", "", "xong rồi à", ""],
        ["", "Thiếu mã", "Sở Y tế", "", "", "", "", "", ""],
    ])
    with pytest.raises(ImportRowsError) as exc:
        import_schedule(db, p)
    msg = "\n".join(exc.value.problems)
    assert "Dòng 3: hạn hoàn thành không hợp lệ" in msg and "31/02/2026" in msg
    assert "Dòng 4: cơ quan “Sở Ngoại vụ” không có trong danh mục (có phải: Sở Nội vụ" in msg
    assert "Dòng 5: mã “B1” trùng với dòng 2" in msg
    assert "Dòng 6: trạng thái" in msg and "Dòng 7: thiếu mã" in msg
    assert "chưa nhập" in exc.value.user_message
    assert list_tasks(db) == []


def test_blank_rows_merged_cells_and_serial_dates(db: Database, tmp_path: Path) -> None:
    p = _xlsx(tmp_path / "m.xlsx", [
        ["M1", "Việc gộp ô", "Sở Nội vụ", "", 46387, "", "", "", ""],
        [None] * 9,
        ["M2", "Việc sau dòng trống", "Sở Tài chính", "", datetime(2027, 2, 1), "", "", "", ""],
    ], merge="F2:G2")
    rep = import_schedule(db, p)
    assert rep.added == 2 and rep.skipped_blank == 1
    assert {t.code: t.due for t in list_tasks(db)} == {"M1": date(2026, 12, 31), "M2": date(2027, 2, 1)}


def test_missing_columns(db: Database, tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("Tên,Ngày\nA,1/1/2027\n", encoding="utf-8")
    with pytest.raises(ImportRowsError, match="thiếu cột"):
        import_schedule(db, p)


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters precomposed, tone marks combining."""
    import unicodedata

    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            d = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in d if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in d if c not in tones))
            out += (base + tones).encode("cp1258")
    return out


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1258"])
def test_csv_encodings(db: Database, tmp_path: Path, encoding: str) -> None:
    p = tmp_path / "c.csv"
    text = ";".join(HEADER) + "\nC1;Tổng hợp báo cáo quý;Sở Nội vụ;Văn phòng UBND tỉnh;15/12/2026;;;đang làm;hằng quý\n"
    p.write_bytes(_cp1258(text) if encoding == "cp1258" else text.encode(encoding))
    import_schedule(db, p)
    t = list_tasks(db)[0]
    assert t.title == "Tổng hợp báo cáo quý" and t.agency == "Sở Nội vụ" and t.recurrence == "hằng quý"


def test_not_a_spreadsheet(db: Database, tmp_path: Path) -> None:
    from core.errors import CchcError

    p = tmp_path / "fake.xlsx"
    p.write_bytes(b"not a zip")
    with pytest.raises(CchcError, match="không đọc được"):
        import_schedule(db, p)


def test_large_csv_streams(db: Database, tmp_path: Path) -> None:
    p = tmp_path / "big.csv"
    with p.open("w", encoding="utf-8") as fh:
        fh.write(",".join(HEADER) + "\n")
        for i in range(5000):
            fh.write(f"L{i},Việc {i},Sở Nội vụ,,{1 + i % 28}/12/2026,,,,\n")
    rep = import_schedule(db, p)
    assert rep.added == 5000
    assert len(list_tasks(db, agency="Sở Nội vụ")) == 5000


def test_cli_contract(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from cchc.cli import main

    cfg = settings.home / "config.yaml"
    monkeypatch.setenv("CCHC_HOME", str(settings.home))
    main(["--config", str(cfg), "tasks", "import", str(SAMPLE / "lich-cong-tac-mau.csv"), "--json"])
    assert json.loads(capsys.readouterr().out)["added"] == 24
    main(["--config", str(cfg), "tasks", "list", "--agency", "SNV", "--due-before", "2027-01-01", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["tasks"] and all(t["due"] < "2027-01-01" for t in data["tasks"])
    for t in data["tasks"]:
        assert {"id", "agency", "title", "due", "due_text", "recurrence", "status", "source", "section", "quote"} <= set(t)
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(HEADER) + "\nX1,Việc,Sở Ngoại vụ,,31/02/2026,,,,\n", encoding="utf-8")
    with pytest.raises(SystemExit) as err:
        main(["--config", str(cfg), "tasks", "import", str(bad)])
    assert err.value.code == 1
    assert "Sở Ngoại vụ" in capsys.readouterr().err
    with pytest.raises(SystemExit) as err:
        main(["--config", str(cfg), "tasks", "list", "--agency", "Sở Ngoại vụ", "--json"])
    assert err.value.code == 1
