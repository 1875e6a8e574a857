"""`scrapy crawl results -a challenge_ids=…`: only the results pages of those challenges."""

from __future__ import annotations

from dpchallenge.spiders.challenges import ChallengeRecords


class ResultsSpider(ChallengeRecords):
    name = "results"
    required = ("challenge_ids",)

    async def start_pages(self):
        self.check_required({"challenge_ids": self.challenge_ids})
        done = self.done_challenges()
        wanted = [c for c in self.challenge_ids if c not in done]
        self.crawler.stats.inc_value(
            "dpc/skipped/challenge_done", len(self.challenge_ids) - len(wanted)
        )
        self.expect("challenges", len(wanted))
        for request in self.results_of(wanted):
            yield request
