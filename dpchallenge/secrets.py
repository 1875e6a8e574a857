"""Secrets (ScraperAPI key, site password) come from the environment only and never reach a log."""

from __future__ import annotations

import logging
import os

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


class RedactSecrets(logging.Filter):
    """Replaces secret values in any log record that reaches a handler (defence in depth)."""

    def __init__(self, values):
        super().__init__()
        self.values = [value for value in values if value]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(value in message for value in self.values):
            for value in self.values:
                message = message.replace(value, REDACTED)
            record.msg, record.args = message, None
        return True


def install_log_redaction() -> None:
    values = [secret(name) for name in SECRET_NAMES]
    if not any(values):
        return
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets(values))
