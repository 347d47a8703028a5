"""CLI commands of the channels: ``users invite|list|revoke``, ``feedback export``, ``serve``."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from cchc.app import AppContext
from cchc.output import emit
from knowledge.store.accounts import parse_duration

logger = logging.getLogger(__name__)


@click.group("users")
def users_group() -> None:
    """Người dùng của bot: mời, liệt kê, thu hồi."""


@users_group.command("invite")
@click.option("--role", required=True, type=click.Choice(["official", "leader", "admin"]))
@click.option("--agency", default=None, help="cơ quan của người được mời (bắt buộc với official)")
@click.option("--expires", default=None, help="thời hạn mã, vd 7d, 12h, 2w (mặc định: access.invite_days; tối đa: access.invite_max_days)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def invite_cmd(app: AppContext, role: str, agency: str | None, expires: str | None, as_json: bool) -> None:
    """Tạo một mã mời dùng một lần."""
    ttl = parse_duration(expires) if expires else None
    inv = app.knowledge.accounts.create_invite(role, agency, expires=ttl, created_by="cli")
    if as_json:
        emit(inv.as_dict())
    else:
        click.echo(f"Mã mời: {inv.code}")
        click.echo(f"Vai trò: {role}" + (f", cơ quan: {inv.agency}" if inv.agency else ""))
        click.echo(f"Hết hạn: {inv.expires_at:%d/%m/%Y %H:%M} (UTC). Người dùng gửi cho bot: /dangky {inv.code}")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_cmd(app: AppContext, as_json: bool) -> None:
    """Liệt kê người dùng."""
    users = app.knowledge.accounts.list_users()
    if as_json:
        emit({"users": [u.as_dict() for u in users]})
        return
    if not users:
        click.echo("Chưa có người dùng nào.")
    for u in users:
        state = "hoạt động" if u.active else "đã thu hồi"
        click.echo(f"{u.id}. {u.key} {u.display_name or ''} | {u.role} | {u.agency or '-'} | {state}")


@users_group.command("revoke")
@click.argument("user")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def revoke_cmd(app: AppContext, user: str, as_json: bool) -> None:
    """Thu hồi quyền của USER (số id hoặc dạng telegram:12345)."""
    info = app.knowledge.accounts.revoke(user)
    if as_json:
        emit(info.as_dict())
    else:
        click.echo(f"Đã thu hồi quyền của {info.key}.")


@users_group.command("add")
@click.option("--channel", required=True, type=click.Choice(["telegram", "zalo"]))
@click.option("--user-id", "user_id", required=True, help="mã người dùng trên kênh")
@click.option("--chat-id", "chat_id", default=None, help="mã cuộc trò chuyện (Telegram: mặc định bằng user-id)")
@click.option("--role", required=True, type=click.Choice(["official", "leader", "admin"]))
@click.option("--agency", default=None, help="cơ quan (bắt buộc với official)")
@click.option("--name", default=None, help="họ tên (để khớp với cột Người phụ trách của lịch nhiệm vụ)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def add_cmd(app: AppContext, channel: str, user_id: str, chat_id: str | None, role: str, agency: str | None,
            name: str | None, as_json: bool) -> None:
    """Cấp quyền trực tiếp cho một người dùng (không cần mã mời)."""
    from knowledge.store.provisioning import NewUser, add_user

    info = add_user(app.knowledge.db, NewUser(channel, user_id, role, agency, chat_id, name))
    if as_json:
        emit(info.as_dict())
    else:
        click.echo(f"Đã cấp quyền {info.role} cho {info.key}" + (f" ({info.agency})." if info.agency else "."))


@users_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def import_cmd(app: AppContext, path: Path, as_json: bool) -> None:
    """Nhập danh sách người dùng từ CSV/XLSX (cột Kênh, Mã người dùng, Vai trò, Cơ quan, Mã trò chuyện, Họ tên)."""
    from knowledge.store.provisioning import import_users

    rep = import_users(app.knowledge.db, path)
    if as_json:
        emit(rep.as_dict())
    else:
        click.echo(f"Đã nhập {len(rep.added)} người dùng từ {rep.path}.")


@click.group("feedback")
def feedback_group() -> None:
    """Góp ý 👍/👎 của người dùng về câu trả lời."""


@feedback_group.command("export")
@click.option("--rated-only", is_flag=True, help="chỉ các câu trả lời đã được đánh giá")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="ghi JSON Lines ra tệp")
@click.option("--json", "as_json", is_flag=True, help="một tài liệu JSON {\"feedback\": [...]} thay vì JSON Lines")
@click.pass_obj
def export_cmd(app: AppContext, rated_only: bool, output: Path | None, as_json: bool) -> None:
    """Xuất góp ý (câu hỏi, câu trả lời, trích dẫn, đánh giá) dạng JSON Lines."""
    rows = app.knowledge.export_feedback(rated_only=rated_only)
    if as_json:
        emit({"feedback": rows})
        return
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    if output is not None:
        output.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        click.echo(f"Đã xuất {len(rows)} góp ý ra {output}.", err=True)
    else:
        for line in lines:
            click.echo(line)


@click.command("serve")
@click.pass_obj
def serve_cmd(app: AppContext) -> None:
    """Chạy các kênh đã cấu hình (Telegram, Zalo)."""
    from bot.backend import configured_channels
    from bot.serve import NO_CHANNEL, run_serve

    settings = app.settings
    if not configured_channels(settings):
        click.echo(NO_CHANNEL, err=True)
        if sys.stdin.isatty():
            from bot.terminal import run_terminal_chat

            click.echo("Mở trò chuyện trong terminal…", err=True)
            run_terminal_chat(app.knowledge, reminders=app.reminders)
            return
        sys.exit(1)
    run_serve(settings, app.knowledge, app.reminders)


COMMANDS = [users_group, feedback_group, serve_cmd]
