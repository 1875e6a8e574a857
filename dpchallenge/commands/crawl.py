"""`scrapy crawl`, with arguments checked first and an exit status that says how the crawl went."""

from __future__ import annotations

import difflib
import logging
import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

from dpchallenge.access.login import login_refusal
from dpchallenge.data.folder import DataFolder, RefusedToStart, writable_folder
from dpchallenge.data.layout import data_dir_of, distributed, worker_name
from dpchallenge.extensions.run_summary import RunSummary
from dpchallenge.spiders.arguments import ArgumentError, check_arguments

EXIT_FAILED_PAGES = 1
EXIT_REFUSED = 2
EXIT_STOPPED_EARLY = 3

# Scrapy's start-up listings (about 80 lines a run), by the logger that writes each: on the
# console they push the run's own lines away, so they are logged at DEBUG there.
STARTUP_LISTINGS = {
    "scrapy.utils.log": "Versions:",
    "scrapy.addons": "Enabled addons:",
    "scrapy.middleware": "Enabled %(componentname)ss:",
    "scrapy.crawler": "Overridden settings:",
}


def preflight(settings) -> DataFolder:
    """Every check a crawl passes before its first request; raises RefusedToStart (or
    UsageError for a setting)."""
    # imported here: Scrapy loads every project command for each command, and this brings
    # Scrapy's HTTP and TLS stack (0.3 s), which the dataset commands do not need
    from dpchallenge.access.scraperapi import scraperapi_mode

    scraperapi_mode(settings)  # its add-on checks it only once the crawl has begun
    if refusal := login_refusal(settings):
        raise RefusedToStart(refusal)
    if jobdir := settings.get("JOBDIR"):
        writable_folder(Path(jobdir), "JOBDIR")
    worker = worker_name(settings) if distributed(settings) else None
    folder = DataFolder(data_dir_of(settings), settings.get("DPC_BASE_URL"), worker)
    folder.claim()
    return folder


class DebugLevel(logging.Filter):
    """Lowers the INFO records whose message starts with `prefix` to DEBUG."""

    def __init__(self, prefix: str):
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and str(record.msg).startswith(self.prefix):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


def quiet_startup() -> None:
    for name, prefix in STARTUP_LISTINGS.items():
        logging.getLogger(name).addFilter(DebugLevel(prefix))


def spider_not_found(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return f"no spider named {name!r}; {hint}the spiders are {', '.join(sorted(known))}"


class Command(ScrapyCrawl):
    def process_options(self, args, opts):
        super().process_options(args, opts)
        if len(args) == 1:
            # before Scrapy's first log line, so that a typo gets one line
            known = get_spider_loader(self.settings).list()
            if args[0] not in known:
                message = spider_not_found(args[0], known)
                print(f"scrapy crawl {args[0]}: {message}", file=sys.stderr)
                sys.exit(EXIT_REFUSED)
        if not self.settings.get("LOG_FILE"):
            # a log file keeps them; the stats are in stats/<spider>.json either way
            quiet_startup()
            self.settings.set("STATS_DUMP", False, priority="command")

    def run(self, args, opts):
        if len(args) != 1:
            return super().run(args, opts)
        spider_class = self.crawler_process.spider_loader.load(args[0])
        try:
            accepted = getattr(spider_class, "arguments", None)
            if accepted is not None:
                check_arguments(spider_class.name, accepted, opts.spargs)
                spider_class.check_required(opts.spargs)
            crawler = self._create_crawler(args[0])
            folder = preflight(crawler.settings)
        except (ArgumentError, RefusedToStart, UsageError) as exc:
            print(f"scrapy crawl {args[0]}: {exc}", file=sys.stderr)
            self.exitcode = EXIT_REFUSED
            return None
        try:
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
        finally:
            folder.release()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        else:
            self.exitcode = crawler.stats.get_value("dpc/exit_code", EXIT_FAILED_PAGES)
        extensions = getattr(crawler, "extensions", None)
        summaries = [e for e in getattr(extensions, "middlewares", ()) if isinstance(e, RunSummary)]
        if summaries and summaries[0].text:
            # last, after Scrapy's closing lines and whatever the log level
            print(summaries[0].text, file=sys.stderr, flush=True)
        return None
