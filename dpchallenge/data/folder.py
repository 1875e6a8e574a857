"""Checks before the first request: the data folder is writable, of this site, and ours alone."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

from dpchallenge.data.layout import (
    CHALLENGES,
    DATASETS,
    IMAGES,
    LOCK_FILE,
    SITE_FILE,
    worker_lock,
)
from dpchallenge.data.records import read_records

RECORD_FILES = ((CHALLENGES, DATASETS[CHALLENGES]), (IMAGES, DATASETS[IMAGES]))


class RefusedToStart(Exception):
    """A crawl that must not start; the message is the one line the user sees."""


def site_of(url: str) -> str:
    """The host of a URL: a site's identity (a local replica may come back on another port)."""
    return (urlsplit(url).hostname or url).lower()


def recorded_site(data_dir: Path) -> str | None:
    """The site a folder's records came from: its site.json, else the first record's url."""
    try:
        return json.loads((data_dir / SITE_FILE).read_text())["host"]
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:
        message = f"{data_dir / SITE_FILE} is unreadable ({exc}); fix or remove it"
        raise RefusedToStart(message) from None
    for name, key in RECORD_FILES:
        for record in read_records(data_dir / name, key):
            if record.get("url"):
                return site_of(record["url"])
    return None


def writable_folder(path: Path, setting: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise RefusedToStart(
            f"{setting}={path} is not a writable folder ({exc.strerror or exc})"
        ) from None


class DataFolder:
    """Claims DPC_DATA_DIR for one crawl: an advisory lock held until the process ends."""

    def __init__(self, data_dir: Path, base_url: str, worker: str | None = None):
        self.data_dir = data_dir
        self.base_url = base_url
        self.site = site_of(base_url)
        self.worker = worker
        self._lock_fds: list[int] = []

    def claim(self) -> None:
        """Alone, or (a distributed worker) beside other workers, each with its own name."""
        # Read only, before the write probe and the locks: a folder of another site is left
        # exactly as it was (its mtime included); checked again below, under the lock.
        if self.data_dir.is_dir():
            self.check_site(recorded_site(self.data_dir))
        writable_folder(self.data_dir, "DPC_DATA_DIR")
        if self.worker is None:
            self._lock(LOCK_FILE, fcntl.LOCK_EX, "another crawl is writing")
        else:
            outside = "a crawl outside distributed mode (or a merge) is writing"
            self._lock(LOCK_FILE, fcntl.LOCK_SH, outside)
            named = f"another worker named {self.worker} is writing"
            self._lock(worker_lock(self.worker), fcntl.LOCK_EX, named)
        found = recorded_site(self.data_dir)
        self.check_site(found)
        if found is None:
            site = {"base_url": self.base_url, "host": self.site}
            (self.data_dir / SITE_FILE).write_text(json.dumps(site) + "\n")

    def check_site(self, found: str | None) -> None:
        if found is not None and site_of(found) != self.site:
            self.release()
            raise RefusedToStart(
                f"DPC_DATA_DIR={self.data_dir} holds records of {found}, not of {self.site} "
                f"(DPC_BASE_URL={self.base_url}); "
                "use another DPC_DATA_DIR for each site"
            )

    def _lock(self, name: str, mode: int, holder: str) -> None:
        fd = os.open(self.data_dir / name, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            self.release()
            raise RefusedToStart(
                f"{holder} DPC_DATA_DIR={self.data_dir}; wait for it to end or use another folder"
            ) from None
        self._lock_fds.append(fd)

    def release(self) -> None:
        for fd in self._lock_fds:
            os.close(fd)
        self._lock_fds = []
