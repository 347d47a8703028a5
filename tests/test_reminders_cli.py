"""The CLI contract of reminders, the calendar and user provisioning (../shared/design/cli-contract.md):
``cchc reminders plan|dispatch|ledger``, ``cchc calendar add-workday|add-holiday|list``,
``cchc users add|import``; a plan depends only on its window and the data."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cchc.cli import cli
from core.errors import CchcError
from core.settings import Settings
from tests.fakes.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
SHEET = ROOT / "data" / "schedule" / "lich-cong-tac-mau.xlsx"


def run(settings: Settings, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, BaseException | None]:
    r = CliRunner().invoke(cli, ["--config", str(settings.home / "config.yaml"), *args],
                           env={"CCHC_HOME": str(settings.home), **(env or {})})
    return r.exit_code, r.stdout, r.exception


def provision(settings: Settings) -> None:
    assert run(settings, "tasks", "import", str(SHEET), "--json")[0] == 0
    for uid, role, agency in (("1001", "official", "Sở Nội vụ"), ("1002", "official", "sở nội vụ"),
                              ("2001", "leader", "Sở Nội vụ"), ("9001", "admin", None)):
        args = ["users", "add", "--channel", "telegram", "--user-id", uid, "--role", role, "--json"]
        code, out, exc = run(settings, *args, *(["--agency", agency] if agency else []))
        assert code == 0, exc
        assert json.loads(out)["agency"] == ("Sở Nội vụ" if agency else None)  # the canonical name is stored


def test_plan_json_contract_and_window_only(settings: Settings) -> None:
    provision(settings)
    code, out, _ = run(settings, "reminders", "plan", "--from", "2026-12-01", "--to", "2026-12-31", "--json")
    assert code == 0
    items = json.loads(out)["reminders"]
    assert items and {"task_id", "recipient", "channel", "kind", "send_at"} <= set(items[0])
    kinds = {r["kind"] for r in items}
    assert {"lead_7", "lead_3", "lead_1", "due", "digest"} <= kinds
    assert all(r["send_at"].endswith("+07:00") for r in items)
    assert all(r["recipient"] in ("telegram:1001", "telegram:1002") for r in items if r["kind"].startswith("lead_"))
    assert {r["recipient"] for r in items if r["kind"] == "digest"} == {"telegram:2001"}
    assert {r["recipient"] for r in items if r["kind"] == "unassigned"} <= {"telegram:9001"}
    again = json.loads(run(settings, "reminders", "plan", "--from", "2026-12-01", "--to", "2026-12-31", "--json")[1])
    assert again["reminders"] == items, "the same window and data give the same plan, whatever today is"
    code, _, exc = run(settings, "reminders", "plan", "--from", "2026-12-31", "--to", "2026-12-01")
    assert code == 1 and isinstance(exc, CchcError) and "--to" in exc.user_message


def test_dispatch_and_ledger_through_the_fake_server(settings: Settings) -> None:
    provision(settings)
    tg = FakeTelegram()
    tg.start()
    env = {"CCHC_TELEGRAM__TOKEN": tg.token, "CCHC_TELEGRAM__BASE_URL": tg.base_url}
    try:
        code, out, exc = run(settings, "reminders", "dispatch", "--now", "2026-12-03T09:00:00+07:00", "--json", env=env)
        assert code == 0, exc
        report = json.loads(out)
        assert {"sent", "failed", "uncertain", "skipped"} <= set(report) and report["sent"] >= 2
        texts = tg.texts_to(1001)
        assert texts and texts[0].startswith("Còn 7 ngày: ") and "hạn 10/12/2026" in texts[0]
        assert [b["text"] for row in tg.sent_to(1001)[0].buttons for b in row][:3] == [
            "✅ Đã xong", "⏰ Hoãn 1 ngày", "📅 Hoãn 1 tuần"]
        again = json.loads(run(settings, "reminders", "dispatch", "--now", "2026-12-03T09:05:00+07:00", "--json",
                               env=env)[1])
        assert again["sent"] == 0 and len(tg.texts_to(1001)) == len(texts), "nothing twice"
        code, out, _ = run(settings, "reminders", "ledger", "--json")
        rows = json.loads(out)["deliveries"]
        assert rows and {"key", "task_id", "recipient", "kind", "status", "attempts", "sent_at"} <= set(rows[0])
        assert {r["status"] for r in rows} <= {"sent", "cancelled"}
        one = rows[0]["task_id"]
        only = json.loads(run(settings, "reminders", "ledger", "--task", str(one), "--json")[1])["deliveries"]
        assert only and {r["task_id"] for r in only} == {one}
    finally:
        tg.stop()
    code, _, exc = run(settings, "reminders", "dispatch", "--now", "tomorrow")
    assert code == 1 and isinstance(exc, CchcError)


def test_calendar_overrides(settings: Settings) -> None:
    assert run(settings, "calendar", "add-workday", "2026-11-21", "--note", "làm bù")[0] == 0
    assert run(settings, "calendar", "add-holiday", "2026-11-23", "--json")[0] == 0
    days = json.loads(run(settings, "calendar", "list", "2026", "--json")[1])["days"]
    by = {d["date"]: d for d in days}
    assert by["2026-11-21"]["working"] is True and by["2026-11-21"]["source"] == "override"
    assert by["2026-11-23"]["working"] is False
    assert by["2026-02-17"]["working"] is False and by["2026-02-17"]["source"] == "holidays"  # Tết
    code, _, exc = run(settings, "calendar", "add-holiday", "23/11/2026")
    assert code == 1 and isinstance(exc, CchcError) and "YYYY-MM-DD" in exc.user_message


def test_users_import_all_or_nothing(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "u.csv"
    bad.write_text("Kênh,Mã người dùng,Vai trò,Cơ quan,Họ tên\ntelegram,2001,leader,Sở Nội vụ,A\n"
                   "telegram,abc,official,,B\nfax,1,admin,,C\n", encoding="utf-8")
    code, _, exc = run(settings, "users", "import", str(bad))
    assert code == 1 and isinstance(exc, CchcError)
    assert "Dòng 3" in exc.user_message and "Dòng 4" in exc.user_message
    assert json.loads(run(settings, "users", "list", "--json")[1])["users"] == []
    good = tmp_path / "g.csv"
    good.write_text("Kênh,Mã người dùng,Vai trò,Cơ quan\ntelegram,2001,leader,Sở Nội vụ\nzalo,z-7,official,Sở Tài chính\n",
                    encoding="utf-8")
    code, out, _ = run(settings, "users", "import", str(good), "--json")
    assert code == 0 and json.loads(out)["count"] == 2
    code, _, exc = run(settings, "users", "add", "--channel", "telegram", "--user-id", "5", "--role", "official")
    assert code == 1 and isinstance(exc, CchcError) and "cơ quan" in exc.user_message


def test_bad_policy_names_the_key(settings: Settings) -> None:
    (settings.home / "config.yaml").write_text("reminders:\n  lead_days: [7, -1]\n", encoding="utf-8")
    code, _, exc = run(settings, "reminders", "plan", "--from", "2026-12-01", "--to", "2026-12-02")
    assert code == 1 and isinstance(exc, CchcError) and "reminders.lead_days" in exc.user_message
