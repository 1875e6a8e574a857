"""JOBDIR's request queue without the session cookie a retried request carries."""

from __future__ import annotations

from scrapy.squeues import PickleFifoDiskQueue, PickleLifoDiskQueue

PRIVATE_HEADERS = (b"Cookie", b"Authorization", b"Proxy-Authorization")


def without_cookies(request):
    if not any(name in request.headers for name in PRIVATE_HEADERS):
        return request
    headers = request.headers.copy()
    for name in PRIVATE_HEADERS:
        headers.pop(name, None)
    return request.replace(headers=headers)


class CookielessDiskQueue(PickleLifoDiskQueue):
    """A retried request went through the cookie middleware once; the next run logs in anew."""

    def push(self, request):
        super().push(without_cookies(request))


class CookielessStartDiskQueue(PickleFifoDiskQueue):
    """The same for start requests, which Scrapy 2.19 queues apart (SCHEDULER_START_DISK_QUEUE)."""

    def push(self, request):
        super().push(without_cookies(request))
