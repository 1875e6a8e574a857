"""`scrapy crawl challenges`: the history list, then every challenge's results page."""

from __future__ import annotations

import logging

from dpchallenge.pages import parse_history, parse_results
from dpchallenge.spiders.base import DpcSpider
from dpchallenge.worklist import done_challenges

logger = logging.getLogger(__name__)
# What only the history list says about a challenge; the results page wins where both speak.
HISTORY_ONLY = ("extra_rules", "kind", "name", "rules_id", "rules_name")


class ResultsPages(DpcSpider):
    """Reads results pages into a ChallengeItem and its EntryItems."""

    def done_challenges(self) -> set[int]:
        if self.refresh:
            return set()
        return done_challenges(self.data_dir, self.images_dir)

    def results_request(self, challenge_id: int, history: dict | None = None):
        return self.page_request(
            self.results_url(challenge_id),
            self.parse_results,
            "results",
            challenge_id,
            cb_kwargs={"history": history},
        )

    def parse_results(self, response, history=None):
        result = parse_results(response)
        if not result.ok:
            yield from self.page_failed(response, result, "results")
            return
        challenge, entries = result.items[0], result.items[1:]
        self.parsed("results", challenge.challenge_id)
        estimate = (history or {}).get("entries") or 0
        self.expect("entries", len(entries) - estimate)
        self.expect("files", sum(1 for e in entries if e.thumbnail_url) - estimate)
        self.crawler.stats.inc_value(f"dpc/challenges/{challenge.status}")
        if result.kind == "invalid":
            logger.info("challenge %s: invalid id (%s)", challenge.challenge_id, response.url)
        for name in HISTORY_ONLY:
            if history and getattr(challenge, name) is None and challenge.status != "invalid":
                setattr(challenge, name, history.get(name))
        for entry in entries:
            yield self.stamped(entry)
        yield self.stamped(challenge)


class ChallengesSpider(ResultsPages):
    name = "challenges"

    async def start_pages(self):
        yield self.page_request(
            self.history_url(), self.parse_history, "history", None, dont_filter=True
        )

    def parse_history(self, response):
        result = parse_history(response)
        if not result.ok:
            yield from self.page_failed(response, result, "history")
            return
        self.parsed("history", None)
        wanted = set(self.challenge_ids)
        done = self.done_challenges()
        self.crawler.stats.set_value("dpc/history/rows", len(result.items))
        rows = []
        for row in result.items:
            if wanted and row.challenge_id not in wanted:
                continue
            if row.challenge_id in done:
                self.crawler.stats.inc_value("dpc/skipped/challenge_done")
                continue
            rows.append(row)
        self.expect("challenges", len(rows))
        self.expect("entries", sum(row.entries or 0 for row in rows))
        self.expect("files", sum(row.entries or 0 for row in rows))
        for row in rows:
            yield self.results_request(row.challenge_id, history=vars(row).copy())
