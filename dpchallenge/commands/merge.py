"""`scrapy merge`: joins distributed workers' parts into the usual dataset files, in place."""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand

from dpchallenge.data.layout import LOCK_FILE
from dpchallenge.data.merge import merge_parts


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def short_desc(self) -> str:
        return "Join distributed workers' parts (images.<worker>.jsonl, …) into the dataset files"

    def run(self, args, opts):
        if args:
            print("scrapy merge: takes no arguments (it reads DPC_DATA_DIR)", file=sys.stderr)
            self.exitcode = 2
            return
        data_dir = Path(self.settings.get("DPC_DATA_DIR"))
        if not data_dir.is_dir():
            print(f"scrapy merge: DPC_DATA_DIR={data_dir} is not a folder", file=sys.stderr)
            self.exitcode = 2
            return
        fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print(
                    f"scrapy merge: a crawl is writing DPC_DATA_DIR={data_dir}; merge once it ends",
                    file=sys.stderr,
                )
                self.exitcode = 2
                return
            try:
                summary = merge_parts(data_dir)
            except OSError as exc:
                print(f"scrapy merge: {exc}; the parts are kept", file=sys.stderr)
                self.exitcode = 1
                return
        finally:
            os.close(fd)
        parts = sum(merged for _, merged in summary.values())
        counts = ", ".join(f"{name} {records}" for name, (records, _) in summary.items())
        print(f"scrapy merge: {parts} part(s) merged in {data_dir}; records: {counts}")
