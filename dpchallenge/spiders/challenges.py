"""`scrapy crawl challenges`: the history list, then every challenge's results page."""

from __future__ import annotations

import logging

from dpchallenge.data.layout import CHALLENGES, DATASETS
from dpchallenge.data.records import read_dataset
from dpchallenge.data.worklist import done_challenges
from dpchallenge.pages import parse_history, parse_results
from dpchallenge.pages.history import fill_from_history
from dpchallenge.pages.results import expected_rows, results_incomplete
from dpchallenge.spiders.arguments import truthy
from dpchallenge.spiders.base import DpcSpider

logger = logging.getLogger(__name__)


class ResultsPages(DpcSpider):
    """Reads results pages (all of a paged listing) into a ChallengeItem and its EntryItems.

    Whichever spider reads a results page writes the same records, so a later spider skips it.
    """

    @property
    def entry_file_kinds(self) -> set[str]:
        """The files stored with each entry record."""
        return {"thumb"}

    def entry_files(self, entries) -> int:
        urls = {"thumb": "thumbnail_url", "full": "image_url"}
        return sum(1 for e in entries for k in self.entry_file_kinds if getattr(e, urls[k]))

    def done_challenges(self) -> set[int]:
        if self.refresh:
            return set()
        return done_challenges(self.data_dir, self.images_dir, frozenset(self.entry_file_kinds))

    def results_request(self, challenge_id: int, history: dict | None = None, **kwargs):
        self.listed[challenge_id] = history
        return self.page_request(
            self.results_url(challenge_id),
            self.parse_results,
            "results",
            challenge_id,
            cb_kwargs={"history": history},
            **kwargs,
        )

    @property
    def listed(self) -> dict[int, dict | None]:
        """The challenges this run set out to read, with what the history list says of each."""
        if not hasattr(self, "_listed"):
            self._listed: dict[int, dict | None] = {}
        return self._listed

    def request_for(self, kind, record_id):
        if kind == "results":
            return self.results_request(record_id, self.listed.get(record_id), dont_filter=True)
        return None

    def work_left(self):
        return [("results", c) for c in sorted(self.listed)]

    def not_written(self, pages):
        if not any(kind == "results" for kind, _ in pages):
            return pages
        done = self.done_challenges()
        return [(kind, i) for kind, i in pages if kind != "results" or i not in done]

    def expect_less(self, page, request):
        if page == "results" and request is not None:
            estimate = (request.cb_kwargs.get("history") or {}).get("entries") or 0
            self.expect("entries", -estimate)
            self.expect("files", -estimate * len(self.entry_file_kinds))

    def entries_read(self, entries):
        """What a spider does next with the entries of a results page (requests), if anything."""
        return
        yield

    def parse_history(self, response):
        """Every challenge listed (narrowed to -a challenge_ids) not done yet: its results page."""
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
        self.expect("files", sum(row.entries or 0 for row in rows) * len(self.entry_file_kinds))
        for row in rows:
            yield self.results_request(row.challenge_id, history=vars(row).copy())

    def results_of(self, wanted: list[int]):
        """The results requests of these challenges, with what only the history list shows.

        That comes from the records, else from one request for the history list, so a record
        is complete whichever spider wrote it.
        """
        known = {
            record["challenge_id"]: record
            for record in read_dataset(self.data_dir, CHALLENGES, DATASETS[CHALLENGES])
            if record["challenge_id"] in wanted and record.get("kind") is not None
        }
        if all(challenge_id in known for challenge_id in wanted):
            for challenge_id in wanted:
                yield self.estimated(challenge_id, known[challenge_id])
            return
        yield self.page_request(
            self.history_url(),
            self.parse_history_of,
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

    def parse_history_of(self, response, wanted):
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
        self.expect("files", estimate * len(self.entry_file_kinds))
        return self.results_request(challenge_id, history=history)

    def parse_results(self, response, history=None):
        result = parse_results(response)
        if not result.ok:
            yield from self.page_failed(response, result, "results")
            return
        self.count_page(result, "results", response.url)
        challenge, entries = result.items[0], result.items[1:]
        estimate = (history or {}).get("entries") or 0
        self.expect("entries", len(entries) - estimate)
        self.expect("files", self.entry_files(entries) - estimate * len(self.entry_file_kinds))
        self.crawler.stats.inc_value(f"dpc/challenges/{challenge.status}")
        if result.kind == "invalid":
            logger.info("challenge %s: invalid id (%s)", challenge.challenge_id, response.url)
        fill_from_history(challenge, history)
        for entry in entries:
            yield self.stamped(entry)
        yield from self.entries_read(entries)
        yield from self.rest_of_listing(response, challenge, result.rows, result.other_pages)

    def rest_of_listing(self, response, challenge, rows: int, pages: list[str]):
        """The next page of a paged listing, or, after the last, the challenge record."""
        if pages:
            self.crawler.stats.inc_value("dpc/results/pages_followed")
            yield self.page_request(
                pages[0],
                self.parse_later_page,
                "results",
                challenge.challenge_id,
                cb_kwargs={"challenge": challenge, "rows": rows, "pages": pages[1:]},
            )
            return
        if challenge.status == "finished":
            challenge.results_incomplete = results_incomplete(challenge, rows)
            if challenge.results_incomplete:
                logger.warning(
                    "challenge %s: %d results rows of %s expected; kept, fetched again next run",
                    challenge.challenge_id,
                    rows,
                    expected_rows(challenge),
                )
        yield self.stamped(challenge)

    def parse_later_page(self, response, challenge, rows, pages):
        result = parse_results(response)
        if not result.ok:
            yield from self.page_failed(response, result, "results")
            return
        self.count_page(result, "results", response.url)
        entries = result.items[1:]
        self.expect("entries", len(entries))
        self.expect("files", self.entry_files(entries))
        for entry in entries:
            yield self.stamped(entry)
        yield from self.entries_read(entries)
        yield from self.rest_of_listing(response, challenge, rows + result.rows, pages)


class ChallengeRecords(ResultsPages):
    """The spiders that read results pages for their records: -a full_res stores entry files."""

    arguments = {**DpcSpider.arguments, "full_res": truthy}
    defaults = {**DpcSpider.defaults, "full_res": "0"}

    @property
    def file_kinds(self) -> set[str]:
        """Each entry's thumbnail, and with -a full_res=1 its full-size file as well."""
        return {"thumb", "full"} if self.full_res else {"thumb"}

    @property
    def entry_file_kinds(self) -> set[str]:
        return self.file_kinds


class ChallengesSpider(ChallengeRecords):
    name = "challenges"

    async def start_pages(self):
        yield self.page_request(
            self.history_url(), self.parse_history, "history", None, dont_filter=True
        )
