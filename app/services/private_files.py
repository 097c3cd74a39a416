"""Files and folders only this server's user may read: the instance folder, the SQLite
database, stored reports and signing keys (folders 0700, files 0600).

Created with those modes from the start (``os.open`` with a mode, not write-then-chmod), and
tightened when they already exist with wider ones and belong to this user, so an install
made before this module keeps no world-readable database or report. The process umask is
left alone: it is the operator's, and the rest of the process has its own needs.
"""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

logger = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def _tighten(path: Path, mode: int) -> None:
    """Take group and other access away from a path of ours that has any."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if stat.S_IMODE(info.st_mode) & 0o077 and info.st_uid == os.getuid():
        path.chmod(mode)
        logger.info("Made %s readable by its owner only (it was %o).", path,
                    stat.S_IMODE(info.st_mode))


def private_dir(path: str | os.PathLike) -> Path:
    """``path`` (and missing parents) as a folder only this user can enter."""
    folder = Path(path)
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    # mkdir's mode is masked by the umask, and parents get the default: set them exactly.
    for created in missing:
        created.chmod(DIR_MODE)
    _tighten(folder, DIR_MODE)
    return folder


def write_private(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path``, readable by this user only from the moment it exists."""
    target = Path(path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)  # an existing file keeps its mode otherwise
        handle.write(data)
    return target


def private_file(path: str | os.PathLike) -> Path:
    """Make sure ``path`` exists as an owner-only file (empty if new), without touching its
    contents: a new SQLite database starts as an empty file, and its -wal and -shm files take
    the database file's mode."""
    target = Path(path)
    if not target.exists():
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT, FILE_MODE))
        target.chmod(FILE_MODE)
    _tighten(target, FILE_MODE)
    for suffix in ("-wal", "-shm", "-journal"):
        _tighten(target.with_name(target.name + suffix), FILE_MODE)
    return target
