"""Stores thumbnails and full-size files under the image id, with the bytes the site served.

Scrapy's ImagesPipeline re-encodes every JPEG; we keep its download, store and Pillow check, and
store the original bytes instead.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image
from scrapy import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FSFilesStore
from scrapy.pipelines.images import ImageException, ImagesPipeline

from dpchallenge.data.files import is_write_error, write_atomically
from dpchallenge.data.layout import FOLDERS, image_store, stored_path
from dpchallenge.items import EntryItem, ImageItem
from dpchallenge.middlewares.crawl_delay import IMAGE_SLOT
from dpchallenge.stopping import stop_for_write_error

logger = logging.getLogger(__name__)

# Files whose bytes are compared with each new file's: a placeholder served again within this
# many files is noticed (~1 MB at most).
SAME_BYTES_WINDOW = 10_000


def whole_jpeg(body: bytes):
    """The decoded image (every pixel: a truncated or corrupt file fails here), or raises."""
    image = Image.open(BytesIO(body))
    image.load()
    if image.format != "JPEG":
        raise ImageException(f"{image.format} where a JPEG was expected")
    return image


def allowed_hosts(base_url: str) -> set[str]:
    """The site's own host and its image host (images.<domain>); the replica uses one host."""
    host = (urlsplit(base_url).hostname or "").lower()
    return {host, "images." + host.removeprefix("www.")}


def on_hosts(urls: dict[str, str], hosts: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """The URLs on one of the hosts, and the others."""
    allowed, refused = {}, {}
    for kind, url in urls.items():
        target = allowed if (urlsplit(url).hostname or "").lower() in hosts else refused
        target[kind] = url
    return allowed, refused


class VerifiedFilesStore(FSFilesStore):
    """A local store where a file is written whole or not at all, and counts only if it decodes."""

    def persist_file(self, path, buf, info, meta=None, headers=None):
        write_atomically(self._get_filesystem_path(path), buf.getvalue())

    def stat_file(self, path, info):
        absolute = self._get_filesystem_path(path)
        try:
            whole_jpeg(absolute.read_bytes())
        except Exception:  # missing, empty, cut short or not an image: fetch it again
            return {}
        return super().stat_file(path, info)


def file_facts(body: bytes, image) -> dict:
    width, height = image.size
    return {
        "sha256": hashlib.sha256(body).hexdigest(),
        "width": width,
        "height": height,
        "bytes": len(body),
    }


class MediaPipeline(ImagesPipeline):
    STORE_SCHEMES = {
        **ImagesPipeline.STORE_SCHEMES,
        "": VerifiedFilesStore,
        "file": VerifiedFilesStore,
    }

    def __init__(self, store_uri, *, crawler):
        super().__init__(store_uri, crawler=crawler)
        settings = crawler.settings
        self.base_url = settings.get("DPC_BASE_URL").rstrip("/")
        self.placeholder_sha256 = set(settings.getlist("DPC_PLACEHOLDER_SHA256"))
        self.facts: dict[str, dict] = {}
        # The image id of each recent file's bytes (by a 64-bit prefix of its sha256), oldest
        # first: a window, since a dict of every file of a whole-site crawl is ~100 MB.
        self.first_id_by_sha256: dict[int, int] = {}
        self.failures: dict[str, str] = {}
        self.pending: dict[int, list[Request]] = {}  # an item's file requests, until it completes
        self.asked: Counter[bytes] = Counter()  # items in progress asking for each file
        self.kinds: set[str] = {"thumb"}
        self.entry_kinds: set[str] = {"thumb"}
        self.hosts = allowed_hosts(self.base_url) | {
            host.lower() for host in settings.getlist("DPC_IMAGE_HOSTS")
        }

    @classmethod
    def from_crawler(cls, crawler):
        cls._update_stores(crawler.settings)
        return cls(image_store(crawler.settings), crawler=crawler)

    def open_spider(self, spider=None):
        super().open_spider()
        spider = spider or self.crawler.spider
        self.kinds = set(getattr(spider, "file_kinds", {"thumb"}))
        self.entry_kinds = set(getattr(spider, "entry_file_kinds", self.kinds))

    def file_urls(self, item) -> dict[str, str]:
        """The files this run stores for an item, by kind; other hosts' files are refused."""
        urls = {"thumb": item.thumbnail_url, "full": item.image_url}
        kinds = self.entry_kinds if isinstance(item, EntryItem) else self.kinds
        wanted, refused = on_hosts({k: urls[k] for k in sorted(kinds) if urls[k]}, self.hosts)
        for kind, url in refused.items():
            self.crawler.stats.inc_value("dpc/files/foreign_host_refused")
            logger.warning(
                "image %s: %s file on a foreign host refused: %s", item.image_id, kind, url
            )
        return wanted

    def get_media_requests(self, item, info):
        if not isinstance(item, EntryItem | ImageItem):
            return []
        urls = self.file_urls(item)
        requests = [
            Request(
                urls[kind],
                callback=NO_CALLBACK,
                headers={"Referer": f"{self.base_url}/image.php?IMAGE_ID={item.image_id}"},
                meta={"dpc_kind": kind, "dpc_image_id": item.image_id, "download_slot": IMAGE_SLOT},
            )
            for kind in sorted(urls)
        ]
        if requests:  # item_completed takes them back: Scrapy's fingerprints of them are cached
            self.pending[id(item)] = requests
            self.asked.update(self._fingerprinter.fingerprint(r) for r in requests)
        return requests

    def file_path(self, request, response=None, info=None, *, item=None):
        kind = request.meta["dpc_kind"]
        return stored_path(kind, request.meta["dpc_image_id"])

    async def media_downloaded(self, response, request, info, *, item=None):
        if response.status != 200:  # kept as the reason: a 404 is final, a 503 is work left
            self.failures[self.file_path(request)] = f"HTTP {response.status}"
        return await super().media_downloaded(response, request, info, item=item)

    async def image_downloaded(self, response, request, info, *, item=None):
        try:
            return await super().image_downloaded(response, request, info, item=item)
        except OSError as exc:
            if is_write_error(exc):
                stop_for_write_error(self.crawler, self.file_path(request), exc)
            raise

    def get_images(self, response, request, info, *, item=None):
        path = self.file_path(request, response=response, info=info, item=item)
        body = response.body
        try:
            image = whole_jpeg(body)
        except ImageException:
            raise
        except Exception as exc:
            raise ImageException(f"not a whole image ({exc})") from exc
        facts = file_facts(body, image)
        if facts["sha256"] in self.placeholder_sha256:
            raise ImageException("the site's placeholder for a removed image")
        image_id = request.meta["dpc_image_id"]
        first_id = self.first_id_by_sha256.setdefault(int(facts["sha256"][:16], 16), image_id)
        if len(self.first_id_by_sha256) > SAME_BYTES_WINDOW:
            del self.first_id_by_sha256[next(iter(self.first_id_by_sha256))]
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
        self.failures.setdefault(self.file_path(request), reason)
        return super().media_failed(failure, request, info)

    def item_completed(self, results, item, info):
        requests = self.pending.pop(id(item), None) or self.get_media_requests(item, info)
        self._forget(requests, info)
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
            stored = {r["kind"]: r for r in records}
            thumb, full = stored.get("thumb", {}), stored.get("full", {})
            item.thumbnail_path, item.thumbnail_error = thumb.get("path"), thumb.get("error")
            item.image_path, item.image_error = full.get("path"), full.get("error")
        elif isinstance(item, ImageItem):
            item.files = records + self._kept_files(item, {r["kind"] for r in records})
        return item

    def _forget(self, requests, info) -> None:
        """Drops this item's file results, which Scrapy would keep for the whole run (~1 KB each).

        Each file belongs to one image id, so only items in progress together share one (an
        entry and its image page, in one images run): a result is kept while another of them
        still asks for it. A later item is answered by the store's stat_file instead.
        """
        for request in requests:
            fingerprint = self._fingerprinter.fingerprint(request)
            self.asked[fingerprint] -= 1
            if self.asked[fingerprint] > 0:
                continue
            del self.asked[fingerprint]
            if fingerprint not in info.downloading:
                info.downloaded.pop(fingerprint, None)

    def _kept_files(self, item, fetched: set[str]) -> list[dict]:
        """Files of kinds this run does not ask for, kept in the record while they are good."""
        kept = []
        urls = {"thumb": item.thumbnail_url, "full": item.image_url}
        for kind in sorted(set(FOLDERS) - fetched - self.kinds):
            path = stored_path(kind, item.image_id)
            if urls[kind] and (facts := self._stored_facts(path)):
                kept.append({"kind": kind, "url": urls[kind], "path": path, **facts})
        return kept

    def _stored_facts(self, path: str) -> dict:
        """Facts of a file stored by an earlier run (read back from a local store only)."""
        basedir = getattr(self.store, "basedir", None)
        if basedir is None:
            return {}
        try:
            body = (Path(basedir) / path).read_bytes()
            return file_facts(body, whole_jpeg(body))
        except Exception:  # gone or damaged: no record points at it
            return {}
