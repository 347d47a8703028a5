"""Who may use the bot: users with roles and agencies, one-time invites, revocation, registration lockout.

Invite codes are stored as HMAC-SHA256 keyed with the server secret (:mod:`core.keys`); codes made
before migration 0006 keep their unsalted SHA-256 (``hash_scheme = 'sha256'``) until they expire.
Wrong codes sent to /dangky are recorded; too many of one user, or of everyone, within
``access.register_window_minutes`` lock registration for ``access.register_lockout_minutes``.

Only this module and :mod:`knowledge.store.feedback` touch the channel tables; results are detached ``UserInfo`` snapshots.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from core.errors import CchcError, InviteError, NotFoundError, RegistrationLockedError
from core.keys import load_or_create_secret
from core.settings import Settings
from core.vocabulary import ROLE_LABELS, ROLES
from knowledge.store.account_models import DeliveryFailure, Invite, RegistrationFailure, User
from knowledge.store.db import Database
from knowledge.store.groups import Groups

logger = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(dt: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; everything we store is UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def normalize_code(code: str) -> str:
    return re.sub(r"[\s\-_]", "", code).upper()


HMAC = "hmac"
LEGACY_SHA256 = "sha256"
FAILURES_KEPT = timedelta(days=1)
WRONG_CODE = "Mã mời không đúng. Hãy kiểm tra lại hoặc xin mã mới từ quản trị viên."
USED_CODE = "Mã mời này đã được dùng. Mỗi mã chỉ dùng được một lần; hãy xin mã mới."


def hash_code(code: str, secret: bytes) -> str:
    """HMAC-SHA256 of the normalised code, keyed with the server secret (hex, 64 characters)."""
    return hmac.new(secret, normalize_code(code).encode("ascii", "ignore"), hashlib.sha256).hexdigest()


def legacy_hash_code(code: str) -> str:
    """The unsalted SHA-256 that invites created before migration 0006 were stored with."""
    return hashlib.sha256(normalize_code(code).encode("ascii", "ignore")).hexdigest()


def parse_duration(text: str) -> timedelta:
    """'7d', '12h', '2w', '30m' (minutes) -> timedelta. Raises CchcError with a Vietnamese message."""
    m = re.fullmatch(r"\s*([0-9]{1,6})\s*([mhdw])\s*", text or "", re.IGNORECASE)
    if not m or int(m.group(1)) == 0:
        raise CchcError(f"Thời hạn không hợp lệ: {text!r}. Ví dụ hợp lệ: 7d (7 ngày), 12h (12 giờ), 2w (2 tuần), 30m (30 phút).")
    n, unit = int(m.group(1)), m.group(2).lower()
    return {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]


def _minutes(td: timedelta) -> int:
    return max(1, -(-int(td.total_seconds()) // 60))


@dataclass(frozen=True)
class UserInfo:
    id: int
    channel: str
    channel_user_id: str
    chat_id: str | None
    display_name: str | None
    role: str
    agency: str | None
    active: bool
    created_at: datetime
    revoked_at: datetime | None

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.channel_user_id}"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "user": self.key, "channel": self.channel, "channel_user_id": self.channel_user_id,
            "display_name": self.display_name, "role": self.role, "agency": self.agency, "active": self.active,
            "created_at": self.created_at.isoformat(), "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }

    @classmethod
    def of(cls, u: User) -> UserInfo:
        created = aware(u.created_at)
        assert created is not None
        return cls(u.id, u.channel, u.channel_user_id, u.chat_id, u.display_name, u.role, u.agency, u.active,
                   created, aware(u.revoked_at))


@dataclass(frozen=True)
class InviteCode:
    code: str  # shown once, never stored
    role: str
    agency: str | None
    expires_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "role": self.role, "agency": self.agency, "expires_at": self.expires_at.isoformat()}


class Accounts:
    def __init__(self, db: Database, settings: Settings, *, secret: bytes | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.settings = settings
        self.bootstrap = {k.strip().lower() for k in settings.access.admins if k.strip()}
        self.clock = clock
        self.groups = Groups(db, clock=clock)
        self._secret = secret

    @property
    def secret(self) -> bytes:
        """The server secret, read (or created) on first use: most commands never need it."""
        if self._secret is None:
            self._secret = load_or_create_secret(self.settings.home)
        return self._secret

    # -------------------------------------------------------------- invites
    def invite_ttl(self, expires: timedelta | None) -> timedelta:
        """The expiry to use: the default when None; refused when longer than ``access.invite_max_days``."""
        acc = self.settings.access
        ttl = expires if expires is not None else timedelta(days=acc.invite_days)
        if ttl <= timedelta(0):
            raise CchcError("Thời hạn của mã mời phải lớn hơn 0.")
        if ttl > timedelta(days=acc.invite_max_days):
            raise CchcError(
                f"Thời hạn mã mời tối đa là {acc.invite_max_days} ngày (access.invite_max_days); "
                "hãy chọn ngắn hơn, ví dụ --expires 7d."
            )
        return ttl

    def create_invite(self, role: str, agency: str | None = None, *, expires: timedelta | None = None,
                      created_by: str | None = None) -> InviteCode:
        if role not in ROLES:
            raise CchcError(f"Vai trò không hợp lệ: {role!r}. Chọn một trong: {', '.join(ROLES)}.")
        agency = (agency or "").strip() or None
        if role == "official" and agency is None:
            raise CchcError("Công chức cần thuộc một cơ quan: thêm --agency \"Tên cơ quan\".")
        ttl = self.invite_ttl(expires)
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
        code = f"{raw[:5]}-{raw[5:]}"
        now = self.clock()
        expires_at = now + ttl
        with self.db.session() as s:
            s.add(Invite(code_hash=hash_code(code, self.secret), hash_scheme=HMAC, role=role, agency=agency,
                         created_at=now, expires_at=expires_at, created_by=created_by))
        logger.info("invite created: role=%s expires=%s", role, expires_at.isoformat())
        return InviteCode(code, role, agency, expires_at)

    def redeem(self, code: str, *, channel: str, channel_user_id: str, chat_id: str | None,
               display_name: str | None = None) -> UserInfo:
        """Register (or re-activate) a channel user with the invite's role. One use per code.

        Refused without looking at the code while the user, or registration as a whole, is locked out;
        a wrong, used or expired code is recorded as a failure.
        """
        if not normalize_code(code):
            raise InviteError(user_message="Hãy gửi kèm mã mời, ví dụ: /dangky ABCDE-FGHJK")
        self._check_lockout(channel, channel_user_id)
        try:
            info = self._redeem(code, channel=channel, channel_user_id=channel_user_id, chat_id=chat_id,
                                display_name=display_name)
        except InviteError:
            self._record_registration_failure(channel, channel_user_id)
            raise
        logger.info("user registered: %s role=%s", info.key, info.role)
        return info

    def _find_invite(self, s: Any, code: str) -> Invite | None:
        keyed = and_(Invite.code_hash == hash_code(code, self.secret), Invite.hash_scheme == HMAC)
        legacy = and_(Invite.code_hash == legacy_hash_code(code), Invite.hash_scheme == LEGACY_SHA256)
        inv: Invite | None = s.scalars(select(Invite).where(or_(keyed, legacy))).first()
        if inv is not None and inv.hash_scheme == LEGACY_SHA256:
            logger.info("an invite created before keyed hashing was presented")
        return inv

    def _redeem(self, code: str, *, channel: str, channel_user_id: str, chat_id: str | None,
                display_name: str | None) -> UserInfo:
        now = self.clock()
        with self.db.session() as s:
            inv = self._find_invite(s, code)
            if inv is None:
                raise InviteError(user_message=WRONG_CODE)
            if inv.used_at is not None:
                raise InviteError(user_message=USED_CODE)
            exp = aware(inv.expires_at)
            if exp is None or exp <= now:
                raise InviteError(user_message="Mã mời đã hết hạn. Hãy xin quản trị viên một mã mới.")
            user = s.scalars(select(User).where(User.channel == channel, User.channel_user_id == channel_user_id)).first()
            if user is None:
                user = User(channel=channel, channel_user_id=channel_user_id, created_at=now, role=inv.role, active=True)
                s.add(user)
            user.role, user.agency, user.active, user.revoked_at = inv.role, inv.agency, True, None
            user.chat_id = chat_id or user.chat_id
            user.display_name = display_name or user.display_name
            s.flush()
            # claim the code atomically: a concurrent redeem of the same code updates zero rows
            result: CursorResult[Any] = s.execute(  # type: ignore[assignment]
                update(Invite).where(Invite.id == inv.id, Invite.used_at.is_(None)).values(used_at=now, used_by=user.id)
            )
            if result.rowcount != 1:
                raise InviteError(user_message=USED_CODE)
            return UserInfo.of(user)

    # -------------------------------------------------------------- registration lockout
    def _check_lockout(self, channel: str, channel_user_id: str) -> None:
        acc = self.settings.access
        mine = and_(RegistrationFailure.channel == channel, RegistrationFailure.channel_user_id == channel_user_id)
        until = self._locked_until(mine, acc.register_max_failures)
        if until is not None:
            logger.warning("registration refused: %s:%s is locked out", channel, channel_user_id)
            raise RegistrationLockedError(user_message=(
                f"Bạn đã nhập sai mã mời {acc.register_max_failures} lần. Vui lòng thử lại sau "
                f"{_minutes(until - self.clock())} phút, hoặc liên hệ quản trị viên để nhận mã mới."))
        until = self._locked_until(None, acc.register_max_failures_total)
        if until is not None:
            logger.warning("registration refused: locked for everyone after too many wrong codes")
            raise RegistrationLockedError(user_message=(
                "Việc đăng ký tạm khóa do có quá nhiều mã mời sai. "
                f"Vui lòng thử lại sau {_minutes(until - self.clock())} phút hoặc liên hệ quản trị viên."))

    def _locked_until(self, where: ColumnElement[bool] | None, limit: int) -> datetime | None:
        """End of the lockout when the last ``limit`` failures (of one user, or all) fell within the
        window and the newest is less than the lockout period ago; None when not locked."""
        acc = self.settings.access
        q = select(RegistrationFailure.created_at).order_by(RegistrationFailure.created_at.desc()).limit(limit)
        if where is not None:
            q = q.where(where)
        with self.db.session() as s:
            times = [t for t in (aware(x) for x in s.scalars(q)) if t is not None]
        if len(times) < limit or times[0] - times[-1] > timedelta(minutes=acc.register_window_minutes):
            return None
        until = times[0] + timedelta(minutes=acc.register_lockout_minutes)
        return until if self.clock() < until else None

    def _record_registration_failure(self, channel: str, channel_user_id: str) -> None:
        now = self.clock()
        with self.db.session() as s:
            s.add(RegistrationFailure(channel=channel, channel_user_id=channel_user_id, created_at=now))
            s.execute(delete(RegistrationFailure).where(RegistrationFailure.created_at < now - FAILURES_KEPT))
        logger.warning("registration failed: %s:%s sent a wrong, used or expired invite code", channel, channel_user_id)

    # -------------------------------------------------------------- users
    def lookup(self, channel: str, channel_user_id: str, *, chat_id: str | None = None,
               display_name: str | None = None) -> UserInfo | None:
        """The active user behind a channel id (bootstrap admins are created on first contact), else None.

        Also remembers the private chat id, which the out-of-handler send path needs.
        """
        try:
            return self._lookup(channel, channel_user_id, chat_id=chat_id, display_name=display_name)
        except IntegrityError:  # two first updates of a bootstrap admin at once: the other one created it
            return self._lookup(channel, channel_user_id, chat_id=chat_id, display_name=display_name)

    def _lookup(self, channel: str, channel_user_id: str, *, chat_id: str | None,
                display_name: str | None) -> UserInfo | None:
        key = f"{channel}:{channel_user_id}".lower()
        with self.db.session() as s:
            user = s.scalars(select(User).where(User.channel == channel, User.channel_user_id == channel_user_id)).first()
            if user is None and key in self.bootstrap:
                user = User(channel=channel, channel_user_id=channel_user_id, chat_id=chat_id, display_name=display_name,
                            role="admin", agency=None, active=True, created_at=utcnow())
                s.add(user)
                s.flush()
                logger.info("bootstrap admin created: %s", key)
            if user is None:
                return None
            if key in self.bootstrap and (user.role != "admin" or not user.active):
                user.role, user.active, user.revoked_at = "admin", True, None
            if not user.active:
                return None
            if chat_id and user.chat_id != chat_id:
                user.chat_id = chat_id
            if display_name and user.display_name != display_name:
                user.display_name = display_name
            return UserInfo.of(user)

    def ensure_local_admin(self, name: str = "local") -> UserInfo:
        """The terminal chat's user: a local admin (whoever runs ``cchc chat`` already owns the database)."""
        with self.db.session() as s:
            user = s.scalars(select(User).where(User.channel == "terminal", User.channel_user_id == name)).first()
            if user is None:
                user = User(channel="terminal", channel_user_id=name, chat_id=name, role="admin", active=True,
                            created_at=utcnow(), display_name="Terminal")
                s.add(user)
            user.role, user.active, user.revoked_at = "admin", True, None
            s.flush()
            return UserInfo.of(user)

    def get(self, ident: str | int) -> UserInfo:
        with self.db.session() as s:
            return UserInfo.of(self._find(s, ident))

    def _find(self, s: Any, ident: str | int) -> User:
        text = str(ident).strip()
        user: User | None = None
        if text.isdigit():
            user = s.get(User, int(text))
        elif ":" in text:
            channel, uid = text.split(":", 1)
            user = s.scalars(select(User).where(User.channel == channel.lower(), User.channel_user_id == uid)).first()
        if user is None:
            raise NotFoundError(user_message=f"Không tìm thấy người dùng {text!r} (dùng số id hoặc dạng telegram:12345).")
        return user

    def list_users(self, *, include_revoked: bool = True) -> list[UserInfo]:
        with self.db.session() as s:
            q = select(User).order_by(User.id)
            if not include_revoked:
                q = q.where(User.active.is_(True))
            return [UserInfo.of(u) for u in s.scalars(q)]

    def revoke(self, ident: str | int) -> UserInfo:
        with self.db.session() as s:
            user = self._find(s, ident)
            if user.key.lower() in self.bootstrap:
                raise CchcError(f"{user.key} là quản trị viên khai báo trong cấu hình (access.admins); hãy xóa khỏi cấu hình trước.")
            user.active = False
            user.revoked_at = utcnow()
            user.choices = None
            info = UserInfo.of(user)
        logger.info("user revoked: %s", info.key)
        return info

    def admins(self) -> list[UserInfo]:
        with self.db.session() as s:
            q = select(User).where(User.role == "admin", User.active.is_(True), User.channel != "terminal")
            return [UserInfo.of(u) for u in s.scalars(q)]

    # -------------------------------------------------------------- numbered choices (channels without buttons)
    def set_choices(self, user_id: int, choices: list[str] | None) -> None:
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is not None:
                user.choices = json.dumps(choices) if choices else None

    def get_choices(self, user_id: int) -> list[str]:
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is None or not user.choices:
                return []
            data = json.loads(user.choices)
            return [str(x) for x in data] if isinstance(data, list) else []

    # -------------------------------------------------------------- failed deliveries
    def record_failure(self, *, user_id: int | None, channel: str, chat_id: str | None, reason: str) -> int:
        with self.db.session() as s:
            row = DeliveryFailure(user_id=user_id, channel=channel, chat_id=chat_id, reason=reason[:2000],
                                  created_at=utcnow(), alerted=False)
            s.add(row)
            s.flush()
            logger.warning("delivery failed: user_id=%s channel=%s reason=%s", user_id, channel, reason[:200])
            return row.id

    def mark_alerted(self, failure_id: int) -> None:
        with self.db.session() as s:
            row = s.get(DeliveryFailure, failure_id)
            if row is not None:
                row.alerted = True

    def failures(self) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.scalars(select(DeliveryFailure).order_by(DeliveryFailure.id))
            out = []
            for r in rows:
                created = aware(r.created_at)
                out.append({"id": r.id, "user_id": r.user_id, "channel": r.channel, "chat_id": r.chat_id, "reason": r.reason,
                            "created_at": created.isoformat() if created else None, "alerted": r.alerted})
            return out
