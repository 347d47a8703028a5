"""``cchc groups allow|list|revoke``: the group chats the bot may listen in (none by default)."""

from __future__ import annotations

import logging

import click

from cchc.app import AppContext
from cchc.output import emit
from knowledge.store.groups import CHANNELS, parse_group

logger = logging.getLogger(__name__)

CHAT_HELP = "mã nhóm, vd telegram:-1001234567890 (bot báo mã này khi được gọi trong một nhóm chưa được phép)"


@click.group("groups")
def groups_group() -> None:
    """Nhóm chat được phép dùng trợ lý. Mặc định trợ lý không trả lời trong nhóm nào."""


@groups_group.command("allow")
@click.argument("chat_id")
@click.option("--channel", type=click.Choice(CHANNELS), default=None, help="kênh, khi CHAT_ID không có tiền tố")
@click.option("--note", default=None, help="ghi chú, vd tên nhóm")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def allow_cmd(app: AppContext, chat_id: str, channel: str | None, note: str | None, as_json: bool) -> None:
    """Cho phép nhóm CHAT_ID. Câu trả lời vẫn chỉ gửi riêng cho người dùng đã đăng ký."""
    ch, chat = parse_group(chat_id, channel)
    info = app.knowledge.accounts.groups.allow(ch, chat, note=note, by="cli")
    if as_json:
        emit(info.as_dict())
    else:
        click.echo(f"Đã cho phép nhóm {info.key}. Trợ lý trả lời riêng cho thành viên đã đăng ký khi được gọi trong nhóm.")


@groups_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_cmd(app: AppContext, as_json: bool) -> None:
    """Liệt kê các nhóm được phép."""
    groups = app.knowledge.accounts.groups.list()
    if as_json:
        emit({"groups": [g.as_dict() for g in groups]})
        return
    if not groups:
        click.echo("Chưa có nhóm nào được phép.")
    for g in groups:
        click.echo(f"{g.key} | {g.note or '-'} | cho phép lúc {g.allowed_at:%d/%m/%Y %H:%M} (UTC)")


@groups_group.command("revoke")
@click.argument("chat_id")
@click.option("--channel", type=click.Choice(CHANNELS), default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def revoke_cmd(app: AppContext, chat_id: str, channel: str | None, as_json: bool) -> None:
    """Thôi cho phép nhóm CHAT_ID."""
    ch, chat = parse_group(chat_id, channel)
    app.knowledge.accounts.groups.revoke(ch, chat)
    if as_json:
        emit({"group": f"{ch}:{chat}", "revoked": True})
    else:
        click.echo(f"Đã thôi cho phép nhóm {ch}:{chat}.")


COMMANDS = [groups_group]
