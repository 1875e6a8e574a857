"""Secrets (ScraperAPI key, site password) come from the environment only and never reach a log."""

from __future__ import annotations

import logging
import os
import re

from scrapy.exceptions import UsageError

SECRET_NAMES = ("SCRAPERAPI_KEY", "DPC_PASSWORD")
REDACTED = "[secret]"


def secret(name: str) -> str | None:
    return os.environ.get(name) or None


def refuse_secret_settings(settings) -> None:
    """A secret passed as a setting would be printed in Scrapy's "Overridden settings" line."""
    for name in SECRET_NAMES:
        if settings.get(name):
            raise UsageError(
                f"{name} was given as a Scrapy setting (-s or settings.py), where Scrapy logs it; "
                f"set the environment variable {name} instead"
            )


_redacted: list[str] = []


# A cookie's value in a logged header (COOKIES_DEBUG, DEBUG request dumps): the session is
# logged before the crawl can learn its value and add it to the redacted ones.
COOKIE_VALUE = re.compile(r"((?:Set-)?Cookie:\s*[^=;\s]+=)[^;\r\n]*", re.IGNORECASE)


def redact(record: logging.LogRecord) -> logging.LogRecord:
    message = record.getMessage()
    redacted = message
    if any(value in redacted for value in _redacted):
        for value in _redacted:
            redacted = redacted.replace(value, REDACTED)
    if "ookie" in redacted:
        redacted = COOKIE_VALUE.sub(rf"\1{REDACTED}", redacted)
    if redacted != message:
        record.msg, record.args = redacted, None
    return record


class SecretsLogGuard:
    """Redacts secret values from every log record as it is made, whatever handler writes it."""

    @classmethod
    def from_crawler(cls, crawler):
        redact_in_logs(secret(name) for name in SECRET_NAMES)
        return cls()


def redact_in_logs(values) -> None:
    """Adds values (e.g. a key and its encoded forms) to what every log record has redacted."""
    new = [value for value in values if value and value not in _redacted]
    _redacted.extend(new)
    _redacted.sort(key=len, reverse=True)  # a longer form first, before a shorter one inside it
    current = logging.getLogRecordFactory()
    if getattr(current, "redacts", False):
        return

    def make_record(*args, **kwargs):
        return redact(current(*args, **kwargs))

    make_record.redacts = True
    logging.setLogRecordFactory(make_record)
