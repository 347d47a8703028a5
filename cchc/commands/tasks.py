"""``cchc tasks extract|import|list|done|history`` and ``cchc agencies list|seed``: thin wrappers over
the knowledge door."""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from cchc.app import AppContext
from cchc.output import emit
from core.errors import ImportRowsError
from knowledge.tasks.views import TaskView, format_task_line

logger = logging.getLogger(__name__)


def _contract(t: TaskView) -> dict[str, Any]:
    d = t.as_dict()
    keys = ["id", "agency", "title", "due", "due_text", "recurrence", "status", "source", "section", "quote"]
    return {**{k: d[k] for k in keys}, **{k: v for k, v in d.items() if k not in keys}}


@click.group(name="tasks")
def tasks_group() -> None:
    """Nhiệm vụ: trích từ văn bản, nhập lịch công tác, xem danh sách."""


@tasks_group.command("extract")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def extract_cmd(app: AppContext, as_json: bool) -> None:
    """Trích nhiệm vụ từ các văn bản đã nạp (chạy lại được, giữ lịch sử trạng thái)."""
    kn = app.knowledge
    rep = kn.extract_tasks()
    tasks = [t for t in kn.list_tasks() if t.origin == "document"]
    if as_json:
        emit({"tasks": [_contract(t) for t in tasks], "report": rep.as_dict()})
    else:
        click.echo(f"Đã trích {len(tasks)} nhiệm vụ từ {rep.documents} văn bản "
                   f"(mới: {rep.added}, cập nhật: {rep.updated}, bỏ: {rep.removed}).")


@tasks_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def import_cmd(app: AppContext, file: Path, as_json: bool) -> None:
    """Nhập lịch công tác từ tệp .xlsx hoặc .csv (cập nhật theo cột Mã; lỗi thì không nhập dòng nào)."""
    try:
        rep = app.knowledge.import_schedule(file)
    except ImportRowsError as exc:
        if as_json:
            emit({"imported": False, "problems": exc.problems})
        click.echo(f"Lỗi: {exc.user_message}", err=True)
        sys.exit(1)
    if as_json:
        emit({"imported": True, **rep.as_dict()})
    else:
        click.echo(f"Đã nhập {rep.path}: {rep.rows} dòng (mới: {rep.added}, cập nhật: {rep.updated}, "
                   f"không đổi: {rep.unchanged}, dòng trống bỏ qua: {rep.skipped_blank}).")


@tasks_group.command("list")
@click.option("--agency", default=None, help="tên cơ quan (có thể viết tắt, không dấu)")
@click.option("--due-before", "due_before", default=None, help="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_cmd(app: AppContext, agency: str | None, due_before: str | None, as_json: bool) -> None:
    """Danh sách nhiệm vụ (lọc theo cơ quan, hạn)."""
    before = None
    if due_before:
        try:
            before = date.fromisoformat(due_before)
        except ValueError as exc:
            raise click.UsageError(f"--due-before phải có dạng YYYY-MM-DD, nhận được {due_before!r}") from exc
    kn = app.knowledge
    if agency and not as_json and before is None:
        click.echo(kn.tasks_for_agency(agency).text(limit=500))
        return
    tasks = kn.list_tasks(agency=agency, due_before=before)
    if as_json:
        emit({"tasks": [_contract(t) for t in tasks]})
    else:
        for t in tasks:
            click.echo(f"#{t.id} {format_task_line(t)}")
        if not tasks:
            click.echo("Không có nhiệm vụ nào phù hợp.")


@tasks_group.command("done")
@click.argument("task_id", type=int)
@click.option("--by", default="cli", show_default=True, help="người đánh dấu")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def done_cmd(app: AppContext, task_id: int, by: str, as_json: bool) -> None:
    """Đánh dấu một nhiệm vụ đã hoàn thành (ghi lịch sử)."""
    t = app.knowledge.mark_done(task_id, by=by, channel="cli")
    if as_json:
        emit({"task": _contract(t)})
    else:
        click.echo(f"Đã đánh dấu hoàn thành: #{t.id} {format_task_line(t)}")


@tasks_group.command("history")
@click.argument("task_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def history_cmd(app: AppContext, task_id: int, as_json: bool) -> None:
    """Lịch sử thay đổi trạng thái của một nhiệm vụ."""
    rows = app.knowledge.task_history(task_id)
    if as_json:
        emit({"task_id": task_id, "history": rows})
    else:
        for r in rows or []:
            click.echo(f"{r['at']}: {r['from'] or '-'} → {r['to']} (bởi {r['by']}, qua {r['channel']})")
        if not rows:
            click.echo("Chưa có thay đổi trạng thái.")


@click.group(name="agencies")
def agencies_group() -> None:
    """Danh mục cơ quan, đơn vị (tên gọi khác, nhóm, cơ quan kế thừa sau sắp xếp 2025)."""


@agencies_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def agencies_list_cmd(app: AppContext, as_json: bool) -> None:
    """Liệt kê các cơ quan trong danh mục."""
    rows = app.knowledge.agencies()
    if as_json:
        emit({"agencies": rows})
        return
    for r in rows:
        extra = f" → {r['successor']} (từ {r['effective']})" if r["successor"] else ""
        group = f" [nhóm: {', '.join(r['members'])}]" if r["members"] else ""
        click.echo(f"- {r['name']} ({r['level']}){extra}{group}")


@agencies_group.command("seed")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def agencies_seed_cmd(app: AppContext, file: Path | None, as_json: bool) -> None:
    """Nạp lại danh mục cơ quan từ tệp YAML (mặc định: danh mục đi kèm), giữ tên gọi khác đã thêm."""
    n = app.knowledge.seed_agencies(file)
    if as_json:
        emit({"seeded": n})
    else:
        click.echo(f"Đã nạp {n} cơ quan vào danh mục.")


COMMANDS = [tasks_group, agencies_group]
