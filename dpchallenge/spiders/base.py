"""What the three spiders share: arguments, URLs, the dataset's done-lists and page failures."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.spidermiddlewares.httperror import HttpError

from dpchallenge.arguments import id_list, truthy
from dpchallenge.login import log_in
from dpchallenge.pipelines.media import image_slot_settings
from dpchallenge.scraperapi import scraperapi_settings
from dpchallenge.secrets import refuse_secret_settings
from dpchallenge.splash import apply_splash_settings, splash_request, splash_url

logger = logging.getLogger(__name__)


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class DpcSpider(scrapy.Spider):
    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        refuse_secret_settings(settings)
        scraperapi_settings(settings)
        apply_splash_settings(settings)
        image_slot_settings(settings)
        if settings.getpriority("USER_AGENT") <= settings.getpriority("DPC_CONTACT_URL"):
            contact = settings.get("DPC_CONTACT_URL")
            user_agent = settings.get("USER_AGENT_TEMPLATE").format(contact=contact)
            settings.set("USER_AGENT", user_agent, priority="spider")

    async def start(self):
        await log_in(self)
        async for request in self.start_pages():
            yield request

    async def start_pages(self):
        """The spider's own first requests (after the login, when there is one)."""
        return
        yield

    def __init__(self, *args, challenge_ids=None, image_ids=None, refresh="0", **kwargs):
        super().__init__(*args, **kwargs)
        self.challenge_ids = id_list(challenge_ids)
        self.image_ids = id_list(image_ids)
        self.refresh = truthy(refresh)

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
        retry = get_retry_request(
            response.request,
            spider=self,
            reason=f"dpc {page} page {result.kind}",
            max_retry_times=self.settings.getint("DPC_PAGE_RETRIES"),
        )
        if retry is not None:
            retry.meta["dont_cache"] = True
            yield retry
        else:
            self.give_up(page, record_id, f"{reason}: {response.url}")

    def request_failed(self, failure):
        request = failure.request
        page, record_id = request.meta.get("dpc_page", "page"), request.meta.get("dpc_id")
        if failure.check(HttpError):
            detail = f"HTTP {failure.value.response.status}"
        else:
            detail = failure.getErrorMessage() or failure.type.__name__
        self.give_up(page, record_id, f"{detail}: {request.url}")

    def give_up(self, page: str, record_id, detail: str) -> None:
        stats = self.crawler.stats
        stats.inc_value(f"dpc/failed/{page}")
        failed = stats.get_value(f"dpc/failed_ids/{page}") or []
        if record_id is not None and record_id not in failed:
            stats.set_value(f"dpc/failed_ids/{page}", [*failed, record_id])
        logger.error("failed %s page, id %s: %s", page, record_id, detail)

    def page_request(self, url: str, callback, page: str, record_id, **kwargs) -> scrapy.Request:
        meta = {"dpc_page": page, "dpc_id": record_id, **kwargs.pop("meta", {})}
        if splash_url(self.settings):
            return splash_request(
                url, callback=callback, errback=self.request_failed, meta=meta, **kwargs
            )
        return scrapy.Request(
            url, callback=callback, errback=self.request_failed, meta=meta, **kwargs
        )
