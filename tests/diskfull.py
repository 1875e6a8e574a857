"""Runs `scrapy` on a disk that fills up: os.write under DISKFULL_DIR fails past DISKFULL_BYTES.

Used as `python tests/diskfull.py crawl …`; the crawl's own writes all go through os.write.
"""

from __future__ import annotations

import errno
import os
import runpy
import sys

FOLDER = os.path.realpath(os.environ["DISKFULL_DIR"]) + os.sep
room = int(os.environ["DISKFULL_BYTES"])
real_write = os.write


def write(fd, data):
    global room
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return real_write(fd, data)
    if not target.startswith(FOLDER):
        return real_write(fd, data)
    if room <= 0:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    written = real_write(fd, bytes(data[:room]))  # the last bytes that fit: a short write
    room -= written
    return written


os.write = write
sys.argv = ["scrapy", *sys.argv[1:]]
runpy.run_module("scrapy", run_name="__main__", alter_sys=True)
