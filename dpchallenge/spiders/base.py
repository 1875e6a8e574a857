"""What the three spiders share: arguments, URLs, the dataset's done-lists and page failures."""

from __future__ import annotations

import logging
from pathlib import Path

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.spidermiddlewares.httperror import HttpError

from dpchallenge.access.login import log_in
from dpchallenge.access.secrets import refuse_secret_settings
from dpchallenge.data.layout import FAILED, dataset_paths, images_dir_of
from dpchallenge.data.ledger import FailedLedger, now_utc
from dpchallenge.environment import refuse_unknown_settings
from dpchallenge.middlewares.crawl_delay import image_slot_settings
from dpchallenge.signals import page_failed, page_parsed, page_read, page_without_record
from dpchallenge.spiders.arguments import (
    ArgumentError,
    challenge_id_list,
    check_arguments,
    image_id_list,
    truthy,
)

logger = logging.getLogger(__name__)
CUT_SHORT = "end of page"  # what a parser says a page cut short in transit lacks


class DpcSpider(scrapy.Spider):
    # -a name=value: how each is read, and its value when not given.
    arguments = {
        "challenge_ids": challenge_id_list,
        "image_ids": image_id_list,
        "refresh": truthy,
    }
    defaults = {"refresh": "0"}
    required: tuple[str, ...] = ()

    @classmethod
    def check_required(cls, given: dict) -> None:
        for name in cls.required:
            if not given.get(name):
                raise ArgumentError(f"{cls.name} needs -a {name}=ID[,ID…]")

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        # Here, not in an add-on: refused while the crawler is made, it is a usage error.
        refuse_secret_settings(settings)
        refuse_unknown_settings(settings)
        image_slot_settings(settings)
        if settings.getpriority("USER_AGENT") <= settings.getpriority("DPC_CONTACT_URL"):
            contact = settings.get("DPC_CONTACT_URL")
            user_agent = settings.get("USER_AGENT_TEMPLATE").format(contact=contact)
            settings.set("USER_AGENT", user_agent, priority="spider")

    async def start(self):
        if self.settings.getbool("DPC_REPLAY"):
            self.refresh = True  # a replay rebuilds every record from the archive
        ledgers = dataset_paths(self.data_dir, FAILED)
        self.failed_before = {key for path in ledgers for key in FailedLedger(path).entries}
        await log_in(self)
        async for request in self.start_pages():
            yield request

    async def start_pages(self):
        """The spider's own first requests (after the login, when there is one)."""
        return
        yield

    def __init__(self, *args, **kwargs):
        given = {name: kwargs.pop(name) for name in list(kwargs) if name in self.arguments}
        check_arguments(self.name, self.arguments, {**kwargs, **given})
        super().__init__(*args, **kwargs)
        for name, read in self.arguments.items():
            setattr(self, name, read(given.get(name, self.defaults.get(name))))
        self.failed_before: set[tuple[str, int | None]] = set()

    @property
    def base_url(self) -> str:
        return self.settings.get("DPC_BASE_URL").rstrip("/")

    @property
    def data_dir(self) -> Path:
        return Path(self.settings.get("DPC_DATA_DIR"))

    def history_url(self) -> str:
        return f"{self.base_url}/challenge_history.php?show_all=1"

    def results_url(self, challenge_id: int) -> str:
        return f"{self.base_url}/challenge_results.php?CHALLENGE_ID={challenge_id}&show_full=1"

    def image_url(self, image_id: int) -> str:
        return f"{self.base_url}/image.php?IMAGE_ID={image_id}"

    @property
    def images_dir(self) -> Path | None:
        return images_dir_of(self.settings)

    def expect(self, stage: str, count: int) -> None:
        """More (or, with a negative count, fewer) of a stage's work that this run will do."""
        if count:
            self.crawler.stats.inc_value(f"dpc/expected/{stage}", count)

    def expect_less(self, page: str, request) -> None:
        """The work a page given up on will not bring (for the progress totals)."""

    def count_page(self, result, page: str, url: str) -> None:
        """A parsed page's own observations (odd rows, absent panels) as stats and log lines."""
        for name, count in result.stats.items():
            self.crawler.stats.inc_value(f"dpc/{name}", count)
        if page != "image":  # the image spider logs an image page's gaps with its id
            for problem in result.missing:
                logger.warning("%s page: %s (%s)", page, problem, url)
        lacks = sorted(
            name.partition("/missing/")[2] for name in result.stats if "/missing/" in name
        )
        self.crawler.signals.send_catch_log(page_read, kind=page, url=url, lacks=lacks)

    def request_for(self, kind: str, record_id) -> scrapy.Request | None:
        """A page the fleet queues again (distributed mode); it is in the seen-set already."""
        return None

    def work_left(self) -> list[tuple[str, int | None]]:
        """The pages this run set out to fetch (not_written tells which are still missing)."""
        return []

    def not_written(self, pages: list[tuple[str, int | None]]) -> list[tuple[str, int | None]]:
        """Those of `pages` whose records the dataset files do not hold yet."""
        return pages

    def without_record(self, page: str, record_id, url: str | None = None) -> None:
        self.crawler.signals.send_catch_log(
            page_without_record, kind=page, record_id=record_id, url=url
        )

    def parsed(self, page: str, record_id) -> None:
        self.crawler.signals.send_catch_log(page_parsed, kind=page, record_id=record_id)

    def stamped(self, item):
        item.crawled_at = now_utc()
        return item

    def page_failed(self, response, result, page: str):
        """A page that is not data: fetch it again, or give up and say which id failed."""
        record_id = response.meta.get("dpc_id")
        reason = result.kind
        if result.missing:
            reason += f" ({', '.join(result.missing)})"
        self.crawler.stats.inc_value(f"dpc/pages/{page}/{result.kind}")
        if result.kind == "unparsable" and result.missing != [CUT_SHORT]:  # not a transport fault
            lacks = [f"parsable markup ({', '.join(result.missing) or 'unknown page'})"]
            self.crawler.signals.send_catch_log(page_read, kind=page, url=response.url, lacks=lacks)
        retry = get_retry_request(
            response.request,
            spider=self,
            reason=f"dpc {page} page {result.kind}",
            max_retry_times=self.settings.getint("DPC_PAGE_RETRIES"),
        )
        if retry is not None:
            retry.meta["dpc_refetch"] = True  # from the site, not the cache
            yield retry
        else:
            self.give_up(page, record_id, reason, response.url, response.request)

    def request_failed(self, failure):
        request = failure.request
        page, record_id = request.meta.get("dpc_page", "page"), request.meta.get("dpc_id")
        if failure.check(HttpError):
            detail = f"HTTP {failure.value.response.status}"
        else:
            detail = failure.getErrorMessage() or failure.type.__name__
        self.give_up(page, record_id, detail, request.url, request)

    def give_up(self, page: str, record_id, reason: str, url: str, request=None) -> None:
        self.expect_less(page, request)
        stats = self.crawler.stats
        stats.inc_value(f"dpc/failed/{page}")
        failed = stats.get_value(f"dpc/failed_ids/{page}") or []
        if record_id is not None and record_id not in failed:
            stats.set_value(f"dpc/failed_ids/{page}", [*failed, record_id])
        logger.error("failed %s page, id %s: %s: %s", page, record_id, reason, url)
        self.crawler.signals.send_catch_log(
            page_failed, kind=page, record_id=record_id, url=url, reason=reason
        )

    def seen_list_shared(self) -> bool:
        """Whether other crawlers share this one's seen-list (then it alone keeps a page from
        being fetched twice)."""
        engine = self.crawler.engine
        return bool(getattr(engine and engine.scheduler, "shared", False))

    def page_request(self, url: str, callback, page: str, record_id, **kwargs) -> scrapy.Request:
        meta = {"dpc_page": page, "dpc_id": record_id, **kwargs.pop("meta", {})}
        if (page, record_id) in self.failed_before and not self.seen_list_shared():
            kwargs.setdefault("dont_filter", True)  # a paused run's seen-list must not skip it
        kwargs.setdefault("errback", self.request_failed)
        return scrapy.Request(url, callback=callback, meta=meta, **kwargs)
