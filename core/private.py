"""State stays private to the account that runs the assistant: folders 0700, files 0600.

The database, logs, uploads, index and server secret live in ``CCHC_HOME``; documents and answers in
them are for registered officials only. ``secure_home`` also tightens a home created by an older
version (0755 folders, 0644 files). POSIX only: elsewhere these are no-ops.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

logger = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
POSIX = os.name == "posix"


def _tighten(path: Path, mode: int) -> None:
    if not POSIX:
        return
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode) or st.st_uid != os.getuid():
        return  # never follow links; never touch what another account owns
    if stat.S_IMODE(st.st_mode) & ~mode:
        os.chmod(path, stat.S_IMODE(st.st_mode) & mode)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) and make the folder itself 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty if missing, with mode 0600; tighten it if it exists."""
    if POSIX:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        os.close(fd)
    else:
        path.touch(exist_ok=True)
    _tighten(path, FILE_MODE)
    return path


def private_files_in(folder: Path) -> Path:
    """Make every regular file directly in ``folder`` 0600 (for folders written by libraries, e.g. numpy)."""
    for entry in folder.iterdir():
        if entry.is_file() and not entry.is_symlink():
            _tighten(entry, FILE_MODE)
    return folder


def is_private(path: Path) -> bool:
    """True when no one but the owner can read, write or enter ``path`` (always True off POSIX)."""
    if not POSIX or not path.exists():
        return True
    return not stat.S_IMODE(path.stat().st_mode) & 0o077


def secure_home(home: Path) -> Path:
    """Make ``home`` 0700 and each folder (0700) and file (0600) directly inside it private.

    Deeper entries sit in private folders already, so one level is enough and stays fast.
    """
    private_dir(home)
    for entry in home.iterdir():
        try:
            _tighten(entry, DIR_MODE if entry.is_dir() and not entry.is_symlink() else FILE_MODE)
        except OSError as exc:
            logger.warning("could not tighten the mode of %s: %s", entry, exc)
    return home
