"""``cchc ingest|ask|search|eval retrieval|doctor|chat``: the knowledge commands."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from cchc.app import AppContext
from cchc.output import emit
from core.errors import CchcError

logger = logging.getLogger(__name__)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def ingest(app: AppContext, paths: tuple[Path, ...], as_json: bool) -> None:
    """Nạp tài liệu (TXT, MD, HTML, DOCX, PDF) hoặc thư mục."""
    report = app.knowledge.ingest(list(paths))
    if as_json:
        emit(report.as_dict())
    else:
        click.echo(f"Đã nạp: {len(report.ingested)}, bỏ qua (không đổi): {len(report.skipped)}, lỗi: {len(report.failed)}")
        if report.repaired:
            click.echo(f"Đã dựng lại dữ kiện (nhiệm vụ, kết quả chỉ số) còn thiếu của {len(report.repaired)} văn bản.")
        for f in report.failed:
            click.echo(f"  Lỗi: {f['error']}", err=True)
    if report.failed:  # some files were not ingested: the run did not do all it was asked
        sys.exit(1)


@click.command()
@click.argument("question", required=False)
@click.option("--file", "qfile", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="one question per line")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def ask(app: AppContext, question: str | None, qfile: Path | None, as_json: bool) -> None:
    """Hỏi một câu (hoặc --file: mỗi dòng một câu, ra JSON Lines)."""
    from bot.formatting import format_answer
    from core.errors import QuestionError

    if (question is None) == (qfile is None):
        raise click.UsageError("cần một câu hỏi hoặc --file TỆP (không dùng cả hai)")
    kn = app.knowledge
    if qfile is not None:
        try:
            lines = qfile.read_text(encoding="utf-8-sig").splitlines()
        except UnicodeDecodeError as exc:
            raise CchcError(f"{qfile.name}: tệp câu hỏi phải là văn bản UTF-8, mỗi dòng một câu") from exc
        for line in lines:
            try:
                ans = kn.ask(line).as_dict()
            except QuestionError as exc:
                ans = {"question": line, "answer": exc.user_message, "refused": True, "citations": [], "took_ms": 0.0}
            if as_json:
                emit(ans)
            else:
                click.echo(f"? {line}\n{ans['answer']}\n")
        return
    assert question is not None
    answer = kn.ask(question)
    if as_json:
        emit(answer.as_dict())
    else:
        click.echo(format_answer(answer))


@click.command()
@click.argument("query")
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def search(app: AppContext, query: str, k: int, as_json: bool) -> None:
    """Tìm các đoạn văn liên quan."""
    hits = app.knowledge.search(query, k)
    results: list[dict[str, Any]] = [
        {"rank": h.rank, "score": round(h.score, 4), "source": h.passage.source, "document": h.passage.document,
         "section": h.passage.section, "text": h.passage.text}
        for h in hits
    ]
    if as_json:
        emit({"query": query, "results": results})
    else:
        for r in results:
            click.echo(f"{r['rank']}. [{r['score']:.2f}] {r['source']} | {r['section']}\n   {r['text'][:200]}")


@click.group(name="eval")
def eval_group() -> None:
    """Đánh giá chất lượng truy hồi."""


@eval_group.command("retrieval")
@click.option("--corpus", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--questions", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--dense-model", default=None, help="also fuse a dense leg with this sentence-transformers model")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def eval_retrieval_cmd(app: AppContext, corpus: Path, questions: Path, k: int, dense_model: str | None, as_json: bool) -> None:
    """Build a throw-away index over CORPUS and score QUESTIONS (recall@k, mrr@10, latency)."""
    from knowledge.search.evaluation import eval_retrieval
    from knowledge.search.lexical import LexicalParams

    s = app.settings
    dense = None
    if dense_model:
        from knowledge.search.dense import InMemoryDense

        dense = InMemoryDense(dense_model, device=s.embedding.device)
    params = LexicalParams.from_settings(s.retrieval)  # the same pipeline the bot uses
    out = eval_retrieval(corpus, questions, k=k, params=params, dense=dense, dense_weight=s.retrieval.dense_weight if dense else 0.0)
    if as_json:
        emit(out)
    else:
        for key, val in out.items():
            click.echo(f"{key}: {val}")


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def doctor(app: AppContext, as_json: bool) -> None:
    """Kiểm tra cấu hình, cơ sở dữ liệu, chỉ mục, mô hình nhúng và LLM."""
    from cchc.doctor import run_checks

    checks = run_checks(app.config)
    if as_json:
        emit({"checks": checks, "ok": all(c["ok"] for c in checks)})
    else:
        for c in checks:
            click.echo(f"[{'OK' if c['ok'] else 'LỖI'}] {c['name']}: {c['verdict']}")
    if not all(c["ok"] for c in checks):
        sys.exit(1)


@click.command()
@click.pass_obj
def chat(app: AppContext) -> None:
    """Trò chuyện trong terminal (cùng câu lệnh và câu trả lời như bot)."""
    from bot.terminal import run_terminal_chat

    run_terminal_chat(app.knowledge, reminders=app.reminders)



COMMANDS = [ingest, ask, search, eval_group, doctor, chat]
