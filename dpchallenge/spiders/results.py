"""`scrapy crawl results -a challenge_ids=…`: only the results pages of those challenges."""

from __future__ import annotations

from dpchallenge.spiders.challenges import ResultsPages


class ResultsSpider(ResultsPages):
    name = "results"
    required = ("challenge_ids",)

    async def start_pages(self):
        done = self.done_challenges()
        wanted = [c for c in self.challenge_ids if c not in done]
        skipped = len(self.challenge_ids) - len(wanted)
        self.crawler.stats.inc_value("dpc/skipped/challenge_done", skipped)
        self.expect("challenges", len(wanted))
        for challenge_id in wanted:
            yield self.results_request(challenge_id)
