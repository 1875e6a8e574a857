"""Logs in once at the start when DPC_USERNAME and DPC_PASSWORD are set in the environment."""

from __future__ import annotations

import logging

from scrapy.exceptions import CloseSpider
from scrapy.http import FormRequest

from dpchallenge.access.secrets import redact_in_logs, secret
from dpchallenge.pages.common import logged_in_user
from dpchallenge.pages.text import decode_body

logger = logging.getLogger(__name__)


def session_cookie_values(crawler) -> list[str]:
    """The cookies the site set (the session among them): as good as the password."""
    try:
        middlewares = crawler.engine.downloader.middleware.middlewares
    except RuntimeError:  # no engine yet: no cookies either
        return []
    values = []
    for middleware in middlewares:
        for jar in (getattr(middleware, "jars", None) or {}).values():
            values.extend(cookie.value for cookie in jar.jar if cookie.value)
    return [value for value in values if len(value) >= 8]


def login_refusal(settings) -> str | None:
    """Why a login cannot work with these settings, or None."""
    logging_in = secret("DPC_USERNAME") and secret("DPC_PASSWORD")
    if logging_in and secret("SCRAPERAPI_KEY") and settings.get("SCRAPERAPI_MODE") == "api":
        return (
            "logging in through ScraperAPI's API mode cannot work: it does not carry the "
            "site's session cookie; use SCRAPERAPI_MODE=proxy, or crawl without DPC_USERNAME"
        )
    return None


async def log_in(spider) -> bool:
    """POST /login.php straight to the downloader: never queued in JOBDIR, never cached."""
    username, password = secret("DPC_USERNAME"), secret("DPC_PASSWORD")
    if not (username and password) or spider.settings.getbool("DPC_REPLAY"):
        return False
    request = FormRequest(
        f"{spider.base_url}/login.php",
        formdata={
            "USERNAME": username,
            "PASSWORD": password,
            "SAVE_PASSWORD": "1",
            "REDIRECT": "/index.php",
        },
        meta={"dont_cache": True, "dont_obey_robotstxt": True, "dpc_login": True},
        dont_filter=True,
    )
    response = await spider.crawler.engine.download_async(request)
    redact_in_logs(session_cookie_values(spider.crawler))
    user = logged_in_user(decode_body(response.body))
    if user is None or user.lower() != username.lower():
        spider.crawler.stats.set_value("dpc/login", "failed")
        raise CloseSpider("login failed: the site did not greet DPC_USERNAME after POST /login.php")
    spider.crawler.stats.set_value("dpc/login", "ok")
    logger.info("logged in as %s", user)
    return True
