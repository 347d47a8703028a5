"""``cchc documents list|remove|rebuild``: the stored documents, one at a time or all at once."""

from __future__ import annotations

import logging

import click

from cchc.app import AppContext
from cchc.output import emit

logger = logging.getLogger(__name__)


@click.group("documents")
def documents_group() -> None:
    """Văn bản đã nạp: xem, xoá, dựng lại dữ kiện và chỉ mục."""


@documents_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_cmd(app: AppContext, as_json: bool) -> None:
    """Liệt kê văn bản đã nạp (mã, tên nguồn, số đoạn)."""
    docs = app.knowledge.documents()
    if as_json:
        emit({"documents": docs})
        return
    if not docs:
        click.echo("Chưa có văn bản nào. Nạp bằng: cchc ingest THƯ-MỤC")
    for d in docs:
        click.echo(f"{d['id']:>5}  {d['source']}  ({d['passages']} đoạn)  {d['title']}")


@documents_group.command("remove")
@click.argument("ident", metavar="ID|SOURCE")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def remove_cmd(app: AppContext, ident: str, as_json: bool) -> None:
    """Xoá một văn bản (theo mã hoặc tên nguồn) cùng các đoạn, nhiệm vụ, kết quả chỉ số và mục chỉ mục."""
    removed = app.knowledge.remove_document(ident)
    if as_json:
        emit({"removed": removed})
    else:
        click.echo(
            f"Đã xoá {removed['source']} (mã {removed['id']}): {removed['passages']} đoạn, {removed['tasks']} nhiệm vụ."
        )


@documents_group.command("rebuild")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def rebuild_cmd(app: AppContext, as_json: bool) -> None:
    """Dựng lại mọi dữ kiện suy ra (nhiệm vụ, kết quả chỉ số) và chỉ mục tìm kiếm từ văn bản đã lưu."""
    out = app.knowledge.rebuild()
    if as_json:
        emit(out)
    else:
        click.echo(f"Đã dựng lại dữ kiện và chỉ mục cho {out['documents']} văn bản ({out['passages']} đoạn).")


COMMANDS = [documents_group]
