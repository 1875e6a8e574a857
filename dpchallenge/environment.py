"""Settings from environment variables of the same name, and the refusal of unknown ones.

Every setting of the README's table can be given as `NAME=value` in the environment: settings.py
takes the value at the project's priority, so `-s NAME=value` (the command line's) wins. A
`DPC_*` or `SCRAPERAPI_*` name the crawler does not know, from `-s` or the environment, is
refused before the crawl starts: a misspelled `DPC_DATA_DIR` would write into `data/`, a
misspelled `DPC_BASE_URL` crawl the real site.
"""

from __future__ import annotations

import difflib
import os

from scrapy.exceptions import UsageError

# The README's settings table; each is read from the environment when set there.
FROM_ENVIRONMENT = (
    "DPC_BASE_URL",
    "DPC_DATA_DIR",
    "IMAGES_STORE",
    "DPC_CONTACT_URL",
    "DPC_BAN_PAUSE",
    "DPC_MAX_BANS",
    "DPC_BAN_MIN_BYTES",
    "DPC_PAGE_RETRIES",
    "DPC_RETRY_BACKOFF_BASE",
    "DPC_RETRY_BACKOFF_MAX",
    "DPC_IMAGES_DELAY",
    "DPC_IMAGES_CONCURRENCY",
    "DPC_PLACEHOLDER_SHA256",
    "SCRAPERAPI_MODE",
    "SCRAPERAPI_PROXY",
    "SCRAPERAPI_API_URL",
    "SCRAPERAPI_CONCURRENCY",
    "SPLASH_URL",
    "DPC_IMAGE_HOSTS",
    "DPC_PROGRESS_INTERVAL",
    "DPC_STATS_FILE",
    "DPC_ARCHIVE",
    "DPC_ARCHIVE_MAX_BYTES",
    "DPC_REPLAY",
    "DPC_DRIFT_WINDOW",
    "DPC_DRIFT_THRESHOLD",
    "REDIS_URL",
    "DPC_WORKER",
    "HTTPCACHE_ENABLED",
)
# Read from the environment only, never settings: the secrets (dpchallenge/access/secrets.py) and
# scripts/crawl's own variables.
ENVIRONMENT_ONLY = ("SCRAPERAPI_KEY", "DPC_USERNAME", "DPC_PASSWORD", "DPC_JOB_DIR", "DPC_FULL_RES")
OURS = ("DPC_", "SCRAPERAPI_")


def from_environment(environ=os.environ) -> dict[str, str]:
    """The settings the environment gives, for settings.py to take as its own values."""
    return {name: environ[name] for name in FROM_ENVIRONMENT if name in environ}


def refuse_unknown_settings(settings, environ=os.environ) -> None:
    """A `DPC_*`/`SCRAPERAPI_*` name we do not know: one line naming the closest known one."""
    for name in sorted(environ):
        if name.startswith(OURS) and name not in FROM_ENVIRONMENT + ENVIRONMENT_ONLY:
            raise UsageError(_unknown(name, "the environment variable"))
    for name in sorted(settings.attributes):
        if not name.startswith(OURS) or name in FROM_ENVIRONMENT:
            continue
        if name in ENVIRONMENT_ONLY:
            raise UsageError(
                f"{name} is read from the environment only; set the environment variable {name}"
            )
        raise UsageError(_unknown(name, "the setting"))


def _unknown(name: str, given_as: str) -> str:
    close = difflib.get_close_matches(name, FROM_ENVIRONMENT + ENVIRONMENT_ONLY, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else "see the README's settings table"
    return f"{given_as} {name} is not one of this crawler's; {hint}"
