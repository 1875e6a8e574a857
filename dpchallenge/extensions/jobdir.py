"""JOBDIR pauses and resumes a run; it never makes a later run skip work.

Scrapy records every scheduled request as seen at once and keeps the seen-list after the run.
A later run would then skip pages that failed, that a crash left unfetched, or that the site
has changed since. So the queue and seen-list survive only a pause (Ctrl-C); after any other
end, or state that does not read back, the next run rebuilds its work from the dataset files.
"""

from __future__ import annotations

import json
import logging
import pickle
import shutil
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)
RUNNING_MARK = "dpc-running"
SCRAPY_STATE = ("requests.queue", "requests.seen")
SPIDER_STATE = "spider.state"
PAUSED = "shutdown"


def _reset(jobdir: Path, names=SCRAPY_STATE) -> None:
    for name in names:
        target = jobdir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def _unreadable_state(jobdir: Path) -> str | None:
    """What in a JOBDIR does not read back (a full disk leaves empty or torn files), or None."""
    state = jobdir / SPIDER_STATE
    if state.exists():
        try:
            with state.open("rb") as handle:
                pickle.load(handle)
        except Exception:  # any unpickling failure means the same: unusable
            return SPIDER_STATE
    active = jobdir / "requests.queue" / "active.json"
    if active.exists():
        try:
            json.loads(active.read_text())
        except (OSError, ValueError):
            return "requests.queue"
    return None


class JobDirGuard:
    def __init__(self, jobdir: Path, crawler):
        self.jobdir = jobdir
        self.crawler = crawler
        mark = jobdir / RUNNING_MARK
        if mark.exists():
            logger.warning(
                "JOBDIR %s: the previous run did not stop cleanly; its queue is discarded and the "
                "work left is rebuilt from the dataset files",
                jobdir,
            )
            _reset(jobdir)
            crawler.stats.set_value("dpc/jobdir/reset_after_crash", 1)
        if broken := _unreadable_state(jobdir):
            logger.warning(
                "JOBDIR %s: %s does not read back (a full disk?); the JOBDIR state is reset and "
                "the work left is rebuilt from the dataset files",
                jobdir,
                broken,
            )
            _reset(jobdir, (*SCRAPY_STATE, SPIDER_STATE))
            crawler.stats.set_value("dpc/jobdir/reset_unreadable", 1)
        jobdir.mkdir(parents=True, exist_ok=True)
        mark.touch()

    @classmethod
    def from_crawler(cls, crawler):
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir:
            raise NotConfigured
        guard = cls(Path(jobdir), crawler)
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def spider_closed(self, spider, reason):
        # The scheduler and its seen-list have written their files by now (they close first).
        if reason != PAUSED:
            _reset(self.jobdir)
        (self.jobdir / RUNNING_MARK).unlink(missing_ok=True)
