"""Stores thumbnails and full-size files under the image id, with the bytes the site served.

Scrapy's ImagesPipeline re-encodes every JPEG; we keep its download, store and Pillow check, and
store the original bytes instead.
"""

from __future__ import annotations

import hashlib
import logging
from io import BytesIO
from pathlib import Path

from scrapy import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.images import ImageException, ImagesPipeline

from dpchallenge.arguments import truthy
from dpchallenge.items import EntryItem, ImageItem

logger = logging.getLogger(__name__)

FOLDERS = {"thumb": "thumbs", "full": "full"}
IMAGE_SLOT = "dpc-images"


def image_slot_settings(settings) -> None:
    """The image host is throttled on its own slot: DPC_IMAGES_DELAY and DPC_IMAGES_CONCURRENCY."""
    slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
    slots.setdefault(
        IMAGE_SLOT,
        {
            "delay": settings.getfloat("DPC_IMAGES_DELAY"),
            "concurrency": settings.getint("DPC_IMAGES_CONCURRENCY"),
        },
    )
    settings.set("DOWNLOAD_SLOTS", slots, priority="spider")


def file_facts(body: bytes, image) -> dict:
    width, height = image.size
    return {
        "sha256": hashlib.sha256(body).hexdigest(),
        "width": width,
        "height": height,
        "bytes": len(body),
    }


class MediaPipeline(ImagesPipeline):
    def __init__(self, store_uri, *, crawler):
        super().__init__(store_uri, crawler=crawler)
        settings = crawler.settings
        self.base_url = settings.get("DPC_BASE_URL").rstrip("/")
        self.placeholder_sha256 = set(settings.getlist("DPC_PLACEHOLDER_SHA256"))
        self.facts: dict[str, dict] = {}
        self.first_id_by_sha256: dict[str, int] = {}
        self.failures: dict[str, str] = {}
        self.kinds: set[str] = {"thumb"}

    @classmethod
    def from_crawler(cls, crawler):
        cls._update_stores(crawler.settings)
        store = crawler.settings.get("IMAGES_STORE") or str(
            Path(crawler.settings.get("DPC_DATA_DIR")) / "images"
        )
        return cls(store, crawler=crawler)

    def open_spider(self, spider=None):
        super().open_spider()
        spider = spider or self.crawler.spider
        self.kinds = set()
        if truthy(getattr(spider, "thumbnails", "1")):
            self.kinds.add("thumb")
        if truthy(getattr(spider, "full_res", "0")):
            self.kinds.add("full")

    def get_media_requests(self, item, info):
        if not isinstance(item, EntryItem | ImageItem):
            return []
        urls = {"thumb": item.thumbnail_url, "full": item.image_url}
        kinds = self.kinds if isinstance(item, ImageItem) else self.kinds & {"thumb"}
        return [
            Request(
                urls[kind],
                callback=NO_CALLBACK,
                headers={"Referer": f"{self.base_url}/image.php?IMAGE_ID={item.image_id}"},
                meta={"dpc_kind": kind, "dpc_image_id": item.image_id, "download_slot": IMAGE_SLOT},
            )
            for kind in sorted(kinds)
            if urls[kind]
        ]

    def file_path(self, request, response=None, info=None, *, item=None):
        kind = request.meta["dpc_kind"]
        return f"{FOLDERS[kind]}/{request.meta['dpc_image_id']}.jpg"

    def get_images(self, response, request, info, *, item=None):
        path = self.file_path(request, response=response, info=info, item=item)
        body = response.body
        try:
            image = self._Image.open(BytesIO(body))
            image.load()  # decodes every pixel: a truncated or corrupt file fails here
        except Exception as exc:
            raise ImageException(f"not a whole image ({exc})") from exc
        if image.format != "JPEG":
            raise ImageException(f"{image.format} where a JPEG was expected")
        facts = file_facts(body, image)
        if facts["sha256"] in self.placeholder_sha256:
            raise ImageException("the site's placeholder for a removed image")
        image_id = request.meta["dpc_image_id"]
        first_id = self.first_id_by_sha256.setdefault(facts["sha256"], image_id)
        if first_id != image_id:
            # Entries never share bytes: this is likely a placeholder not yet listed.
            self.crawler.stats.inc_value("dpc/files/same_bytes_as_another_image")
            logger.warning(
                "image %s: the same bytes as image %s (sha256 %s); if this is the site's "
                "placeholder, add it to DPC_PLACEHOLDER_SHA256",
                image_id,
                first_id,
                facts["sha256"],
            )
        self.facts[path] = facts
        yield path, image, BytesIO(body)

    def media_failed(self, failure, request, info):
        # Scrapy raises a bare FileException here; keep the reason for the record.
        reason = str(failure.value) or type(failure.value).__name__
        self.failures[self.file_path(request)] = reason
        return super().media_failed(failure, request, info)

    def item_completed(self, results, item, info):
        requests = self.get_media_requests(item, info)
        records = []
        for request, (ok, result) in zip(requests, results):
            kind = request.meta["dpc_kind"]
            path = self.file_path(request, item=item)
            record = {
                "kind": kind,
                "url": request.url,
                "path": None,
                "sha256": None,
                "width": None,
                "height": None,
                "bytes": None,
            }
            if ok:
                record.update(path=path, **(self.facts.pop(path, None) or self._stored_facts(path)))
                self.crawler.stats.inc_value(f"dpc/files/{kind}/{result.get('status')}")
            else:
                record["error"] = self.failures.pop(path, None) or str(result.value) or "failed"
                self.crawler.stats.inc_value(f"dpc/files/{kind}/failed")
                logger.warning(
                    "image %s: %s file not stored: %s (%s)",
                    item.image_id,
                    kind,
                    record["error"],
                    request.url,
                )
            records.append(record)
        if isinstance(item, EntryItem):
            thumb = next((r for r in records if r["kind"] == "thumb"), None)
            item.thumbnail_path = thumb["path"] if thumb else None
        else:
            item.files = records
        return item

    def _stored_facts(self, path: str) -> dict:
        """Facts of a file stored by an earlier run (read back from a local store only)."""
        basedir = getattr(self.store, "basedir", None)
        if basedir is None:
            return {}
        try:
            body = (Path(basedir) / path).read_bytes()
            return file_facts(body, self._Image.open(BytesIO(body)))
        except (OSError, ValueError):  # gone or damaged since: the record keeps the path only
            return {}
