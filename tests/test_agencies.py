from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import CchcError, NotFoundError
from core.settings import Settings
from knowledge.store.agencies import add_alias, list_agencies, load_registry, seed_from_file
from knowledge.store.db import Database


@pytest.fixture
def db(settings: Settings) -> Database:
    return Database(settings.database_url)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Sở Nội vụ", "Sở Nội vụ"),
        ("so noi vu", "Sở Nội vụ"),
        ("SNV", "Sở Nội vụ"),
        ("Nội vụ", "Sở Nội vụ"),
        ("Sở KH&ĐT", "Sở Kế hoạch và Đầu tư"),
        ("so kh&dt", "Sở Kế hoạch và Đầu tư"),
        ("VP UBND tỉnh", "Văn phòng UBND tỉnh"),
        ("Văn phòng Uỷ ban nhân dân tỉnh", "Văn phòng UBND tỉnh"),
        ("UBND các xã, phường", "UBND các xã, phường"),
        ("các sở, ban, ngành", "Các sở, ban, ngành tỉnh"),
        ("UBND cấp huyện", "UBND cấp huyện"),
        ("Sở TT&TT", "Sở Thông tin và Truyền thông"),
    ],
)
def test_resolve(db: Database, typed: str, canonical: str) -> None:
    a = load_registry(db).resolve(typed)
    assert a is not None and a.name == canonical


def test_unknown_agency_suggests_closest(db: Database) -> None:
    reg = load_registry(db)
    assert reg.resolve("Sở Ngoại vụ") is None
    assert "Sở Nội vụ" in reg.suggest("Sở Ngoại vụ")
    with pytest.raises(NotFoundError) as exc:
        reg.require("Sở Ngoại vụ")
    assert "Sở Nội vụ" in exc.value.user_message


def test_successors_and_groups(db: Database) -> None:
    reg = load_registry(db)
    tttt = reg.require("Sở Thông tin và Truyền thông")
    assert reg.successor(tttt.id) and reg.successor(tttt.id).name == "Sở Khoa học và Công nghệ"  # type: ignore[union-attr]
    note = reg.successor_note(tttt.id)
    assert note and "Sở Khoa học và Công nghệ" in note and "01/03/2025" in note
    huyen = reg.require("UBND các huyện, thị xã, thành phố")
    assert reg.successor(huyen.id).name == "UBND các xã, phường"  # type: ignore[union-attr]
    snv = reg.require("Sở Nội vụ")
    group = reg.require("các sở, ban, ngành")
    assert snv.id in reg.expand(group.id)
    assert group.id in reg.groups_of(snv.id)
    assert reg.successor_note(snv.id) is None
    assert [p.name for p in reg.predecessors(snv.id)] == ["Sở Lao động - Thương binh và Xã hội"]


def test_mentions_longest_match_with_offsets(db: Database) -> None:
    reg = load_registry(db)
    text = ("Các sở, ban, ngành; các đơn vị sự nghiệp công lập trực thuộc Ủy ban nhân dân tỉnh; "
            "Ủy ban nhân dân các xã, phường phối hợp với Sở KH&ĐT")
    ms = reg.mentions(text)
    names = [reg.get(m.agency_id).name for m in ms]
    assert names == ["Các sở, ban, ngành tỉnh", "Các đơn vị sự nghiệp công lập trực thuộc UBND tỉnh",
                     "UBND các xã, phường", "Sở Kế hoạch và Đầu tư"]
    assert all(text[m.start : m.end] == m.text for m in ms)


def test_registry_is_editable_and_reseed_keeps_edits(db: Database) -> None:
    add_alias(db, "Sở Nội vụ", "Sở NV Hưng Yên mới")
    assert load_registry(db).require("Sở NV Hưng Yên mới").name == "Sở Nội vụ"
    with pytest.raises(CchcError):
        add_alias(db, "Sở Tài chính", "SNV")  # already another agency's name
    seed_from_file(db)
    assert load_registry(db).require("Sở NV Hưng Yên mới").name == "Sở Nội vụ"
    rows = {r["name"]: r for r in list_agencies(db)}
    assert rows["Sở Kế hoạch và Đầu tư"]["successor"] == "Sở Tài chính"
    assert len(rows) >= 35


def test_bad_seed_file(db: Database, tmp_path: Path) -> None:
    bad = tmp_path / "a.yaml"
    bad.write_text("agencies:\n  - key: x\n    name: X\n    successor: nowhere\n", encoding="utf-8")
    with pytest.raises(CchcError, match="nowhere"):
        seed_from_file(db, bad)
