"""CLI of reminders and the working-day calendar: ``cchc reminders plan|dispatch|ledger``,
``cchc calendar add-workday|add-holiday|list`` (shapes: ../shared/design/cli-contract.md)."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime

import click

from cchc.app import AppContext
from cchc.output import emit
from core.errors import CchcError

logger = logging.getLogger(__name__)


def _day(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CchcError(f"bad date {value!r}", user_message=f"{flag}: ngày “{value}” không hợp lệ (dạng YYYY-MM-DD).") from None


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise CchcError(f"bad instant {value!r}", user_message=(
            f"--now: “{value}” không hợp lệ (dạng ISO 8601, ví dụ 2026-12-07T08:00:00+07:00).")) from None
    if t.tzinfo is None:
        raise CchcError("naive instant", user_message="--now phải ghi cả múi giờ, ví dụ 2026-12-07T08:00:00+07:00.")
    return t


@click.group("reminders")
def reminders_group() -> None:
    """Nhắc việc: lập kế hoạch, gửi, xem sổ gửi."""


@reminders_group.command("plan")
@click.option("--from", "start", required=True, help="YYYY-MM-DD")
@click.option("--to", "end", required=True, help="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def plan_cmd(app: AppContext, start: str, end: str, as_json: bool) -> None:
    """Những nhắc việc sẽ gửi trong khoảng ngày (không gửi gì)."""
    items = app.reminders.plan(_day(start, "--from"), _day(end, "--to"))
    if as_json:
        emit({"reminders": [r.as_dict() for r in items]})
        return
    if not items:
        click.echo("Không có nhắc việc nào trong khoảng này.")
    for r in items:
        click.echo(f"{r.send_at:%d/%m/%Y %H:%M} {r.kind:<11} nhiệm vụ {r.task_id or '-'} -> {r.recipient}")


@reminders_group.command("dispatch")
@click.option("--now", default=None, help="thời điểm ISO 8601 (mặc định: đồng hồ)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def dispatch_cmd(app: AppContext, now: str | None, as_json: bool) -> None:
    """Một lượt gửi: thêm các nhắc việc đến giờ vào sổ và gửi qua các kênh đã cấu hình."""
    at = _instant(now)

    async def run() -> dict[str, int]:
        notifiers = app.notifiers()
        try:
            return (await app.reminders.dispatch(notifiers, at)).as_dict()
        finally:
            for n in notifiers.values():
                await n.close()

    report = asyncio.run(run())
    if as_json:
        emit(report)
    else:
        click.echo(f"Đã gửi {report['sent']}, lỗi {report['failed']}, không chắc {report['uncertain']},"
                   f" bỏ qua {report['skipped']}.")


@reminders_group.command("ledger")
@click.option("--task", "task_id", type=int, default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def ledger_cmd(app: AppContext, task_id: int | None, as_json: bool) -> None:
    """Sổ gửi nhắc việc (mỗi dòng một tin, kèm trạng thái)."""
    rows = app.reminders.deliveries(task_id)
    if as_json:
        emit({"deliveries": rows})
        return
    if not rows:
        click.echo("Sổ gửi trống.")
    for r in rows:
        click.echo(f"{r['status']:<10} {r['kind']:<20} nhiệm vụ {r['task_id'] or '-'} -> {r['recipient']}"
                   f" (lần thử: {r['attempts']}{', gửi lúc ' + str(r['sent_at']) if r['sent_at'] else ''})")


@click.group("calendar")
def calendar_group() -> None:
    """Lịch ngày làm việc: ngày lễ (gói holidays) và các ngày hoán đổi do quản trị viên nhập."""


def _add(app: AppContext, day: str, kind: str, note: str | None, as_json: bool) -> None:
    d = _day(day, "DATE")
    app.reminders.calendar_add(d, kind, note)
    if as_json:
        emit({"date": d.isoformat(), "kind": kind, "note": note})
    else:
        click.echo(f"Đã ghi {d:%d/%m/%Y} là {'ngày làm việc' if kind == 'workday' else 'ngày nghỉ'}.")


@calendar_group.command("add-workday")
@click.argument("day")
@click.option("--note", default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def add_workday_cmd(app: AppContext, day: str, note: str | None, as_json: bool) -> None:
    """Ghi DAY (YYYY-MM-DD) là ngày làm việc (ví dụ thứ Bảy làm bù)."""
    _add(app, day, "workday", note, as_json)


@calendar_group.command("add-holiday")
@click.argument("day")
@click.option("--note", default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def add_holiday_cmd(app: AppContext, day: str, note: str | None, as_json: bool) -> None:
    """Ghi DAY (YYYY-MM-DD) là ngày nghỉ (ví dụ nghỉ bù)."""
    _add(app, day, "holiday", note, as_json)


@calendar_group.command("list")
@click.argument("year", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_cmd(app: AppContext, year: int, as_json: bool) -> None:
    """Các ngày lễ, ngày nghỉ bù và ngày làm bù của YEAR."""
    days = app.reminders.calendar_year(year)
    if as_json:
        emit({"year": year, "days": [d.as_dict() for d in days]})
        return
    for d in days:
        kind = "làm việc" if d.working else "nghỉ"
        click.echo(f"{d.day:%d/%m/%Y} {kind:<9} {d.name} ({'quản trị viên' if d.source == 'override' else 'ngày lễ'})")


COMMANDS = [reminders_group, calendar_group]
