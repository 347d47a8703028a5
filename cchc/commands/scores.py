"""``cchc scores`` (list, import) and ``cchc summary``: thin wrappers over the knowledge door."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from cchc.app import AppContext
from cchc.output import emit
from core.errors import CchcError, ImportRowsError
from core.indices import INDEX_CODES

logger = logging.getLogger(__name__)


@click.group(name="scores", invoke_without_command=True)
@click.option("--index", "index", default=None, help=" | ".join(INDEX_CODES))
@click.option("--year", type=int, default=None)
@click.option("--province", default=None)
@click.option("--field", "field_name", default=None, help="lĩnh vực / thành phần (một phần tên)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def scores(ctx: click.Context, index: str | None, year: int | None, province: str | None, field_name: str | None,
           as_json: bool) -> None:
    """Kết quả các chỉ số (PAR INDEX, SIPAS, PAPI, PCI, ICT INDEX) đã trích xuất hoặc nhập."""
    if ctx.invoked_subcommand is not None:
        return
    app: AppContext = ctx.obj
    kn = app.knowledge
    rows = kn.scores(index=index, year=year, province=province, field_name=field_name)
    if as_json:
        emit({"results": rows, "targets": kn.score_targets(province=province, index=index)})
        return
    if not rows:
        click.echo("Không có kết quả chỉ số phù hợp.")
        return
    for r in rows:
        name = r["index_label"] + (f" / {r['field']}" if r["field"] else "")
        rank = f"{r['rank']}/{r['rank_of']}" if r["rank"] is not None else "-"
        score = f"{r['score']}/{r['max_score']}" if r["score"] is not None else "-"
        change = f"{r['rank_change']:+d}" if r["rank_change"] is not None else ""
        flags = (" (suy ra)" if r["derived"] else "") + (" ⚠ mâu thuẫn nguồn" if r["conflict"] else "")
        click.echo(f"{r['province']} {r['year']} {name}: hạng {rank} {change} điểm {score}{flags} — {r['source']}")


@scores.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def scores_import(app: AppContext, file: Path, as_json: bool) -> None:
    """Nhập kết quả chỉ số từ tệp CSV hoặc XLSX (tất cả các dòng hoặc không dòng nào)."""
    try:
        report = app.knowledge.import_scores(file)
    except ImportRowsError as exc:
        if as_json:
            emit({"file": file.name, "imported": 0, "errors": exc.problems})
        click.echo(f"Lỗi: {exc}", err=True)
        sys.exit(1)
    except CchcError:
        raise
    if as_json:
        emit(report.as_dict())
    else:
        click.echo(f"Đã nhập {report.imported} dòng từ {report.file} (thay thế {report.replaced} dòng cũ).")


@click.command(name="summary")
@click.argument("args", nargs=-1)
@click.option("--year", type=int, default=None)
@click.option("--province", default=None)
@click.option("--index", "index", default=None, help=" | ".join(INDEX_CODES))
@click.option("--chart", "chart", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="ghi biểu đồ PNG vào tệp này")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def summary(app: AppContext, args: tuple[str, ...], year: int | None, province: str | None, index: str | None,
            chart: Path | None, as_json: bool) -> None:
    """Tóm tắt kết quả chỉ số cho lãnh đạo (như lệnh /diem của bot)."""
    s = app.knowledge.summary(args=" ".join(args), year=year, province=province, index=index,
                              chart=chart is not None)
    chart_path = None
    if chart is not None and s.chart_png:
        chart.parent.mkdir(parents=True, exist_ok=True)
        chart.write_bytes(s.chart_png)
        chart_path = str(chart)
    if as_json:
        out = s.as_dict()
        out["chart"] = chart_path
        emit(out)
    else:
        click.echo(s.text)
        if chart_path:
            click.echo(f"\nBiểu đồ: {chart_path}", err=True)
    if not s.found:
        sys.exit(1)


COMMANDS = [scores, summary]
