"""The ``cchc`` command line: thin wrappers over the library.

Every command with ``--json`` prints exactly one JSON document on stdout; logs go to stderr.
Exit status: 0 success, 1 user error (clear message on stderr), 2 usage error.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from cchc import logs
from cchc.errors import CchcError
from cchc.settings import Settings, load_settings

logger = logging.getLogger(__name__)


class AppContext:
    """Lazily built services, shared by the sub-commands of one invocation."""

    def __init__(self, config: str | None, verbose: bool) -> None:
        self.config = config
        self.verbose = verbose
        self._settings: Settings | None = None
        self._knowledge: Any = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
            level = "DEBUG" if self.verbose else self._settings.log_level
            logs.configure(level, self._settings.log_file)
        return self._settings

    @property
    def knowledge(self) -> Any:
        if self._knowledge is None:
            from knowledge.service import Knowledge

            self._knowledge = Knowledge(self.settings)
        return self._knowledge


def emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", default=None, help="config.yaml path (default: CCHC_CONFIG or ./config.yaml)")
@click.option("-v", "--verbose", is_flag=True, help="debug logging on stderr")
@click.version_option(package_name="tro-ly-cchc")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: bool) -> None:
    """Trợ lý CCHC: hỏi đáp tài liệu cải cách hành chính, nhắc hạn, tóm tắt chỉ số."""
    ctx.obj = AppContext(config, verbose)


# ---------------------------------------------------------------------- knowledge
@cli.command()
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
        for f in report.failed:
            click.echo(f"  Lỗi: {f['error']}", err=True)
    if report.failed and not report.ingested and not report.skipped:
        sys.exit(1)


@cli.command()
@click.argument("question", required=False)
@click.option("--file", "qfile", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="one question per line")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def ask(app: AppContext, question: str | None, qfile: Path | None, as_json: bool) -> None:
    """Hỏi một câu (hoặc --file: mỗi dòng một câu, ra JSON Lines)."""
    from bot.formatting import format_answer
    from cchc.errors import QuestionError

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
    ans = kn.ask(question)
    if as_json:
        emit(ans.as_dict())
    else:
        click.echo(format_answer(ans))


@cli.command()
@click.argument("query")
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def search(app: AppContext, query: str, k: int, as_json: bool) -> None:
    """Tìm các đoạn văn liên quan."""
    hits = app.knowledge.search(query, k)
    results = [
        {"rank": h.rank, "score": round(h.score, 4), "source": h.passage.source, "document": h.passage.document,
         "section": h.passage.section, "text": h.passage.text}
        for h in hits
    ]
    if as_json:
        emit({"query": query, "results": results})
    else:
        for r in results:
            click.echo(f"{r['rank']}. [{r['score']:.2f}] {r['source']} | {r['section']}\n   {r['text'][:200]}")


@cli.group(name="eval")
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
    from knowledge.evaluation import eval_retrieval
    from knowledge.lexical import LexicalParams

    s = app.settings
    dense = None
    if dense_model:
        from knowledge.dense import InMemoryDense

        dense = InMemoryDense(dense_model, device=s.embedding.device)
    params = LexicalParams.from_settings(s.retrieval)  # the same pipeline the bot uses
    out = eval_retrieval(corpus, questions, k=k, params=params, dense=dense, dense_weight=s.retrieval.dense_weight if dense else 0.0)
    if as_json:
        emit(out)
    else:
        for key, val in out.items():
            click.echo(f"{key}: {val}")


@cli.command()
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


@cli.command()
@click.pass_obj
def chat(app: AppContext) -> None:
    """Trò chuyện trong terminal (cùng câu lệnh và câu trả lời như bot)."""
    from bot.terminal import run_terminal_chat

    run_terminal_chat(app.knowledge)


# Command groups owned by other modules: scores/summary, tasks/agencies, users/feedback/serve.
from cchc import cli_scores, cli_tasks, cli_users  # noqa: E402

for _command in (*cli_scores.COMMANDS, cli_tasks.tasks_group, cli_tasks.agencies_group, *cli_users.COMMANDS):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="cchc", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Đã hủy.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else 1)
    except CchcError as exc:
        click.echo(f"Lỗi: {exc.user_message}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:
        logger.exception("unexpected error")
        click.echo("Lỗi không mong đợi; xem nhật ký (.cchc/logs/cchc.log).", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
