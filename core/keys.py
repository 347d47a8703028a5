"""The server secret: keys HMACs (invite codes, signed button data).

Read from ``CCHC_SECRET_KEY`` when set (several workers must share it), else from ``<home>/secret.key``,
created once with 32 random bytes and mode 0600.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from core.errors import ConfigError
from core.private import private_dir

logger = logging.getLogger(__name__)

SECRET_FILE = "secret.key"
MIN_ENV_SECRET = 32


def load_or_create_secret(home: Path, env: dict[str, str] | None = None) -> bytes:
    environ = os.environ if env is None else env
    value = environ.get("CCHC_SECRET_KEY")
    if value is not None:
        if len(value) < MIN_ENV_SECRET:
            raise ConfigError(f"CCHC_SECRET_KEY quá ngắn: cần ít nhất {MIN_ENV_SECRET} ký tự.")
        return value.encode("utf-8")
    path = home / SECRET_FILE
    if path.exists():
        data = path.read_bytes().strip()
        if len(data) >= MIN_ENV_SECRET:
            return data
        raise ConfigError(f"Tệp khóa {path} bị hỏng (quá ngắn); hãy xóa để tạo lại, hoặc đặt CCHC_SECRET_KEY.")
    private_dir(home)
    data = secrets.token_hex(32).encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    logger.info("server secret created in %s", path)
    return data
