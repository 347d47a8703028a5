"""Provision channel users directly (``cchc users add`` and ``cchc users import``), for IT teams that
register officials in bulk instead of sending invite codes.

The same rules as invites: a known role, an agency for officials; here the agency must also be in the
registry (its canonical name is stored), and the channel id must look like one. An import checks
every row first and writes nothing if any row is wrong (row-numbered Vietnamese problems).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from core.agencies import Registry
from core.errors import CchcError, ImportRowsError
from core.text import fold
from core.vocabulary import OFFICIAL, ROLES
from ingest.tables import read_rows
from knowledge.store.account_models import User
from knowledge.store.accounts import UserInfo
from knowledge.store.agencies import load_registry
from knowledge.store.db import Database

logger = logging.getLogger(__name__)

CHANNELS = ("telegram", "zalo")
MAX_ROWS = 20_000
_IDS = {"telegram": re.compile(r"-?\d{1,20}"), "zalo": re.compile(r"[0-9A-Za-z_.-]{1,64}")}
_HEADERS = {
    "channel": ("kenh", "channel"),
    "user_id": ("ma nguoi dung", "user_id", "user id", "id"),
    "chat_id": ("chat_id", "chat id", "ma tro chuyen"),
    "role": ("vai tro", "role"),
    "agency": ("co quan", "agency", "don vi"),
    "name": ("ho ten", "ten", "name", "display_name"),
}


@dataclass(frozen=True)
class NewUser:
    channel: str
    user_id: str
    role: str
    agency: str | None
    chat_id: str | None = None
    name: str | None = None


def check(u: NewUser, reg: Registry) -> tuple[NewUser, list[str]]:
    """The user with its agency's canonical name, and the problems (Vietnamese), if any."""
    problems = []
    channel = u.channel.strip().lower()
    if channel not in CHANNELS:
        problems.append(f"kênh “{u.channel}” không hợp lệ (chọn: {', '.join(CHANNELS)})")
    uid = u.user_id.strip()
    if channel in _IDS and not _IDS[channel].fullmatch(uid):
        problems.append(f"mã người dùng “{uid[:30]}” không hợp lệ cho kênh {channel}")
    chat = (u.chat_id or "").strip() or (uid if channel == "telegram" else None)
    if chat and channel in _IDS and not _IDS[channel].fullmatch(chat):
        problems.append(f"mã trò chuyện “{chat[:30]}” không hợp lệ")
    role = u.role.strip().lower()
    if role not in ROLES:
        problems.append(f"vai trò “{u.role}” không hợp lệ (chọn: {', '.join(ROLES)})")
    agency = (u.agency or "").strip() or None
    if role == OFFICIAL and agency is None:
        problems.append("công chức cần thuộc một cơ quan")
    canon = None
    if agency:
        a = reg.resolve(agency)
        if a is None:
            sugg = reg.suggest(agency)
            problems.append(f"không có cơ quan “{agency}” trong danh mục" + (f" (có phải: {', '.join(sugg)}?)" if sugg else ""))
        else:
            canon = a.name
    name = (u.name or "").strip()[:200] or None
    return NewUser(channel, uid, role, canon, chat, name), problems


def _write(db: Database, users: list[NewUser]) -> list[UserInfo]:
    now = datetime.now(UTC)
    out = []
    with db.session() as s:
        for u in users:
            row = s.scalar(select(User).where(User.channel == u.channel, User.channel_user_id == u.user_id))
            if row is None:
                row = User(channel=u.channel, channel_user_id=u.user_id, created_at=now)
                s.add(row)
            row.role, row.agency, row.active, row.revoked_at = u.role, u.agency, True, None
            row.chat_id = u.chat_id or row.chat_id
            row.display_name = u.name or row.display_name
            s.flush()
            out.append(UserInfo.of(row))
    return out


def add_user(db: Database, user: NewUser) -> UserInfo:
    """Create or update (and re-activate) one user."""
    checked, problems = check(user, load_registry(db))
    if problems:
        raise CchcError("; ".join(problems), user_message="Không thêm được người dùng: " + "; ".join(problems) + ".")
    info = _write(db, [checked])[0]
    logger.info("user provisioned: %s role=%s", info.key, info.role)
    return info


@dataclass
class UsersImport:
    path: str
    added: list[UserInfo] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "users": [u.as_dict() for u in self.added], "count": len(self.added)}


def _columns(header: list[object]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, h in enumerate(header):
        key = fold(str(h or "")).strip().lower()
        for name, forms in _HEADERS.items():
            if key in forms and name not in cols:
                cols[name] = i
    return cols


def import_users(db: Database, path: Path) -> UsersImport:
    """Import a CSV/XLSX of users (columns Kênh, Mã người dùng, Mã trò chuyện, Vai trò, Cơ quan, Họ tên):
    all rows valid, or nothing written."""
    rows = read_rows(Path(path))
    first = next(rows, None)
    if first is None:
        raise CchcError(f"{Path(path).name}: tệp trống.")
    cols = _columns(first[1])
    missing = [n for n in ("channel", "user_id", "role") if n not in cols]
    if missing:
        raise CchcError(f"{Path(path).name}: thiếu cột " + ", ".join(missing)
                        + " (cần: Kênh, Mã người dùng, Vai trò; thêm Cơ quan, Mã trò chuyện, Họ tên nếu có).")
    reg = load_registry(db)
    users: list[NewUser] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}

    def cell(cells: list[object], name: str) -> str:
        i = cols.get(name)
        v = cells[i] if i is not None and i < len(cells) else None
        return "" if v is None else str(int(v) if isinstance(v, float) and v.is_integer() else v).strip()

    for n, cells in rows:
        if n > MAX_ROWS + 1:
            raise CchcError(f"{Path(path).name}: quá {MAX_ROWS} dòng.")
        if not any(str(c or "").strip() for c in cells):
            continue
        u, errs = check(NewUser(cell(cells, "channel"), cell(cells, "user_id"), cell(cells, "role"),
                                cell(cells, "agency") or None, cell(cells, "chat_id") or None,
                                cell(cells, "name") or None), reg)
        key = (u.channel, u.user_id)
        if key in seen:
            errs.append(f"trùng với dòng {seen[key]}")
        seen[key] = n
        problems += [f"Dòng {n}: {e}" for e in errs]
        users.append(u)
    if problems:
        raise ImportRowsError(problems, path=str(path))
    rep = UsersImport(Path(path).name, _write(db, users))
    logger.info("users imported from %s: %d", rep.path, len(rep.added))
    return rep
