"""`scrapy crawl challenges`: the history list, then every challenge's results page."""

from __future__ import annotations

import logging
from collections import Counter

from dpchallenge.pages import parse_history, parse_results
from dpchallenge.spiders.base import DpcSpider
from dpchallenge.store import read_records

logger = logging.getLogger(__name__)
# What only the history list says about a challenge; the results page wins where both speak.
HISTORY_ONLY = ("extra_rules", "kind", "name", "rules_id", "rules_name")


class ResultsPages(DpcSpider):
    """Reads results pages into a ChallengeItem and its EntryItems."""

    def done_challenges(self) -> set[int]:
        """Challenges whose record is final and whose entries were all written.

        Entries go through the thumbnail downloads and may land after their challenge, so a
        challenge counts as done only once the entries file holds as many rows as it has entries.
        """
        if self.refresh:
            return set()
        rows = Counter(
            record.get("challenge_id")
            for record in read_records(self.data_dir / "entries.jsonl", "image_id")
        )
        done = set()
        for record in read_records(self.data_dir / "challenges.jsonl", "challenge_id"):
            challenge_id, status = record["challenge_id"], record.get("status")
            if status == "invalid" or (
                status == "finished" and rows[challenge_id] >= (record.get("entries") or 0)
            ):
                done.add(challenge_id)
        return done

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
        yield self.page_request(self.history_url(), self.parse_history, "history", None)

    def parse_history(self, response):
        result = parse_history(response)
        if not result.ok:
            yield from self.page_failed(response, result, "history")
            return
        wanted = set(self.challenge_ids)
        done = self.done_challenges()
        self.crawler.stats.set_value("dpc/history/rows", len(result.items))
        for row in result.items:
            if wanted and row.challenge_id not in wanted:
                continue
            if row.challenge_id in done:
                self.crawler.stats.inc_value("dpc/skipped/challenge_done")
                continue
            yield self.results_request(row.challenge_id, history=vars(row).copy())
