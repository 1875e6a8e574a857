"""Writing files so that a crash or a full disk leaves either the old bytes or the new ones."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

# What a full or failing disk raises; the crawl stops on these instead of dropping data.
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EFBIG}


def is_write_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is out (a write may be short on a full disk or a signal)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def append_whole(fd: int, data: bytes) -> None:
    """Appends data, or on a failure truncates back, so no later append glues onto a fragment."""
    start = os.lseek(fd, 0, os.SEEK_END)
    try:
        write_all(fd, data)
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, start)
        raise


def append_line(path: str | os.PathLike, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        append_whole(fd, data)
    finally:
        os.close(fd)


def write_atomically(path: str | os.PathLike, data: bytes) -> None:
    """Writes a temporary file beside path, syncs it and renames it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
