"""`scrapy crawl`, with arguments checked first and an exit status that says how the crawl went."""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from dpchallenge.arguments import ArgumentError, check_arguments
from dpchallenge.datafolder import RefusedToStart, preflight

EXIT_FAILED_PAGES = 1
EXIT_REFUSED = 2
EXIT_STOPPED_EARLY = 3


class Command(ScrapyCrawl):
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
        return None
