"""`scrapy crawl results -a challenge_ids=…`: only the results pages of those challenges."""

from __future__ import annotations

from dpchallenge.spiders.challenges import ResultsPages


class ResultsSpider(ResultsPages):
    name = "results"

    async def start_pages(self):
        if not self.challenge_ids:
            raise ValueError("the results spider needs -a challenge_ids=ID[,ID…]")
        done = self.done_challenges()
        for challenge_id in self.challenge_ids:
            if challenge_id in done:
                self.crawler.stats.inc_value("dpc/skipped/challenge_done")
                continue
            yield self.results_request(challenge_id)
