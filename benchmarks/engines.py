"""Candidate lexical engines compared on ALQAC with the same analyser (``analyze``/``query_text``):
mrr@10 with and without diacritics, build time, incremental add/remove of one document, query
p50/p95 and peak memory. Each engine runs in its own child process so its peak RSS is its own.

    .venv/bin/python benchmarks/engines.py [--alqac ../shared/eval/alqac] [--factor 1]
        [--engines scipy segments bm25s fts5 tantivy]

Every engine indexes the same eight feature fields (body/heading x syllable, bigram, folded
syllable, folded bigram) that ``analyze`` produces, and weights them by the same field/kind
weights, so differences come from the engine: its BM25 variant (tantivy and FTS5 fix k1=1.2,
b=0.75; FTS5 normalises by the whole row's length), its data structures and its update model.

The held-out "document" for the incremental figures is the ALQAC law whose article count is
closest to 120 (about a 50-page plan's passages). At ``--factor N`` the corpus is copied N times
(each copy's heading tagged, as in scale.py); mrr@10 is only reported at factor 1.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.text import QUESTION_STOP, analyze, fold_token, has_diacritics, query_text  # noqa: E402
from knowledge.search.lexical import LexicalIndex  # noqa: E402

KINDS = ("u", "b", "fu", "fb")
FIELDS = tuple(f"{t}{k}" for t in ("", "t") for k in KINDS)  # "u" ... "tfb"
K1, B, BIGRAM_W, FOLDED_W, TITLE_W = 0.4, 0.6, 1.3, 0.6, 0.2  # LexicalParams defaults


def field_weight(field: str) -> float:
    title = field.startswith("t")
    k = field[1:] if title else field
    w = BIGRAM_W if k in ("b", "fb") else 1.0
    w *= FOLDED_W if k in ("fu", "fb") else 1.0
    return w * (TITLE_W if title else 1.0)


Doc = tuple[int, str, str]  # (id, heading, text)
Feats = dict[str, list[str]]  # field -> tokens


def features(heading: str, text: str, cache: dict[str, Feats]) -> Feats:
    t = cache.get(heading)
    if t is None:
        a = analyze(heading)
        t = cache[heading] = {"tu": a.uni, "tb": a.bi, "tfu": a.funi, "tfb": a.fbi}
    a = analyze(text)
    return {"u": a.uni, "b": a.bi, "fu": a.funi, "fb": a.fbi} | t


def query_terms(q: str) -> list[tuple[str, str]]:
    """(kind, token) pairs of a question, as LexicalIndex.query_features picks its own terms (without
    the restored diacritics, heading scope and heading hints it adds: the engines compare BM25 variants)."""
    a = analyze(query_text(q))
    kinds = {"fu": a.funi, "fb": a.fbi} if not has_diacritics(q) else {"u": a.uni, "b": a.bi, "fu": a.funi, "fb": a.fbi}
    out = []
    for kind, toks in kinds.items():
        for tok in sorted(set(toks)):
            if kind.endswith("u") and fold_token(tok) in QUESTION_STOP:
                continue
            out.append((kind, tok))
    return out


# --------------------------------------------------------------------------- engines
class Engine:
    name = ""

    def build(self, rows: list[tuple[int, Feats]]) -> None: ...
    def add(self, rows: list[tuple[int, Feats]]) -> None: ...
    def remove(self, ids: list[int]) -> None: ...
    def search(self, terms: list[tuple[str, str]], k: int) -> list[int]: ...


class ScipyEngine(Engine):
    """One CSC matrix rebuilt on every change (how the index worked before issue 13: a full
    ``LexicalIndex.build``, one segment, after each ingest)."""

    name = "scipy"

    def __init__(self, docs: dict[int, Doc]) -> None:
        self.docs = dict(docs)
        self.index: Any = None

    def _rebuild(self) -> None:
        self.index = LexicalIndex.build(self.docs[i] for i in sorted(self.docs))

    def build(self, rows: list[tuple[int, Feats]]) -> None:
        self.live = {i for i, _ in rows}
        self.index = None
        self._rebuild_subset(self.live)

    def _rebuild_subset(self, ids: set[int]) -> None:
        full = self.docs
        self.docs = {i: full[i] for i in ids}
        self._rebuild()
        self.docs = full

    def add(self, rows: list[tuple[int, Feats]]) -> None:
        self.live |= {i for i, _ in rows}
        self._rebuild_subset(self.live)

    def remove(self, ids: list[int]) -> None:
        self.live -= set(ids)
        self._rebuild_subset(self.live)

    def search(self, terms: list[tuple[str, str]], k: int) -> list[int]:
        return [i for i, _ in self.index.search(self._q, k)]


class Bm25sEngine(Engine):
    """bm25s, one index per field, weighted sum of their score vectors; no incremental API."""

    name = "bm25s"

    def build(self, rows: list[tuple[int, Feats]]) -> None:
        import bm25s

        self.rows = dict(rows)
        ids = sorted(self.rows)
        self.ids = np.asarray(ids)
        self.fields = {}
        for f in FIELDS:
            r = bm25s.BM25(k1=K1, b=B, method="lucene")
            r.index([self.rows[i][f] for i in ids], show_progress=False)
            self.fields[f] = r

    def add(self, rows: list[tuple[int, Feats]]) -> None:
        self.build(list(self.rows.items()) + rows)

    def remove(self, ids: list[int]) -> None:
        gone = set(ids)
        self.build([(i, f) for i, f in self.rows.items() if i not in gone])

    def search(self, terms: list[tuple[str, str]], k: int) -> list[int]:
        total = np.zeros(len(self.ids), dtype=np.float32)
        for prefix in ("", "t"):
            for kind in KINDS:
                f = prefix + kind
                r = self.fields[f]
                toks = [t for kk, t in terms if kk == kind and t in r.vocab_dict]
                if toks:
                    total += field_weight(f) * r.get_scores(toks)
        return top_ids(total, self.ids, k)


class Fts5Engine(Engine):
    """SQLite FTS5, one column per field, bm25() with column weights (k1=1.2, b=0.75 fixed)."""

    name = "fts5"

    def build(self, rows: list[tuple[int, Feats]]) -> None:
        self.tmp = tempfile.mkdtemp()
        self.db = sqlite3.connect(os.path.join(self.tmp, "fts.db"))
        cols = ", ".join(f"c_{f}" for f in FIELDS)
        self.db.execute(f"CREATE VIRTUAL TABLE fts USING fts5({cols}, tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\")")
        self._insert(rows)
        self.weights = ", ".join(str(field_weight(f)) for f in FIELDS)

    def _insert(self, rows: list[tuple[int, Feats]]) -> None:
        marks = ", ".join("?" for _ in range(len(FIELDS) + 1))
        self.db.executemany(
            f"INSERT INTO fts(rowid, {', '.join(f'c_{f}' for f in FIELDS)}) VALUES ({marks})",
            ([i, *(" ".join(feats[f]) for f in FIELDS)] for i, feats in rows),
        )
        self.db.commit()

    def add(self, rows: list[tuple[int, Feats]]) -> None:
        self._insert(rows)

    def remove(self, ids: list[int]) -> None:
        self.db.executemany("DELETE FROM fts WHERE rowid = ?", ((i,) for i in ids))
        self.db.commit()

    def search(self, terms: list[tuple[str, str]], k: int) -> list[int]:
        parts = [f'{{c_{kind} c_t{kind}}} : "{tok}"' for kind, tok in terms]
        if not parts:
            return []
        sql = f"SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, {self.weights}) LIMIT {k}"
        return [r[0] for r in self.db.execute(sql, (" OR ".join(parts),))]


class TantivyEngine(Engine):
    """tantivy (Rust, segments with deletions, background merges), one text field per feature."""

    name = "tantivy"

    def build(self, rows: list[tuple[int, Feats]]) -> None:
        import tantivy

        self.tv = tantivy
        sb = tantivy.SchemaBuilder()
        sb.add_integer_field("pid", stored=True, indexed=True, fast=True)
        for f in FIELDS:
            sb.add_text_field(f, tokenizer_name="ws", index_option="freq")
        self.schema = sb.build()
        self.tmp = tempfile.mkdtemp()
        self.index = tantivy.Index(self.schema, path=self.tmp)
        self.index.register_tokenizer("ws", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
        self.writer = self.index.writer(heap_size=256_000_000, num_threads=2)
        self._insert(rows)

    def _insert(self, rows: list[tuple[int, Feats]]) -> None:
        for i, feats in rows:
            doc = self.tv.Document(pid=i, **{f: " ".join(feats[f]) for f in FIELDS})
            self.writer.add_document(doc)
        self._commit()

    def _commit(self) -> None:
        self.writer.commit()
        self.index.reload()
        self.searcher = self.index.searcher()

    def add(self, rows: list[tuple[int, Feats]]) -> None:
        self._insert(rows)

    def remove(self, ids: list[int]) -> None:
        for i in ids:
            self.writer.delete_documents_by_term("pid", i)
        self._commit()

    def search(self, terms: list[tuple[str, str]], k: int) -> list[int]:
        tv = self.tv
        clauses = []
        for kind, tok in terms:
            for f in (kind, "t" + kind):
                q = tv.Query.term_query(self.schema, f, tok)
                clauses.append((tv.Occur.Should, tv.Query.boost_query(q, field_weight(f))))
        if not clauses:
            return []
        hits = self.searcher.search(tv.Query.boolean_query(clauses), k).hits
        return [self.searcher.doc(addr)["pid"][0] for _, addr in hits]


class SegmentsEngine(Engine):
    """Our segmented index: immutable CSC segments, a live mask, idf at query time."""

    name = "segments"

    def __init__(self, docs: dict[int, Doc]) -> None:
        self.docs = docs

    def build(self, rows: list[tuple[int, Feats]]) -> None:
        self.index = LexicalIndex.build(self.docs[i] for i, _ in rows)

    def add(self, rows: list[tuple[int, Feats]]) -> None:
        self.index = self.index.added(self.docs[i] for i, _ in rows)

    def remove(self, ids: list[int]) -> None:
        self.index = self.index.removed(ids)

    def search(self, terms: list[tuple[str, str]], k: int) -> list[int]:
        return [i for i, _ in self.index.search(self._q, k)]


ENGINES: dict[str, Callable[[dict[int, Doc]], Engine]] = {
    "scipy": ScipyEngine,
    "segments": SegmentsEngine,
    "bm25s": lambda docs: Bm25sEngine(),
    "fts5": lambda docs: Fts5Engine(),
    "tantivy": lambda docs: TantivyEngine(),
}


def top_ids(scores: np.ndarray, ids: np.ndarray, k: int) -> list[int]:
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [int(ids[i]) for i in top if scores[i] > 0]


# --------------------------------------------------------------------------- measurement
def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def corpus(base: Path, factor: int) -> tuple[dict[int, Doc], list[str], list[int]]:
    """Documents by row id, ALQAC ids of the first copy, and the held-out document's rows."""
    raw = load(base / "corpus.jsonl")
    ext = [d["id"] for d in raw]
    laws = Counter(e.split("#")[0] for e in ext)
    held_law = min(laws, key=lambda law: abs(laws[law] - 120))
    docs: dict[int, Doc] = {}
    held: list[int] = []
    for copy in range(factor):
        for j, d in enumerate(raw):
            n = copy * len(raw) + j
            docs[n] = (n, d.get("title", "") + (f" bản {copy}" if copy else ""), d["text"])
            if copy == factor - 1 and ext[j].split("#")[0] == held_law:
                held.append(n)
    return docs, ext, held


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def mrr(engine: Engine, questions: list[dict[str, Any]], ext: list[str]) -> tuple[float, list[float]]:
    rr, lat = [], []
    for q in questions:
        terms = query_terms(q["question"])
        engine._q = q["question"]  # type: ignore[attr-defined]  # engines that take the raw query
        t = time.perf_counter()
        got = engine.search(terms, 10)
        lat.append((time.perf_counter() - t) * 1000)
        gold = set(q["relevant_ids"])
        ranks = [pos for pos, i in enumerate(got[:10], 1) if i < len(ext) and ext[i] in gold]
        rr.append(1.0 / ranks[0] if ranks else 0.0)
    return float(np.mean(rr)), lat


def run_one(name: str, base: Path, factor: int) -> dict[str, Any]:
    docs, ext, held = corpus(base, factor)
    t0 = time.perf_counter()
    cache: dict[str, Feats] = {}
    feats = {i: features(h, t, cache) for i, (_, h, t) in docs.items()}
    analysis_s = time.perf_counter() - t0
    rss0 = rss_mb()
    engine = ENGINES[name](docs)
    held_set = set(held)
    base_rows = [(i, f) for i, f in feats.items() if i not in held_set]
    held_rows = [(i, feats[i]) for i in held]
    t = time.perf_counter()
    engine.build(base_rows)
    build_s = time.perf_counter() - t
    probe = query_terms(docs[held[0]][2][:200])
    engine._q = docs[held[0]][2][:200]  # type: ignore[attr-defined]
    t = time.perf_counter()
    engine.add(held_rows)
    found = engine.search(probe, 10)
    add_s = time.perf_counter() - t
    assert held[0] in found, f"{name}: the added document is not found"
    out: dict[str, Any] = {"engine": name, "factor": factor, "passages": len(docs), "held_out": len(held)}
    lat_all: list[float] = []
    for qname, key in (("dev_questions.jsonl", "mrr@10"), ("dev_questions_nodiacritics.jsonl", "mrr@10_nodiac")):
        m, lat = mrr(engine, load(base / qname), ext)
        lat_all += lat
        if factor == 1:
            out[key] = round(m, 4)
    t = time.perf_counter()
    engine.remove(held)
    engine._q = docs[held[0]][2][:200]  # type: ignore[attr-defined]
    gone = held[0] not in engine.search(probe, 10)
    remove_s = time.perf_counter() - t
    assert gone, f"{name}: the removed document is still found"
    out |= {
        "analysis_s": round(analysis_s, 2), "build_s": round(build_s, 2), "add_doc_s": round(add_s, 3),
        "remove_doc_s": round(remove_s, 3), "p50_ms": round(float(np.percentile(lat_all, 50)), 2),
        "p95_ms": round(float(np.percentile(lat_all, 95)), 2), "rss_after_analysis_mb": round(rss0),
        "peak_rss_mb": round(rss_mb()),
    }
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alqac", default=str(_default_alqac()))
    ap.add_argument("--factor", type=int, default=1)
    ap.add_argument("--engines", nargs="+", default=["scipy", "segments", "bm25s", "fts5", "tantivy"])
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, Path(args.alqac), args.factor)), flush=True)
        return 0
    for name in args.engines:
        cmd = [sys.executable, __file__, "--alqac", args.alqac, "--factor", str(args.factor), "--child", name]
        res = subprocess.run(cmd, capture_output=True, text=True)
        line = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else json.dumps({"engine": name, "error": res.stderr.strip().splitlines()[-1:]})
        print(line, flush=True)
    return 0


def _default_alqac() -> Path:
    for up in ROOT.parents:
        if (up / "shared" / "eval" / "alqac").is_dir():
            return up / "shared" / "eval" / "alqac"
    return ROOT.parent / "shared" / "eval" / "alqac"


if __name__ == "__main__":
    sys.exit(main())

