"""The query side of the lexical index: heading scope terms and heading hints."""

from __future__ import annotations

import pytest

import knowledge.search.query as query
from knowledge.search.lexical import LexicalIndex

# A law of 25 articles whose name is in every heading, and an article of another law that cites it.
LAW = [(i, f"Luật Đất đai - Điều {i}. Chủ đề số {i}", f"Nội dung quy định số {i} về quản lý.") for i in range(1, 26)]
TERM = (30, "Luật Đất đai - Điều 30. Thời hạn giao đất", "Thời hạn giao đất là 50 năm.")
CITING = (40, "Luật Thuế - Điều 3. Hiệu lực", "Thời hạn áp dụng quy định của Luật Đất đai và luật khác về đất đai.")
DEFS = (50, "Luật Đất đai - Điều 3. Giải thích từ ngữ", "1. Quỹ đất là tổng diện tích. 2. Giao đất là việc Nhà nước trao quyền.")
USES = (51, "Luật Đất đai - Điều 60. Thủ tục giao đất", "Hồ sơ giao đất gồm đơn xin giao đất.")


def index() -> LexicalIndex:
    return LexicalIndex.build([*LAW, TERM, CITING, DEFS, USES])


def ids(idx: LexicalIndex, q: str) -> list[int]:
    return [i for i, _ in idx.search(q, 10)]


def test_a_document_name_is_matched_in_headings_only(monkeypatch: pytest.MonkeyPatch) -> None:
    idx = index()
    feats = idx.query_features("Theo Luật Đất đai, thời hạn là bao lâu?")
    assert feats[idx.vocab["b:đất_đai"]] == 0.0 and feats[idx.vocab["tb:đất_đai"]] == query.SCOPE_BOOST
    assert feats[idx.vocab["u:hạn"]] == 1.0  # a body term stays
    assert ids(idx, "Theo Luật Đất đai, thời hạn là bao lâu?")[0] == 30
    assert ids(idx, "Theo Luat Dat dai, thoi han la bao lau?")[0] == 30
    monkeypatch.setattr(query, "SCOPE_RATIO", float("inf"))
    assert ids(idx, "Theo Luật Đất đai, thời hạn là bao lâu?")[0] == 40  # the citing article, without the rule


def test_a_definition_question_is_pointed_to_the_definitions_article(monkeypatch: pytest.MonkeyPatch) -> None:
    idx = index()
    assert ids(idx, "Giao đất là gì?")[0] == 50
    assert ids(idx, "Giao dat la gi?")[0] == 50
    monkeypatch.setattr(query, "HINT_WEIGHT", 0.0)
    assert ids(idx, "Giao đất là gì?")[0] != 50


def test_a_cited_article_number_is_matched_in_headings() -> None:
    idx = index()
    feats = idx.query_features("Theo Điều 60, hồ sơ gồm những gì?")
    assert feats.get(idx.vocab["tb:điều_60"], 0.0) >= query.HINT_WEIGHT
    assert ids(idx, "Theo dieu 60, ho so gom nhung gi?")[0] == 51
    assert idx.vocab["tb:điều_60"] not in idx.query_features("Hồ sơ gồm những gì?")
