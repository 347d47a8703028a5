"""The segmented lexical index: copy-on-write adds and removals, merges, persistence, and scores
equal to a full build's when the statistics allow it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.search.lexical import MAX_SMALL, LexicalIndex

DOCS = [
    (1, "Kế hoạch CCHC > I. Mục tiêu", "Nâng cao Chỉ số cải cách hành chính PAR INDEX của tỉnh Hưng Yên."),
    (2, "Kế hoạch CCHC > II. Nhiệm vụ", "Sở Nội vụ chủ trì tuyên truyền về cải cách hành chính."),
    (3, "Báo cáo > 1. Kết quả", "Tỷ lệ hồ sơ trực tuyến toàn trình đạt 45 phần trăm."),
    (4, "Công văn > Nội dung", "Đề nghị các sở báo cáo kết quả chuyển đổi số trước ngày 15."),
    (5, "Quyết định > Điều 1", "Phê duyệt danh mục thủ tục hành chính thực hiện dịch vụ công trực tuyến."),
]
NEW = (6, "Kế hoạch PCI > Mục tiêu", "Cải thiện Chỉ số năng lực cạnh tranh cấp tỉnh PCI năm 2025.")


def ids(index: LexicalIndex, q: str) -> list[int]:
    return [i for i, _ in index.search(q, 10)]


def test_an_added_passage_is_found_and_the_old_index_is_untouched() -> None:
    old = LexicalIndex.build(DOCS)
    before = old.search("cải cách hành chính tỉnh", 10)
    new = old.added([NEW])
    assert old.search("cải cách hành chính tỉnh", 10) == before  # statistics copied, not shared
    assert ids(new, "năng lực cạnh tranh")[0] == 6
    assert ids(new, "nang luc canh tranh")[0] == 6  # folded features of the new segment
    assert 6 not in ids(old, "năng lực cạnh tranh")  # searches in flight keep their index
    assert len(new.segments) == 2 and len(new) == 6


def test_a_removed_passage_is_no_longer_found_and_can_come_back() -> None:
    index = LexicalIndex.build(DOCS).added([NEW])
    gone = index.removed([3, 6])
    assert 3 not in ids(gone, "hồ sơ trực tuyến toàn trình")
    assert 6 not in ids(gone, "năng lực cạnh tranh")
    assert len(gone) == 4
    back = gone.added([(3, "Báo cáo > 1. Kết quả", "Tỷ lệ hồ sơ trực tuyến toàn trình đạt 60 phần trăm.")])
    assert ids(back, "hồ sơ trực tuyến toàn trình")[0] == 3
    assert list(back.ids[back.live]).count(3) == 1


def test_replacing_a_passage_id_keeps_one_live_row() -> None:
    index = LexicalIndex.build(DOCS)
    again = index.added([(2, "Kế hoạch CCHC > II. Nhiệm vụ", "Sở Tư pháp chủ trì kiểm soát thủ tục.")])
    assert list(again.ids[again.live]).count(2) == 1
    assert 2 not in ids(again, "tuyên truyền")
    assert ids(again, "kiểm soát thủ tục")[0] == 2


def test_a_merged_index_scores_like_a_full_build() -> None:
    index = LexicalIndex.build(DOCS[:2])
    for d in DOCS[2:]:
        index = index.added([d])
    index = index.added([NEW]).removed([6])
    merged = index.merged()
    fresh = LexicalIndex.build(DOCS)
    assert len(merged.segments) == 1 and merged.rows == 5
    for q in ("cải cách hành chính", "hồ sơ trực tuyến", "bao cao ket qua chuyen doi so"):
        got = dict(merged.search(q, 10))
        want = dict(fresh.search(q, 10))
        assert got.keys() == want.keys()
        assert np.allclose([got[k] for k in want], list(want.values()), rtol=1e-4)


def test_segments_are_merged_when_there_are_too_many() -> None:
    index = LexicalIndex.build(DOCS)
    for n in range(MAX_SMALL + 3):
        index = index.added([(100 + n, "Phụ lục", f"Nhiệm vụ bổ sung số {n} về chuyển đổi số.")])
    assert len(index.segments) <= MAX_SMALL + 1
    assert len(index) == len(DOCS) + MAX_SMALL + 3
    found = {i for i, _ in index.search("nhiệm vụ bổ sung", 30)}
    assert found >= set(range(100, 100 + MAX_SMALL + 3))


def test_a_wholly_removed_segment_leaves_the_statistics() -> None:
    base = LexicalIndex.build(DOCS)
    index = base.added([NEW]).removed([6]).compacted()
    assert len(index.segments) == 1
    assert index.stats.rows == base.stats.rows


def test_saved_and_loaded_index_answers_the_same(tmp_path: Path) -> None:
    index = LexicalIndex.build(DOCS).added([NEW]).removed([2])
    index.save(tmp_path / "lexical", "fp-1")
    loaded = LexicalIndex.load(tmp_path / "lexical")
    assert loaded is not None and loaded[1] == "fp-1"
    for q in ("năng lực cạnh tranh", "tuyên truyền", "ho so truc tuyen"):
        assert loaded[0].search(q, 10) == index.search(q, 10)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing"])
def test_a_damaged_saved_index_is_ignored(tmp_path: Path, damage: str) -> None:
    LexicalIndex.build(DOCS).save(tmp_path / "lexical")
    data = tmp_path / "lexical" / "segment-0.data.npy"
    if damage == "garbage":
        data.write_bytes(b"broken")
    elif damage == "truncated":  # a valid array file with fewer weights than the rows say
        np.save(data, np.load(data)[:-3])
    else:
        data.unlink()
    assert LexicalIndex.load(tmp_path / "lexical") is None


def test_a_loaded_index_maps_its_files_and_outlives_a_new_save(tmp_path: Path) -> None:
    """Processes on one host share the saved index through the page cache; a later save (another
    worker's) replaces the folder without breaking an index already loaded from it."""
    folder = tmp_path / "lexical"
    LexicalIndex.build(DOCS).save(folder)
    loaded = LexicalIndex.load(folder)
    assert loaded is not None
    index = loaded[0]
    m = index.segments[0].matrix
    assert isinstance(m.data.base, np.memmap) or isinstance(getattr(m.data.base, "base", None), np.memmap)
    assert not m.data.flags.writeable  # versions never write into a shared file
    before = index.search("hồ sơ trực tuyến toàn trình", 5)
    LexicalIndex.build(DOCS[:2]).save(folder)  # the files it mapped are replaced
    assert index.search("hồ sơ trực tuyến toàn trình", 5) == before
    grown = index.added([NEW]).removed([3])  # changes copy, they do not write the mapped arrays
    assert ids(grown, "năng lực cạnh tranh")[0] == 6
    assert 3 not in ids(grown, "hồ sơ trực tuyến toàn trình")
    merged = grown.merged()
    assert len(merged.segments) == 1 and ids(merged, "năng lực cạnh tranh")[0] == 6
    assert index.search("hồ sơ trực tuyến toàn trình", 5) == before


@pytest.mark.parametrize("workers", [1, 2])
def test_a_parallel_build_equals_a_serial_one(workers: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import knowledge.search.features as lex
    import knowledge.search.segments as segmod

    monkeypatch.setattr(lex, "PARALLEL_MIN", 2)
    monkeypatch.setattr(lex, "CHUNK", 10)
    monkeypatch.setattr(lex, "BATCH", 7)
    monkeypatch.setattr(segmod, "SLICE", 50)
    monkeypatch.setattr(segmod, "SEGMENT_ROWS", 15)  # chunks of 10 rows stacked two by two
    many = [(i, f"Mục {i % 7}", f"{DOCS[i % 5][2]} Lần {i}.") for i in range(40)]
    a = LexicalIndex.build(many, workers=workers)
    b = LexicalIndex.build(many, workers=1)
    assert [len(s.ids) for s in a.segments] == [20, 20]  # stacked chunks, weighed with the whole batch's statistics
    monkeypatch.setattr(lex, "PARALLEL_MIN", 1000)
    one = LexicalIndex.build(many, workers=1)
    assert len(one.segments) == 1
    for q in ("cải cách hành chính", "chuyen doi so", "lần 17"):
        assert [i for i, _ in one.search(q, 10)] == [i for i, _ in b.search(q, 10)]
        assert [s for _, s in one.search(q, 10)] == pytest.approx([s for _, s in b.search(q, 10)])
    for q in ("cải cách hành chính", "chuyen doi so", "lần 17"):
        got, want = a.search(q, 10), b.search(q, 10)
        assert [i for i, _ in got] == [i for i, _ in want]
        assert [s for _, s in got] == pytest.approx([s for _, s in want])


def test_a_large_index_skips_features_most_passages_have(monkeypatch: pytest.MonkeyPatch) -> None:
    import knowledge.search.lexical as lexmod

    many = [*DOCS, *((10 + i, "Phụ lục", f"Cải cách hành chính: nội dung bổ sung số {i}.") for i in range(20))]
    index = LexicalIndex.build(many)
    full = dict(index.search("cải cách hành chính PAR INDEX", 30))
    monkeypatch.setattr(lexmod, "PRUNE_MIN_ROWS", 10)
    pruned = dict(index.search("cải cách hành chính PAR INDEX", 30))
    assert next(iter(pruned)) == 1  # the rare features still rank the passage that has them
    assert len(pruned) < len(full)  # the common ones ("cải cách hành chính") no longer score the rest
    assert index.search("cải cách hành chính", 5)  # a query of common features only is not emptied
