"""Diacritic restoration of queries typed without marks, from the index's own statistics."""

from __future__ import annotations

import numpy as np
import pytest

import knowledge.search.query as query
from knowledge.search.lexical import LexicalIndex
from knowledge.search.restore import FormTable, restore

# Two passages whose folded forms are the same ("ban tai san"): only the accents tell them apart.
WRONG = (1, "Thông báo", "Người bạn tại sân.")
RIGHT = (2, "Hợp đồng", "Người bán tài sản.")
CONTEXT = [
    (10, "Điều 430", "Hợp đồng mua bán tài sản là sự thỏa thuận giữa các bên."),
    (11, "Điều 431", "Đối tượng của hợp đồng mua bán tài sản."),
    (12, "Điều 432", "Tài sản chung của vợ chồng."),
    (13, "Điều 433", "Người bạn thân của gia đình."),
    (14, "Điều 434", "Bạn thân và bạn học."),
    (15, "Điều 435", "Bàn giao tài sản cho bên mua."),
]


def index() -> LexicalIndex:
    return LexicalIndex.build([WRONG, RIGHT, *CONTEXT])


def best(uni: dict[str, float], *forms: str) -> str:
    return max(forms, key=lambda f: uni.get(f, 0.0))


def test_an_unaccented_query_finds_the_accented_passage_through_restoration(monkeypatch: pytest.MonkeyPatch) -> None:
    idx = index()
    hits = dict(idx.search("nguoi ban tai san", 10))
    assert hits[2] > hits[1]  # "bán tài sản", not "bạn tại sân"
    monkeypatch.setattr(query, "RESTORE_WEIGHT", 0.0)
    plain = dict(idx.search("nguoi ban tai san", 10))
    assert plain[2] == pytest.approx(plain[1])  # folded features alone cannot tell them apart


def test_restoration_picks_the_form_by_its_neighbours() -> None:
    idx = index()
    sale = restore(["ban", "tai", "san"], idx.vocab, idx.stats.df, idx.stats.kind, idx.stats.rows)
    friend = restore(["ban", "than"], idx.vocab, idx.stats.df, idx.stats.kind, idx.stats.rows)
    assert best(sale.uni, "bán", "bạn", "bàn") == "bán"
    assert best(friend.uni, "bán", "bạn", "bàn") == "bạn"
    assert sale.bi["bán_tài"] > 2 * sale.bi.get("bạn_tại", 0.0)
    assert best(sale.uni, "tài", "tại") == "tài" and best(sale.uni, "sản", "sân") == "sản"


def test_an_added_segment_brings_new_forms_and_the_old_index_keeps_its_own() -> None:
    old = index()
    before = restore(["thuy", "san"], old.vocab, old.stats.df, old.stats.kind, old.stats.rows)
    new = old.added([(20, "Luật Thủy sản", "Nuôi trồng thủy sản.")])
    after = restore(["thuy", "san"], new.vocab, new.stats.df, new.stats.kind, new.stats.rows)
    assert "thủy" in after.uni and "thủy_sản" in after.bi
    assert "thủy" not in restore(["thuy", "san"], old.vocab, old.stats.df, old.stats.kind, old.stats.rows).uni
    assert before.uni.keys() == restore(["thuy", "san"], old.vocab, old.stats.df, old.stats.kind, old.stats.rows).uni.keys()
    assert new.search("nuoi trong thuy san", 3)[0][0] == 20


def test_an_unknown_syllable_stays_as_typed() -> None:
    idx = index()
    r = restore(["xyzw", "tai", "san"], idx.vocab, idx.stats.df, idx.stats.kind, idx.stats.rows)
    assert "xyzw" not in r.bi and best(r.uni, "tài", "tại") == "tài"
    assert restore([], idx.vocab, idx.stats.df, idx.stats.kind, idx.stats.rows).uni == {}


def test_the_form_table_reads_new_columns_only_and_survives_an_unordered_vocabulary() -> None:
    vocab = {"u:bán": 0, "b:bán_hàng": 1}
    table = FormTable(vocab)
    table.refresh(np.asarray([0, 1], dtype=np.int8))
    assert table.forms == {"ban": [("bán", 0)]} and table.seen == 2
    vocab["u:bạn"] = 2
    table.refresh(np.asarray([0, 1], dtype=np.int8))  # an index version that does not know column 2
    assert "bạn" not in {t for t, _ in table.forms["ban"]}
    table.refresh(np.asarray([0, 1, 0], dtype=np.int8))
    assert table.forms["ban"] == [("bán", 0), ("bạn", 2)]
    shuffled = {"b:bán_hàng": 1, "u:bán": 0}  # keys not in column order: found by a scan instead
    other = FormTable(shuffled)
    other.refresh(np.asarray([0, 1], dtype=np.int8))
    assert other.forms == {"ban": [("bán", 0)]}
