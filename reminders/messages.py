"""The Vietnamese text of each reminder kind, and its buttons (typed commands on Zalo).

Pure: a reminder, the task as it is now and the day of sending in, a :class:`Notice` out. Days
left are counted from the day the message is sent, so a reminder caught up after downtime still
says the truth.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from reminders.notifier import Action

logger = logging.getLogger(__name__)

Signer = Callable[[str, int, int], str]  # (action, task id, version) -> signed callback data


@dataclass(frozen=True, slots=True)
class TaskBrief:
    """A task as a message shows it. ``code`` is the code users type; ``version`` its latest history id."""

    id: int
    code: str
    title: str
    due: date | None
    lead: str | None
    done: bool = False
    version: int = 0
    has_quote: bool = False


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def task_line(t: TaskBrief) -> str:
    """``Title — hạn 15/12/2026 — Sở Nội vụ chủ trì (mã HY-2026-001)``: each fact once."""
    parts = [_short(t.title)]
    if t.due:
        parts.append(f"hạn {t.due:%d/%m/%Y}")
    if t.lead:
        parts.append(f"{t.lead} chủ trì")
    return " — ".join(parts) + f" (mã {t.code})"


def headline(kind: str, t: TaskBrief, today: date, *, working_days: int | None = None) -> str:
    """The first words of a nudge, from the real distance to the due date on the day of sending."""
    if t.due is None:
        return "Nhắc việc"
    left = (t.due - today).days
    if kind == "escalation":
        return f"Quá hạn {working_days} ngày làm việc" if working_days else "Nhiệm vụ quá hạn"
    if kind == "unassigned":
        return "Chưa có ai nhận nhắc việc cho nhiệm vụ"
    if left > 0:
        return f"Còn {left} ngày"
    if left == 0:
        return "Hôm nay đến hạn"
    return f"Quá hạn {-left} ngày"


def task_actions(t: TaskBrief, sign: Signer) -> tuple[tuple[Action, ...], ...]:
    """Đã xong / Hoãn 1 ngày / Hoãn 1 tuần / Xem văn bản, each with its typed equivalent."""
    if t.done:
        return ()
    row1 = (Action("✅ Đã xong", sign("done", t.id, t.version), f"xong {t.code}"),)
    row2 = (Action("⏰ Hoãn 1 ngày", sign("snooze_day", t.id, t.version), f"hoan {t.code} 1 ngay"),
            Action("📅 Hoãn 1 tuần", sign("snooze_week", t.id, t.version), f"hoan {t.code} 1 tuan"))
    rows: list[tuple[Action, ...]] = [row1, row2]
    if t.has_quote:
        rows.append((Action("📄 Xem văn bản", sign("quote", t.id, t.version), f"xem {t.code}"),))
    return tuple(rows)


def nudge_text(kind: str, t: TaskBrief, today: date, *, note: str | None = None,
               working_days: int | None = None) -> str:
    """``Còn 3 ngày: Báo cáo ... — hạn 15/12/2026 — Sở Nội vụ chủ trì (mã ...)``."""
    text = f"{headline(kind, t, today, working_days=working_days)}: {task_line(t)}"
    if note:
        text += f"\nCơ quan bạn {note}."
    if kind == "unassigned":
        text += ("\nChưa có cán bộ nào của cơ quan chủ trì đăng ký nhận nhắc việc, và người phụ trách chưa"
                 " đăng ký. Hãy cấp quyền cho cán bộ của cơ quan này để nhiệm vụ không bị bỏ sót.")
    return text


def digest_text(agency: str, week: date, due_this_week: Sequence[TaskBrief], overdue: Sequence[TaskBrief],
                today: date, *, limit: int = 10) -> str:
    """The leader's weekly digest (also ``/tonghop``): what is overdue and what is due this week."""
    end = week.toordinal() + 6
    lines = [f"Tổng hợp nhiệm vụ của {agency}, tuần {week:%d/%m} – {date.fromordinal(end):%d/%m/%Y}:"]
    if not due_this_week and not overdue:
        lines.append("Không có nhiệm vụ nào quá hạn hay đến hạn trong tuần.")
        return "\n".join(lines)
    for head, items in (("Quá hạn", overdue), ("Đến hạn trong tuần", due_this_week)):
        if not items:
            continue
        lines.append(f"\n{head} ({len(items)}):")
        for i, t in enumerate(items[:limit], 1):
            lines.append(f"{i}. {headline('overdue' if head == 'Quá hạn' else 'lead', t, today)}: {task_line(t)}")
        if len(items) > limit:
            lines.append(f"… và {len(items) - limit} nhiệm vụ khác.")
    return "\n".join(lines)


def undeliverable_alert(recipient: str, name: str | None, agency: str | None, reason: str) -> str:
    who = f"{name} ({recipient})" if name else recipient
    return (f"⚠️ Không gửi được nhắc việc tới {who}" + (f", {agency}" if agency else "")
            + f": {reason}. Người này sẽ không nhận nhắc việc cho đến khi nhắn lại cho trợ lý.")
