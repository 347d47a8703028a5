"""The build's batch analysis (token numbers, numpy bigrams) counts exactly the features that
``core.text.analyze`` gives each passage, on real documents and on awkward text."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from core.text import analyze
from knowledge.search.features import BATCH, KIND_NAMES, Doc, Encoded, encode
from tests.conftest import SHARED

AWKWARD = [
    "UBND tỉnh và HĐND tỉnh; ubnd huyện, hdnd xã, Hđnd phường.",  # abbreviations in every case
    "Sở KH&ĐT, Sở TT&TT và VP UBND phối hợp; LĐ-TB&XH báo cáo KT-XH.",  # '&', '-' and two-word keys
    "Hoà Bình, thuỷ lợi, quý và Thủy lợi: old and new tone placement.",
    "snake_case_token, 1.234,5 tỷ đồng (45%); 15/10/2025 và x2.",
    "CCHCCCHC UBNDx xUBND cchc&tthc PAR INDEX và ICT INDEX.",  # glued, not whole words
    "",
    "... --- !!! ;;;",
    "Chữ\u00a0cách\tbằng\nnhiều\u3000kiểu khoảng trắng",
    "TU, Tu và tu: Tỉnh ủy viết tắt, và chữ thường.",
    "ĐẠI HỘI ĐẢNG BỘ TỈNH HƯNG YÊN LẦN THỨ XX",
]
HEADINGS = ["Kế hoạch CCHC > I. Mục tiêu", "", "Báo cáo UBND > 2.1 Kết quả", "Kế hoạch CCHC > I. Mục tiêu"]


def _docs() -> list[Doc]:
    docs = [(i, HEADINGS[i % len(HEADINGS)], t) for i, t in enumerate(AWKWARD)]
    alqac = SHARED / "eval" / "alqac" / "corpus.jsonl"
    if alqac.exists():
        with alqac.open(encoding="utf-8") as fh:
            for n, line in zip(range(400), fh, strict=False):
                d = json.loads(line)
                docs.append((100 + n, d.get("title", ""), d["text"]))
    for path in sorted((SHARED / "corpus").glob("*.txt"))[:3]:
        text = path.read_text(encoding="utf-8")
        docs += [(10_000 + len(docs), path.stem, text[i : i + 900]) for i in range(0, min(len(text), 90_000), 900)]
    return docs


def _expected(context: str, text: str) -> Counter[str]:
    out: Counter[str] = Counter()
    for prefix, a in (("", analyze(text)), ("t", analyze(context))):
        for kind, toks in zip(("u", "b", "fu", "fb"), (a.uni, a.bi, a.funi, a.fbi), strict=True):
            out.update(f"{prefix}{kind}:{t}" for t in toks)
    return out


def _counts(enc: Encoded) -> list[Counter[str]]:
    got: list[Counter[str]] = [Counter() for _ in enc.ids]
    for r, c, tf in zip(enc.rows.tolist(), enc.cols.tolist(), enc.tfs.tolist(), strict=True):
        got[r][enc.terms[c]] += tf
    return got


def test_batch_analysis_counts_what_analyze_gives() -> None:
    docs = _docs()
    assert len(docs) > BATCH // 10  # enough to cross batches when BATCH is small (below)
    enc = encode(docs)
    got = _counts(enc)
    for row, (pid, context, text) in enumerate(docs):
        assert enc.ids[row] == pid
        assert got[row] == _expected(context, text), (pid, text[:80])
        for kind, name in enumerate(KIND_NAMES):
            assert enc.dl[kind, row] == sum(n for t, n in got[row].items() if t.startswith(name + ":")), (pid, name)


def test_features_are_the_same_across_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Numbering carries over from batch to batch: small batches give the same counts."""
    import knowledge.search.features as features

    docs = _docs()[:120]
    whole = _counts(encode(docs))
    monkeypatch.setattr(features, "BATCH", 7)
    assert _counts(encode(docs)) == whole


def test_each_feature_string_is_numbered_once_and_entries_are_in_row_order() -> None:
    enc = encode(_docs())
    assert len(set(enc.terms)) == len(enc.terms)
    for kind in range(len(KIND_NAMES)):
        assert all(t.startswith(KIND_NAMES[kind] + ":") for t in (enc.terms[i] for i in (enc.term_kind == kind).nonzero()[0][:50]))
    pairs = list(zip(enc.cols.tolist(), enc.rows.tolist(), strict=True))
    assert len(set(pairs)) == len(pairs)  # one entry per (passage, feature)
    by_col: dict[int, int] = {}
    for c, r in pairs:
        assert r > by_col.get(c, -1)
        by_col[c] = r
