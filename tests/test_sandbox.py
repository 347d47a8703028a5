"""Parsing in a limited child process: results come back whole, and a file that exhausts memory or
time ends in a Vietnamese error while the calling process carries on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.errors import IngestError
from ingest.limits import Limits
from ingest.sandbox import Isolation, check_table_isolated, parse_isolated
from tests import abuse_inputs as A

ROOT = Path(__file__).resolve().parents[1]
GOOD = ROOT / "data" / "corpus" / "hung-yen_2025-07_ke-hoach-cchc-6-thang-cuoi-2025.txt"


def test_parse_in_child_returns_the_same_document() -> None:
    from ingest.pipeline import parse_file

    here = parse_file(GOOD)
    there = parse_isolated(GOOD, limits=Limits(), isolation=Isolation())
    assert there.text == here.text
    assert [(c.start, c.end, c.section_path) for c in there.chunks] == [(c.start, c.end, c.section_path) for c in here.chunks]


def test_cap_breach_in_child_keeps_its_message(tmp_path: Path) -> None:
    path = A.txt_single_line(tmp_path, mb=2)
    with pytest.raises(IngestError, match=r"ingest\.max_document_chars"):
        parse_isolated(path, limits=Limits(max_document_chars=100_000), isolation=Isolation())


def test_child_out_of_memory_is_a_clear_error(tmp_path: Path) -> None:
    # 8 MB of text, with the character cap lifted, needs over 200 MB resident, so it cannot fit 150 MB of address space to parse.
    path = A.txt_single_line(tmp_path, mb=8)
    with pytest.raises(IngestError, match=r"vượt giới hạn 150 MB bộ nhớ|cần hơn 150 MB") as info:
        parse_isolated(path, limits=Limits(max_document_chars=10**9), isolation=Isolation(memory_mb=150))
    assert "ingest.parse_memory_mb" in str(info.value)
    assert parse_isolated(GOOD, limits=Limits(), isolation=Isolation()).chunks  # and the caller carries on


def test_child_that_never_finishes_is_stopped(tmp_path: Path) -> None:
    fifo = tmp_path / "treo.txt"
    os.mkfifo(fifo)  # reading it blocks for ever
    with pytest.raises(IngestError, match=r"quá 1 giây"):
        parse_isolated(fifo, limits=Limits(), isolation=Isolation(timeout_s=1))


def test_table_checked_in_child(tmp_path: Path) -> None:
    assert check_table_isolated(A.csv_utf16(tmp_path), limits=Limits(), isolation=Isolation()) == 3
    with pytest.raises(IngestError, match=r"ingest\.max_sheet_rows"):
        check_table_isolated(A.xlsx_blank_rows(tmp_path), limits=Limits(), isolation=Isolation())
