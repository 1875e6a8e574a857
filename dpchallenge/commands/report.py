"""`scrapy report --out DIR`: index.html and PNG figures of the crawl in DPC_DATA_DIR."""

from __future__ import annotations

import sys

from scrapy.commands import ScrapyCommand

from dpchallenge.commands.export import data_paths, fail
from dpchallenge.dataset.source import DataError, OutRefused


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}
    name = "report"

    def syntax(self) -> str:
        return "--out DIR [--ava-txt PATH]"

    def short_desc(self) -> str:
        return "Write figures of the crawl in DPC_DATA_DIR and an index.html"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--out", metavar="DIR", help="the folder to write (required)")
        parser.add_argument("--ava-txt", metavar="PATH", help="the original AVA.txt, to compare")

    def run(self, args, opts) -> None:
        if args:
            fail(self, f"unexpected arguments or options: {' '.join(args)}", 2)
            return
        if not opts.out:
            fail(self, "--out DIR is required", 2)
            return
        from dpchallenge.dataset.report import write_report

        try:
            data_dir, _ = data_paths(self.settings)
            made = write_report(data_dir, opts.out, opts.ava_txt)
        except DataError as error:
            fail(self, str(error), 2 if isinstance(error, OutRefused) else 1)
            return
        print(f"report: {len(made)} figures and index.html -> {opts.out}", file=sys.stderr)
