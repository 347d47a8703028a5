"""``cchc doctor``: each part of the installation with a plain verdict."""

from __future__ import annotations

import importlib.util
import logging
from typing import TYPE_CHECKING, Any

from core.errors import CchcError
from core.settings import Settings, load_settings

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from knowledge.store.db import Database


def _check(name: str, ok: bool, verdict: str) -> dict[str, Any]:
    return {"name": name, "ok": ok, "verdict": verdict}


def _llm_check(settings: Settings) -> dict[str, Any]:
    """Generated answers: off, or the endpoint's state and the share of answers that fell back."""
    llm = settings.llm
    if not llm.enabled:
        extra = f" (đã khai báo {llm.base_url}; bật bằng llm.enabled: true)" if llm.base_url else ""
        return _check("llm", True, "không dùng LLM: câu trả lời trích xuất nguyên văn, không cần mạng" + extra)
    if importlib.util.find_spec("langchain_openai") is None:
        return _check("llm", False, "llm.enabled nhưng thiếu gói: pip install -e '.[llm]' (đang dùng câu trả lời trích xuất)")
    from knowledge.answers.generate import probe
    from knowledge.answers.llm_stage import STATS_FILE, OutcomeStats

    ok, verdict = probe(llm)
    stats = OutcomeStats.load(settings.home / STATS_FILE)
    if stats.total:
        reasons = ", ".join(f"{k}: {v}" for k, v in stats.fallbacks.most_common())
        verdict += (
            f"; mô hình {llm.model or '?'}, thời hạn {llm.timeout_s:g} s; {stats.generated}/{stats.total} câu trả lời diễn giải"
            f" đã kiểm tra, {stats.fallback_rate():.0%} quay về trích xuất" + (f" ({reasons})" if reasons else "")
        )
    else:
        verdict += f"; mô hình {llm.model or '?'}, thời hạn {llm.timeout_s:g} s; chưa có câu trả lời nào"
    return _check("llm", ok, verdict)


def _facts_check(settings: Settings, db: Database) -> dict[str, Any]:
    """Documents whose derived facts (tasks, index results) were never completed, e.g. after a crash."""
    from knowledge.service import Knowledge

    missing = Knowledge(settings, db).facts_status()
    if not missing:
        return _check("facts", True, "mọi văn bản đã có đủ dữ kiện suy ra (nhiệm vụ, kết quả chỉ số)")
    names = ", ".join(missing[:5]) + (f" và {len(missing) - 5} văn bản khác" if len(missing) > 5 else "")
    return _check(
        "facts", False,
        f"{len(missing)} văn bản thiếu dữ kiện suy ra ({names}); chạy 'cchc documents rebuild' (hoặc nạp lại)",
    )


def run_checks(config: str | None = None) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []
    try:
        settings = load_settings(config)
    except CchcError as exc:
        return [_check("config", False, exc.user_message)]
    checks.append(_check("config", True, f"đọc được; tỉnh: {settings.province}; thư mục dữ liệu: {settings.home}"))
    from core.private import is_private

    private_before = is_private(settings.home)  # opening the database tightens it
    from knowledge.store import documents as store
    from knowledge.store.db import Database, engine_label

    try:
        db = Database(settings.database_url)
    except CchcError as exc:
        checks.append(_check("database", False, exc.user_message))
        return checks
    docs = store.list_documents(db)
    checks.append(_check("database", True, f"{engine_label(settings.database_url)}; {len(docs)} tài liệu"))
    from knowledge.search.keeper import saved_documents
    from knowledge.store import generation

    saved = saved_documents(settings.index_dir / "lexical")
    _gen, stored = generation.snapshot(db)
    if not docs:
        checks.append(_check("index", False, "chưa có tài liệu: chạy 'cchc ingest data/corpus'"))
    elif saved is None:
        checks.append(_check("index", True, "chưa có chỉ mục trên đĩa; sẽ được dựng ở câu hỏi đầu tiên"))
    else:
        new, gone = len(stored.keys() - saved.keys()), len(saved.keys() - stored.keys())
        state = "khớp với kho" if not new and not gone else (
            f"kém kho {new} tài liệu mới, {gone} tài liệu đã xóa: mỗi tiến trình tự cập nhật phần chênh lệch")
        checks.append(_check("index", True, f"chỉ mục từ vựng (BM25) trên đĩa: {len(saved)} tài liệu; {state}"))
    checks.append(_facts_check(settings, db))
    model = settings.embedding.model
    if not model:
        checks.append(_check("embedding", True, "không cấu hình mô hình nhúng: chỉ truy hồi từ vựng (mặc định ngoại tuyến)"))
    elif importlib.util.find_spec("sentence_transformers") is None or importlib.util.find_spec("chromadb") is None:
        checks.append(_check("embedding", False, f"đã cấu hình '{model}' nhưng thiếu gói: pip install '.[dense]'"))
    else:
        try:
            from knowledge.search.dense import load_model

            st = load_model(model, settings.embedding.device)
            dim_fn = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
            dim = dim_fn()
            checks.append(_check("embedding", True, f"mô hình '{model}' nạp được (số chiều {dim}); truy hồi kết hợp"))
        except Exception as exc:  # loading a model can fail in many ways
            checks.append(_check("embedding", False, f"không nạp được '{model}': {exc}"))
    checks.append(_llm_check(settings))
    for chan, section in settings.channel_sections().items():
        checks.append(_check(chan, True, "có token (từ biến môi trường)" if section.enabled else "chưa cấu hình token: kênh tắt"))
    checks.append(_access_check(settings, db, private_before))
    db.dispose()
    return checks


def _access_check(settings: Any, db: Any, private_before: bool) -> dict[str, Any]:
    """Was the state folder private, and which group chats may use the bot (docs/security.md)."""
    from knowledge.store.groups import Groups

    groups = Groups(db).list()
    where = ", ".join(g.key for g in groups) if groups else "không nhóm nào (mặc định)"
    if not private_before:
        return _check("access", False, f"thư mục dữ liệu {settings.home} người khác đọc được; đã đặt lại quyền "
                      "0700/0600 cho nó và các mục trực tiếp bên trong, hãy kiểm tra bản sao lưu và quyền thư mục cha")
    return _check("access", True, f"thư mục dữ liệu chỉ chủ sở hữu đọc được; nhóm chat được phép: {where}")
