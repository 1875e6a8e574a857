"""Project settings: polite defaults for the real site; see SPEC.md and README.md."""

import os

from dpchallenge.environment import from_environment

# Scrapy's cookie middleware asks tldextract for the public suffix list, which it downloads from
# publicsuffix.org while its cache is empty; the list bundled with tldextract is enough for one
# site's cookies, and the crawl then reaches no host but the site's.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

BOT_NAME = "dpchallenge"
SPIDER_MODULES = ["dpchallenge.spiders"]
NEWSPIDER_MODULE = "dpchallenge.spiders"
COMMANDS_MODULE = "dpchallenge.commands"

# Our own settings; each can also come from an environment variable of the same name (the end
# of this file), which -s overrides.
DPC_BASE_URL = "https://www.dpchallenge.com"
DPC_DATA_DIR = "data"
DPC_CONTACT_URL = "https://github.com/dpchallenge-dataset/dpchallenge-crawler"
DPC_BAN_PAUSE = 900
DPC_MAX_BANS = 3
# A page that parses as neither data nor a known error page is fetched again this many times.
DPC_PAGE_RETRIES = 3
# When set, pages are rendered through this Splash (scrapy-splash): dpchallenge/access/splash.py.
SPLASH_URL = ""

# ScraperAPI, used when the environment holds SCRAPERAPI_KEY (never a setting: Scrapy logs those).
SCRAPERAPI_MODE = "proxy"  # proxy | api
SCRAPERAPI_PROXY = "http://proxy-server.scraperapi.com:8001"
SCRAPERAPI_API_URL = "https://api.scraperapi.com/"
# Its requests reach the site from many addresses; replaces CONCURRENT_REQUESTS_PER_DOMAIN.
SCRAPERAPI_CONCURRENCY = 5

USER_AGENT_TEMPLATE = "dpchallenge-dataset-crawler/0.1 (research; +{contact})"
USER_AGENT = USER_AGENT_TEMPLATE.format(contact=DPC_CONTACT_URL)

# Politeness: the site bans fast clients for days.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
# Scrapy starts this many tasks for every response (default 100); a page yields one item, a
# results page its entries, whose thumbnails come through a slot of 1-4 at a time anyway.
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 5
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 5
AUTOTHROTTLE_MAX_DELAY = 120
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 5
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
DOWNLOAD_TIMEOUT = 90
COOKIES_ENABLED = True

DPC_BAN_MIN_BYTES = 1024  # a shorter page is a ban
DPC_RETRY_BACKOFF_BASE = 2
DPC_RETRY_BACKOFF_MAX = 300

DOWNLOADER_MIDDLEWARES = {
    # After robots.txt (so replay answers its fetch too), before any wait; below retries and bans.
    "dpchallenge.middlewares.archive.PageArchiveMiddleware": 105,  # page archive, replay
    "dpchallenge.middlewares.crawl_delay.CrawlDelayMiddleware": 110,  # robots.txt Crawl-delay
    "dpchallenge.middlewares.backoff.BackoffMiddleware": 560,  # waits before each retry
    "dpchallenge.middlewares.bans.BanMiddleware": 570,  # ban page: pause, retry, stop
}

# The crawl's options, each on only when its trigger is set, each installing its own parts; the
# fleet's pacing after ScraperAPI, so that it wraps ScraperAPI's download handler.
ADDONS = {
    "dpchallenge.access.scraperapi.ScraperApiAddon": 100,  # SCRAPERAPI_KEY in the environment
    "dpchallenge.access.splash.SplashAddon": 200,  # SPLASH_URL
    "dpchallenge.distributed.addon.RedisAddon": 300,  # REDIS_URL: scrapy-redis's shared scheduler
}

# The image host (images.dpchallenge.com) has its own download slot, throttled separately.
DPC_IMAGES_DELAY = 1
DPC_IMAGES_CONCURRENCY = 1
# sha256 of the site's "image removed" placeholder file(s): such files are refused, not stored.
DPC_PLACEHOLDER_SHA256: list[str] = []
# More hosts image files may come from (media.py allows the site's own and its image host).
DPC_IMAGE_HOSTS: list[str] = []

ITEM_PIPELINES = {
    "dpchallenge.pipelines.order.ChallengeAfterEntries": 50,  # a challenge after its entries
    "dpchallenge.pipelines.validation.ValidationPipeline": 100,  # counts, flags bad records
    "dpchallenge.pipelines.scores.ScoreStatsPipeline": 200,  # vote counts → distribution, MOS
    "dpchallenge.pipelines.media.MediaPipeline": 300,  # thumbnails / full files, original bytes
    "dpchallenge.pipelines.jsonlines.JsonLinesPipeline": 800,  # the dataset files
}
EXTENSIONS = {
    "dpchallenge.access.secrets.SecretsLogGuard": 0,  # secret values redacted from every log line
    "dpchallenge.extensions.jobdir.JobDirGuard": 0,  # JOBDIR kept only for a pause
    "dpchallenge.extensions.failed_ledger.FailedLedgerExtension": 400,  # failed.jsonl
    "dpchallenge.extensions.invalid_ledger.InvalidLedgerExtension": 400,  # invalid.jsonl
    "dpchallenge.extensions.run_summary.RunSummary": 450,  # summary and exit status
    "dpchallenge.extensions.site_drift.SiteDrift": 460,  # stops when the site's markup changed
    "dpchallenge.extensions.stats_file.StatsFile": 500,  # final stats as JSON
    "dpchallenge.extensions.progress.ProgressReport": 500,  # bars or progress lines, ETA
}
# Seconds between two progress lines when stderr is not a terminal (0: none).
DPC_PROGRESS_INTERVAL = 60
# Where the final stats go; %(spider)s is the spider's name. Default: DPC_DATA_DIR/stats/.
DPC_STATS_FILE = ""
# The redesign guard (extensions/site_drift.py): the crawl stops when, among the last WINDOW pages
# of a kind, more than THRESHOLD (a fraction; 0 turns it off) lack what that kind always has.
DPC_DRIFT_WINDOW = 200
DPC_DRIFT_THRESHOLD = 0.2
# IMAGES_STORE defaults to DPC_DATA_DIR/images (set in MediaPipeline.from_crawler).
IMAGES_MIN_WIDTH = 1
IMAGES_MIN_HEIGHT = 1
MEDIA_ALLOW_REDIRECTS = True

# The page archive: whole page responses as WARC under DPC_DATA_DIR/archive/, files rotated by size.
DPC_ARCHIVE = "1"  # read with getbool: 0/1, False/True
DPC_ARCHIVE_MAX_BYTES = 1024**3
# Pages from the archive instead of the network: nothing is fetched, no login.
DPC_REPLAY = "0"

# Off by default (a full crawl is tens of GB of pages); when on, ban and cut-short pages and
# image files are never cached.
HTTPCACHE_ENABLED = False
HTTPCACHE_POLICY = "dpchallenge.extensions.httpcache.PagesOnlyPolicy"
HTTPCACHE_STORAGE = "dpchallenge.extensions.httpcache.CookielessCacheStorage"
HTTPCACHE_DIR = "httpcache"

FEED_EXPORT_ENCODING = "utf-8"
# JOBDIR's queue without the session cookie (see dpchallenge/access/queues.py).
SCHEDULER_DISK_QUEUE = "dpchallenge.access.queues.CookielessDiskQueue"
SCHEDULER_START_DISK_QUEUE = "dpchallenge.access.queues.CookielessStartDiskQueue"
# The crawl listens on no port and leaves no token files: no telnet console, no remote control.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"

# The README's settings, from environment variables of the same name (dpchallenge/environment.py):
# taken here, at the project's priority, so -s wins.
globals().update(from_environment())
