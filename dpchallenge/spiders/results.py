"""`scrapy crawl results -a challenge_ids=…`: only the results pages of those challenges."""

from __future__ import annotations

from dpchallenge.pages import parse_history
from dpchallenge.spiders.challenges import ResultsPages
from dpchallenge.store import read_dataset


class ResultsSpider(ResultsPages):
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
        # What only the history list shows (extra rules, kind, …): from the records, else one
        # request for the history list, so a record is complete whichever spider wrote it.
        known = {
            record["challenge_id"]: record
            for record in read_dataset(self.data_dir, "challenges.jsonl", "challenge_id")
            if record["challenge_id"] in wanted and record.get("kind") is not None
        }
        if all(challenge_id in known for challenge_id in wanted):
            for challenge_id in wanted:
                yield self.estimated(challenge_id, known[challenge_id])
            return
        yield self.page_request(
            self.history_url(),
            self.parse_history,
            "history",
            None,
            dont_filter=True,
            cb_kwargs={"wanted": wanted},
            errback=self.history_failed,
        )

    def history_failed(self, failure):
        """Listed as failed, and the results pages still come, without the history's fields."""
        self.request_failed(failure)
        for challenge_id in failure.request.cb_kwargs["wanted"]:
            yield self.estimated(challenge_id, None)

    def parse_history(self, response, wanted):
        result = parse_history(response)
        rows = {row.challenge_id: vars(row).copy() for row in result.items} if result.ok else {}
        if result.ok:
            self.parsed("history", None)
        else:  # the results pages still come; their records lack only the history's fields
            self.crawler.stats.inc_value(f"dpc/pages/history/{result.kind}")
        for challenge_id in wanted:
            yield self.estimated(challenge_id, rows.get(challenge_id))

    def estimated(self, challenge_id: int, history: dict | None):
        """The results request, its entries counted in the progress totals from `history`."""
        estimate = (history or {}).get("entries") or 0
        self.expect("entries", estimate)
        self.expect("files", estimate * len(self.file_kinds))
        return self.results_request(challenge_id, history=history)
