"""A plain Scrapy spider that fetches a list of URLs and parses nothing: the engine's own ceiling.

Run by the benchmarks with `scrapy runspider benchmarks/bare_spider.py -a url_file=URLS` outside
the project (no project settings, middlewares or pipelines).
"""

from __future__ import annotations

import scrapy


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, url_file: str, **kwargs):
        super().__init__(**kwargs)
        self.url_file = url_file

    async def start(self):
        with open(self.url_file, encoding="utf-8") as urls:
            for line in urls:
                if url := line.strip():
                    yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response):
        self.crawler.stats.inc_value("bare/fetched")
