"""Ends a crawl with a short summary for a person and the exit status the crawl command returns."""

from __future__ import annotations

import logging

from scrapy import signals

from dpchallenge.data.layout import FAILED, INVALID, data_dir_of, part_name

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_STOPPED_EARLY = 3
RESUME = "run the same command again to resume"
STOP_ADVICE = {
    "shutdown": f"stopped by Ctrl-C or a signal; {RESUME}",
    "banned": f"the site kept serving its ban page; wait some hours, then {RESUME}",
    "write_error": f"a file could not be written; free disk space, then {RESUME}",
    "site_changed": "the site's pages no longer read as before (the line above says how); "
    f"a parser fix comes first, then DPC_REPLAY=1 rebuilds the pages, then {RESUME}",
}


def counted(stats: dict, prefix: str) -> dict[str, int]:
    return {
        key.removeprefix(prefix): value
        for key, value in stats.items()
        if key.startswith(prefix) and isinstance(value, int) and value
    }


def exit_status(reason: str, failed: int) -> int:
    if reason != "finished":
        return EXIT_STOPPED_EARLY
    return EXIT_FAILED if failed else EXIT_OK


class RunSummary:
    def __init__(self, crawler):
        self.crawler = crawler
        self.text = ""  # the crawl command prints it last

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def item_error(self, item, response=None, spider=None, failure=None):
        self.crawler.stats.inc_value("dpc/failed/item_error")

    def spider_closed(self, spider, reason):
        stats = self.crawler.stats.get_stats()
        written = counted(stats, "dpc/written/")
        skipped = counted(stats, "dpc/skipped/")
        failed = counted(stats, "dpc/failed/")
        failed.update({"spider_error": sum(counted(stats, "spider_exceptions/").values())})
        failed = {k: v for k, v in failed.items() if v}
        status = exit_status(reason, sum(failed.values()))
        self.crawler.stats.set_value("dpc/exit_code", status)
        settings = self.crawler.settings
        ledger = data_dir_of(settings) / part_name(FAILED, settings)
        lines = [
            f"{spider.name} {'finished' if reason == 'finished' else 'stopped: ' + reason}",
            "written: " + (", ".join(f"{n} {k}" for k, n in written.items()) or "nothing"),
            "skipped as done: " + (", ".join(f"{n} {k}" for k, n in skipped.items()) or "none"),
        ]
        if invalid := stats.get("dpc/images/invalid_id", 0):
            settled = data_dir_of(settings) / part_name(INVALID, settings)
            lines.append(f"invalid ids: {invalid} image (the site has no such page; in {settled})")
        if failed:
            still = stats.get("dpc/failed_ledger/entries", 0)
            lines.append(
                "failed: "
                + ", ".join(f"{n} {k}" for k, n in failed.items())
                + f" ({still} still failing are listed in {ledger})"
            )
        if reason != "finished":
            lines.append("next: " + STOP_ADVICE.get(reason, f"it stopped early; {RESUME}"))
        elif failed:
            lines.append("next: run the same command again to retry what failed")
        else:
            lines.append("next: nothing left to do for this command")
        self.text = f"summary (exit status {status}):\n  " + "\n  ".join(lines)
        if self.crawler.settings.get("LOG_FILE"):
            (logger.info if status == EXIT_OK else logger.warning)("%s", self.text)
