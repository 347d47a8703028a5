"""``cchc groups``, invite expiry limits, keyed invite hashes (and legacy ones), and the modes of the
files and folders the assistant creates in CCHC_HOME."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from cchc.cli import cli, main
from core.private import secure_home
from core.settings import Settings
from knowledge.store.account_models import Invite
from knowledge.store.accounts import Accounts, hash_code
from knowledge.store.db import Database, make_engine
from knowledge.store.migrations import migrate


def run(settings: Settings, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["--config", str(settings.home / "config.yaml"), *args],
                           env={"CCHC_HOME": str(settings.home)})
    return r.exit_code, r.stdout


def run_main(settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
             *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("CCHC_HOME", str(settings.home))
    try:
        main(["--config", str(settings.home / "config.yaml"), *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)  # the usual default: without our care files would be 0644
    yield
    os.umask(old)


# ---------------------------------------------------------------------------- groups
def test_groups_allow_list_revoke(settings: Settings, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run(settings, "groups", "list", "--json")
    assert code == 0 and json.loads(out) == {"groups": []}
    code, out = run(settings, "groups", "allow", "telegram:-1001234567890", "--note", "Tổ CCHC", "--json")
    assert code == 0 and json.loads(out)["group"] == "telegram:-1001234567890"
    assert run(settings, "groups", "allow", "g-42", "--channel", "zalo")[0] == 0
    listed = json.loads(run(settings, "groups", "list", "--json")[1])["groups"]
    assert [(g["group"], g["note"]) for g in listed] == [("telegram:-1001234567890", "Tổ CCHC"), ("zalo:g-42", None)]
    db = Database(settings.database_url)
    groups = Accounts(db, settings).groups
    assert groups.is_allowed("telegram", "-1001234567890") and not groups.is_allowed("telegram", "-1")
    db.dispose()
    for bad, message in ((("groups", "allow", "telegram:-1001234567890"), "đã được cho phép"),
                         (("groups", "allow", "telegram:abc"), "là một số"),
                         (("groups", "allow", "signal:1"), "Kênh không hợp lệ"),
                         (("groups", "revoke", "telegram:-5"), "chưa được cho phép")):
        code, _, err = run_main(settings, capsys, monkeypatch, *bad)
        assert code == 1 and message in err, (bad, err)
    assert run(settings, "groups", "revoke", "telegram:-1001234567890")[0] == 0
    assert [g["group"] for g in json.loads(run(settings, "groups", "list", "--json")[1])["groups"]] == ["zalo:g-42"]


# ---------------------------------------------------------------------------- invites
@pytest.mark.parametrize("expires", ["9999w", "31d", "745h", "999999m"])
def test_invite_longer_than_the_maximum_is_refused(settings: Settings, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch, expires: str) -> None:
    code, out, err = run_main(settings, capsys, monkeypatch, "users", "invite", "--role", "admin", "--expires", expires)
    assert code == 1 and out == ""
    assert "tối đa là 30 ngày" in err and "access.invite_max_days" in err


def test_invite_maximum_is_configurable(settings: Settings, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run(settings, "users", "invite", "--role", "admin", "--expires", "30d", "--json")
    assert code == 0
    left = datetime.fromisoformat(json.loads(out)["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=29, hours=23) < left <= timedelta(days=30)
    monkeypatch.setenv("CCHC_ACCESS__INVITE_MAX_DAYS", "90")
    assert run_main(settings, capsys, monkeypatch, "users", "invite", "--role", "admin", "--expires", "12w")[0] == 0
    code, _, err = run_main(settings, capsys, monkeypatch, "users", "invite", "--role", "admin", "--expires", "13w")
    assert code == 1 and "tối đa là 90 ngày" in err


def test_codes_are_keyed_hmac_with_the_server_secret(settings: Settings) -> None:
    db = Database(settings.database_url)
    acc = Accounts(db, settings)
    code = acc.create_invite("leader").code
    assert mode(settings.home / "secret.key") == 0o600
    with db.session() as s:
        row = s.query(Invite).one()
        assert row.hash_scheme == "hmac" and row.code_hash == hash_code(code, acc.secret)
        assert row.code_hash != hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    other = Accounts(db, settings, secret=b"another-server-secret-of-32-bytes!!")
    with pytest.raises(Exception, match="không đúng"):
        other.redeem(code, channel="telegram", channel_user_id="1", chat_id="1")
    assert acc.redeem(code.lower(), channel="telegram", channel_user_id="2", chat_id="2").role == "leader"
    db.dispose()


def test_legacy_sha256_invites_still_work_and_expire_within_30_days(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    migrate(engine, target=4)
    now = datetime.now(UTC)
    legacy = "ABCDE-FGHJK"
    with engine.begin() as conn:
        for code, exp in ((legacy, now + timedelta(weeks=9999)), ("KLMNP-QRSTU", now + timedelta(days=2))):
            conn.execute(text("INSERT INTO invites (code_hash, role, agency, created_at, expires_at) "
                              "VALUES (:h, 'official', 'Sở Nội vụ', :c, :e)"),
                         {"h": hashlib.sha256(code.replace("-", "").encode()).hexdigest(), "c": now, "e": exp})
    migrate(engine)
    engine.dispose()
    db = Database(settings.database_url)
    with db.session() as s:
        rows = {r.code_hash[:8]: r for r in s.query(Invite)}
        assert all(r.hash_scheme == "sha256" for r in rows.values())
        longest = max(r.expires_at if r.expires_at.tzinfo else r.expires_at.replace(tzinfo=UTC) for r in rows.values())
        assert longest <= now + timedelta(days=30, minutes=1)  # the 9999-week code was cut to 30 days
    acc = Accounts(db, settings)
    assert acc.redeem(legacy, channel="zalo", channel_user_id="z", chat_id="z").agency == "Sở Nội vụ"
    db.dispose()


# ---------------------------------------------------------------------------- file modes
@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_state_files_are_0600_and_folders_0700(settings: Settings, umask_022: None, tmp_path: Path) -> None:
    assert run(settings, "users", "invite", "--role", "admin", "--json")[0] == 0  # db, logs, secret
    home = settings.home
    assert mode(home) == 0o700
    assert mode(home / "logs") == 0o700 and mode(home / "logs" / "cchc.log") == 0o600
    for name in ("cchc.sqlite3", "cchc.sqlite3-wal", "cchc.sqlite3-shm", "secret.key"):
        if (home / name).exists() or name in ("cchc.sqlite3", "secret.key"):
            assert mode(home / name) == 0o600, name
    doc = tmp_path / "docs" / "ke-hoach.txt"
    doc.parent.mkdir()
    doc.write_text("KẾ HOẠCH\n1. Sở Nội vụ kiểm tra cải cách hành chính trước ngày 31/12/2026.\n", encoding="utf-8")
    assert run(settings, "ingest", str(doc), "--json")[0] == 0
    assert run(settings, "search", "cải cách hành chính", "--json")[0] == 0  # the first answering process saves the index
    assert mode(settings.index_dir) == 0o700
    index_files = [p for p in settings.index_dir.rglob("*") if p.is_file()]
    assert index_files and {mode(p) for p in index_files} == {0o600}
    assert {mode(p) for p in settings.index_dir.rglob("*") if p.is_dir()} <= {0o700}
    from bot.files import process_upload
    from knowledge.service import Knowledge

    kn = Knowledge(settings)
    try:
        process_upload(settings, kn, doc.read_bytes(), "tai-len.txt")
    finally:
        kn.close()
    uploads = home / "uploads"
    assert mode(uploads) == 0o700 and [mode(p) for p in uploads.iterdir()] == [0o600]


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_a_home_made_by_an_older_version_is_tightened(tmp_path: Path, umask_022: None) -> None:
    home = tmp_path / "old-home"
    (home / "logs").mkdir(parents=True, mode=0o755)
    (home / "cchc.sqlite3").write_bytes(b"")
    (home / "logs" / "cchc.log").write_text("x")
    os.chmod(home, 0o755)
    os.chmod(home / "cchc.sqlite3", 0o644)
    target = tmp_path / "elsewhere.txt"
    target.write_text("not ours to change")
    os.chmod(target, 0o644)
    (home / "link").symlink_to(target)
    secure_home(home)
    assert mode(home) == 0o700 and mode(home / "logs") == 0o700 and mode(home / "cchc.sqlite3") == 0o600
    assert mode(target) == 0o644  # a symlink is never followed


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_doctor_reports_a_readable_home_and_the_allowed_groups(settings: Settings,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from cchc.doctor import run_checks

    monkeypatch.setenv("CCHC_HOME", str(settings.home))
    assert run(settings, "groups", "allow", "telegram:-100777")[0] == 0  # also makes the home private
    check = {c["name"]: c for c in run_checks(str(settings.home / "config.yaml"))}["access"]
    assert check["ok"] and "telegram:-100777" in check["verdict"]
    os.chmod(settings.home, 0o755)
    check = {c["name"]: c for c in run_checks(str(settings.home / "config.yaml"))}["access"]
    assert not check["ok"] and "người khác đọc được" in check["verdict"]
