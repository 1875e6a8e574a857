"""Progress per stage (challenges, entries, image pages, files), with an ETA counting the delays."""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from dpchallenge.data.settled import AskedFiles, settled_by
from dpchallenge.middlewares.crawl_delay import IMAGE_SLOT

logger = logging.getLogger(__name__)

STAGES = ("challenges", "entries", "images", "files")
PAGES, FILES = "pages", "files"
# The host whose requests a stage waits for, and how many requests each of its records costs:
# entries come with their results pages and cost no request of their own.
HOST = {"challenges": PAGES, "entries": PAGES, "images": PAGES, "files": FILES}
REQUESTS_PER_RECORD = {"challenges": 1, "entries": 0, "images": 1, "files": 1}
# Pages that failed for good count as done: nothing more will be fetched for them.
FAILED = {"challenges": "dpc/failed/results", "images": "dpc/failed/image"}
ASKED = AskedFiles()  # thumbnails only, until the spider says
RATE_WINDOW = 600.0  # seconds of recent progress the rate is measured over
BAR_REFRESH = 1.0  # seconds between two redraws of the bars on a terminal
BAR_WITH_TOTAL = "{desc:<11}{percentage:3.0f}%|{bar:24}| {n_fmt}/{total_fmt}{postfix}"
BAR_WITHOUT_TOTAL = "{desc:<11}{n_fmt}/?{postfix}"


@dataclass
class StageFigures:
    stage: str
    done: int
    expected: int | None
    rate: float | None  # records per second, recently
    eta: float | None  # seconds until the stage is done; None: not known yet

    @property
    def remaining(self) -> int | None:
        return None if self.expected is None else max(self.expected - self.done, 0)


@dataclass
class Snapshot:
    stages: list[StageFigures]
    elapsed: float

    @property
    def eta(self) -> float | None:
        """When every stage shown is done; None while one of them cannot tell."""
        etas = [figures.eta for figures in self.stages]
        return None if not etas or None in etas else max(etas)


class ProgressTracker:
    """Counts done records per stage and turns them, the expected totals and delays into ETAs."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, asked: AskedFiles = ASKED):
        self.clock = clock
        self.asked = asked  # the files the run stores, the ones its spider expects
        self.started = clock()
        self.scraped: Counter[str] = Counter()  # records of this run
        self.samples: dict[str, deque[tuple[float, int]]] = {s: deque() for s in STAGES}

    def count(self, item) -> None:
        settled = settled_by(item, self.asked)
        if settled.stage is not None:
            self.scraped[settled.stage] += 1
            self.scraped["files"] += len(settled.files)

    def done(self, stage: str, stats) -> int:
        failed = stats.get_value(FAILED[stage], 0) if stage in FAILED else 0
        return self.scraped[stage] + failed

    def sample(self, stats) -> None:
        """Records where each stage stands now, for its recent rate."""
        now = self.clock()
        for stage, samples in self.samples.items():
            done = self.done(stage, stats)
            if not done:
                continue  # the rate is measured from the stage's first record, not from the start
            samples.append((now, done))
            while len(samples) > 2 and samples[1][0] <= now - RATE_WINDOW:
                samples.popleft()

    def rate(self, stage: str) -> float | None:
        samples = self.samples[stage]
        if len(samples) < 2 or samples[-1][0] <= samples[0][0]:
            return None
        (t0, n0), (t1, n1) = samples[0], samples[-1]
        return (n1 - n0) / (t1 - t0)

    def snapshot(self, stats, delays: dict[str, float], final: bool = False) -> Snapshot:
        """Figures per stage; delays: seconds between two requests to each host (PAGES, FILES)."""
        elapsed = self.clock() - self.started
        requests_left: Counter[str] = Counter()
        eta_before = 0.0  # a stage is done no sooner than the stages it follows from
        figures = []
        for stage in STAGES:
            done = self.done(stage, stats)
            expected = stats.get_value(f"dpc/expected/{stage}")
            if expected is None and not done:
                continue  # this spider has no such stage
            rate = self.rate(stage)
            if final:
                rate = done / elapsed if elapsed > 0 else None
            stage_figures = StageFigures(stage, done, expected, rate, None)
            figures.append(stage_figures)
            remaining = stage_figures.remaining
            if remaining is None:
                continue
            host = HOST[stage]
            requests_left[host] += remaining * REQUESTS_PER_RECORD[stage]
            # ETA = max(left / recent rate, requests left on the host so far × the host's slot
            # delay, the previous stage's ETA): a slot starts one request per delay whatever its
            # concurrency (Scrapy's Downloader._process_queue), and stages on one host add up.
            floor = requests_left[host] * delays.get(host, 0.0)
            by_rate = remaining / rate if rate else None
            if not remaining:
                stage_figures.eta = 0.0
            elif by_rate is not None or floor > 0:
                stage_figures.eta = max(by_rate or 0.0, floor, eta_before)
            eta_before = max(eta_before, stage_figures.eta or 0.0)
        return Snapshot(figures, elapsed)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def stage_text(figures: StageFigures, final: bool = False) -> str:
    """`images 120/480 (25%) 2.10/s ETA 0:02:51`; `files 30/? 1.00/s` before the total is known."""
    rate = "?/s" if figures.rate is None else f"{figures.rate:.2f}/s"
    if figures.expected is None:
        return f"{figures.stage} {figures.done}/? {rate}"
    percent = 100 * figures.done // figures.expected if figures.expected else 100
    text = f"{figures.stage} {figures.done}/{figures.expected} ({percent}%) {rate}"
    return text if final else f"{text} ETA {duration(figures.eta)}"


def progress_line(snapshot: Snapshot, final: bool = False) -> str:
    parts = [stage_text(figures, final) for figures in snapshot.stages] or ["nothing counted yet"]
    tail = f"elapsed {duration(snapshot.elapsed)}"
    if not final:
        tail += f", ETA {duration(snapshot.eta)}"
    return f"progress{' (final)' if final else ''}: {'; '.join(parts)}; {tail}"


class BarSafeStream:
    """A console log handler's stream that writes above the bars instead of through them."""

    def __init__(self, stream, write: Callable[..., None]):
        self.stream = stream
        self._write = write

    def write(self, text: str) -> None:
        self._write(text, file=self.stream, end="")

    def flush(self) -> None:
        self.stream.flush()


class TerminalBars:
    """One tqdm bar per stage on the terminal; console logging goes above them meanwhile."""

    def __init__(self, stream):
        from tqdm import tqdm

        self.tqdm = tqdm
        self.stream = stream
        self.bars: dict[str, tqdm] = {}
        self.handlers: list[tuple[logging.StreamHandler, object]] = []
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is stream:
                self.handlers.append((handler, handler.stream))
                handler.setStream(BarSafeStream(stream, tqdm.write))

    def show(self, snapshot: Snapshot) -> None:
        for figures in snapshot.stages:
            bar = self.bars.get(figures.stage)
            if bar is None:
                bar = self.bars[figures.stage] = self.tqdm(
                    desc=figures.stage,
                    total=figures.expected,
                    bar_format=BAR_WITHOUT_TOTAL if figures.expected is None else BAR_WITH_TOTAL,
                    file=self.stream,
                    position=len(self.bars),
                    leave=True,
                    dynamic_ncols=True,
                    mininterval=0,
                )
            if figures.expected is None:
                bar.bar_format = "{desc:<11}{n_fmt}/?{postfix}"
            else:
                bar.bar_format = (
                    "{desc:<11}{percentage:3.0f}%|{bar:24}| {n_fmt}/{total_fmt}{postfix}"
                )
            bar.total = figures.expected
            bar.n = figures.done
            rate = "?" if figures.rate is None else f"{figures.rate:.2f}"
            bar.set_postfix_str(f"{rate}/s ETA {duration(figures.eta)}", refresh=False)
            bar.refresh()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        for handler, stream in self.handlers:
            handler.setStream(stream)


class ProgressReport:
    """Shows where the crawl stands: bars on a terminal, else a line every DPC_PROGRESS_INTERVAL."""

    def __init__(self, crawler, interval: float, stream=None, clock=time.monotonic):
        self.crawler = crawler
        self.interval = interval
        self.stream = stream or sys.stderr
        self.clock = clock
        self.tracker = ProgressTracker(clock)
        self.bars: TerminalBars | None = None
        self.log_lines = True
        self.last_line = 0.0
        self.task = None
        settings = crawler.settings
        self.slot_keys = {PAGES: urlparse(settings.get("DPC_BASE_URL")).hostname, FILES: IMAGE_SLOT}
        self.delays = {
            PAGES: settings.getfloat("DOWNLOAD_DELAY"),
            FILES: settings.getfloat("DPC_IMAGES_DELAY"),
        }

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("DPC_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        report = cls(crawler, interval)
        crawler.signals.connect(report.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(report.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(report.spider_closed, signal=signals.spider_closed)
        return report

    def spider_opened(self, spider):
        self.tracker = ProgressTracker(self.clock, AskedFiles.of(spider))
        self.last_line = self.clock()
        if getattr(self.stream, "isatty", lambda: False)():
            self.bars = TerminalBars(self.stream)
            # Lines also when the log goes to a file rather than to this terminal.
            self.log_lines = bool(self.crawler.settings.get("LOG_FILE"))
        self.task = create_looping_call(self.tick)
        self.task.start(min(self.interval, BAR_REFRESH) if self.bars else self.interval)

    def item_scraped(self, item, response=None, spider=None):
        self.tracker.count(item)

    def current_delays(self) -> dict[str, float]:
        """Each host's slot delay as it is now (AutoThrottle, Crawl-delay); the last one seen
        while the slot is not there (before its first request, or after idling a while)."""
        engine = self.crawler.engine
        slots = engine.downloader.slots if engine and engine.downloader else {}
        for host, key in self.slot_keys.items():
            slot = slots.get(key)
            if slot is not None:
                self.delays[host] = slot.delay
        return dict(self.delays)

    def tick(self):
        stats = self.crawler.stats
        self.tracker.sample(stats)
        snapshot = self.tracker.snapshot(stats, self.current_delays())
        if self.bars:
            self.bars.show(snapshot)
        now = self.clock()
        if self.log_lines and (not self.bars or now - self.last_line >= self.interval * 0.99):
            self.last_line = now
            logger.info(progress_line(snapshot))

    def spider_closed(self, spider, reason):
        if self.task and self.task.running:
            self.task.stop()
        stats = self.crawler.stats
        self.tracker.sample(stats)
        snapshot = self.tracker.snapshot(stats, self.current_delays(), final=True)
        if self.bars:
            self.bars.show(snapshot)
        logger.info(progress_line(snapshot, final=True))
        if self.bars:
            self.bars.close()
