"""Progress: done/expected per stage, rates and ETAs that count the politeness delay."""

from __future__ import annotations

import fcntl
import io
import logging
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

import oracle
import pytest
from crawling import ROOT, child_env, crawl_command, run_crawl
from scrapy.core.downloader import Slot
from scrapy.utils.test import get_crawler

from dpchallenge.data.settled import AskedFiles
from dpchallenge.extensions.progress import (
    FILES,
    PAGES,
    RATE_WINDOW,
    ProgressReport,
    ProgressTracker,
    TerminalBars,
    duration,
    progress_line,
)
from dpchallenge.items import ChallengeItem, EntryItem, ImageItem
from dpchallenge.replica import Replica

NO_DELAY = {PAGES: 0.0, FILES: 0.0}


class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class Stats:
    def __init__(self, **values):
        self.values = {key.replace("__", "/"): value for key, value in values.items()}

    def get_value(self, key, default=None):
        return self.values.get(key, default)

    def set_value(self, key, value):
        self.values[key] = value


def images(count: int, files: int = 1) -> list[ImageItem]:
    url = "https://images.example/t.jpg" if files else None
    return [
        ImageItem(image_id=i, thumbnail_url=url, files=[{"kind": "thumb"}] * files)
        for i in range(count)
    ]


def run_steadily(tracker, clock, stats, items, per_second: float, tick: float = 1.0):
    """Feeds items at a steady rate, sampling every `tick` seconds."""
    interval = 1 / per_second
    next_tick = clock.now + tick
    for item in items:
        clock.now += interval
        tracker.count(item)
        if clock.now >= next_tick - 1e-9:
            tracker.sample(stats)
            next_tick += tick


def stage(snapshot, name):
    return next(f for f in snapshot.stages if f.stage == name)


def test_records_count_towards_their_stage_and_the_files_their_run_asks_for():
    tracker = ProgressTracker(Clock(), AskedFiles(image=frozenset({"thumb", "full"})))
    tracker.count(ChallengeItem(challenge_id=1))
    tracker.count(EntryItem(image_id=1, thumbnail_url="t/1.jpg", thumbnail_path="thumbs/1.jpg"))
    tracker.count(EntryItem(image_id=2, thumbnail_url=None))
    # refused (a foreign host): neither path nor error, still this run's work, and done with
    tracker.count(EntryItem(image_id=3, thumbnail_url="t/3.jpg", image_url="f/3.jpg"))
    both = {"thumbnail_url": "t/1.jpg", "image_url": "f/1.jpg"}
    tracker.count(ImageItem(image_id=1, files=[{"kind": "thumb"}, {"kind": "full"}], **both))
    tracker.count(ImageItem(image_id=2))
    snapshot = tracker.snapshot(Stats(), NO_DELAY)
    done = {f.stage: f.done for f in snapshot.stages}
    assert done == {"challenges": 1, "entries": 3, "images": 2, "files": 4}


def test_without_delay_the_eta_is_what_is_left_at_the_recent_rate():
    clock = Clock()
    tracker = ProgressTracker(clock)
    stats = Stats(dpc__expected__images=100)
    run_steadily(tracker, clock, stats, images(50, files=0), per_second=5)
    figures = stage(tracker.snapshot(stats, NO_DELAY), "images")
    assert (figures.done, figures.expected) == (50, 100)
    assert figures.rate == pytest.approx(5)
    assert figures.eta == pytest.approx(10)


def test_the_slot_delay_still_to_come_is_a_floor_under_the_eta():
    clock = Clock()
    tracker = ProgressTracker(clock)
    stats = Stats(dpc__expected__images=100)
    run_steadily(tracker, clock, stats, images(50, files=0), per_second=5)
    # 50 image pages left, one every 2 s on the pages host: 100 s, whatever the rate so far.
    snapshot = tracker.snapshot(stats, {PAGES: 2.0, FILES: 0.0})
    assert stage(snapshot, "images").eta == pytest.approx(100)
    assert snapshot.eta == pytest.approx(100)


def test_stages_on_one_host_add_up_and_a_later_stage_waits_for_the_earlier():
    clock = Clock()
    tracker = ProgressTracker(clock)
    # images spider walking the site: results pages and image pages share the pages host.
    stats = Stats(
        dpc__expected__challenges=10,
        dpc__expected__entries=40,
        dpc__expected__images=40,
        dpc__expected__files=40,
    )
    for i in range(5):
        tracker.count(ChallengeItem(challenge_id=i))
    for i in range(20):
        tracker.count(EntryItem(image_id=i))
    run_steadily(tracker, clock, stats, images(20), per_second=10)
    snapshot = tracker.snapshot(stats, {PAGES: 1.0, FILES: 0.5})
    assert stage(snapshot, "challenges").eta == pytest.approx(5)  # 5 results pages × 1 s
    assert stage(snapshot, "entries").eta == pytest.approx(5)  # they come with those pages
    assert stage(snapshot, "images").eta == pytest.approx(25)  # (5 + 20) pages × 1 s
    # 20 files × 0.5 s is only 10 s: the files of the pages still to come wait for those pages.
    assert stage(snapshot, "files").eta == pytest.approx(25)
    assert snapshot.eta == pytest.approx(25)


def test_slot_concurrency_does_not_divide_the_delay_floor():
    """Scrapy starts one request per delay even with 4 at once allowed: the floor keeps it."""
    clock = Clock()
    tracker = ProgressTracker(clock)
    stats = Stats(dpc__expected__files=10)
    tracker.count(EntryItem(image_id=1, thumbnail_url="t/1.jpg", thumbnail_path="thumbs/1.jpg"))
    assert stage(tracker.snapshot(stats, {FILES: 0.25}), "files").eta == pytest.approx(9 * 0.25)


def test_pages_that_failed_for_good_count_as_done():
    clock = Clock()
    tracker = ProgressTracker(clock)
    stats = Stats(
        dpc__expected__challenges=4,
        dpc__failed__results=1,
        dpc__expected__images=4,
        dpc__failed__image=2,
    )
    tracker.count(ChallengeItem(challenge_id=1))
    tracker.count(ImageItem(image_id=1))
    snapshot = tracker.snapshot(stats, {PAGES: 1.0})
    assert stage(snapshot, "challenges").done == 2
    assert stage(snapshot, "images").done == 3
    assert stage(snapshot, "images").eta == pytest.approx(3)  # 2 results + 1 image page


def test_the_rate_is_the_recent_one():
    clock = Clock()
    tracker = ProgressTracker(clock)
    stats = Stats(dpc__expected__images=10_000)
    run_steadily(tracker, clock, stats, images(600, files=0), per_second=1, tick=60)
    run_steadily(tracker, clock, stats, images(2400, files=0), per_second=4, tick=60)
    # 600 s at 1/s then 600 s at 4/s: the window holds only the last 600 s.
    assert RATE_WINDOW == 600
    assert tracker.rate("images") == pytest.approx(4)


def test_a_stage_is_shown_without_a_total_until_the_spider_publishes_one():
    clock = Clock()
    tracker = ProgressTracker(clock)
    stats = Stats()
    run_steadily(tracker, clock, stats, images(10, files=0), per_second=2)
    snapshot = tracker.snapshot(stats, {PAGES: 1.0})
    figures = stage(snapshot, "images")
    assert (figures.expected, figures.eta, snapshot.eta) == (None, None, None)
    assert "images 10/? 2.00/s;" in progress_line(snapshot)
    assert progress_line(snapshot).endswith("ETA ?")
    stats.set_value("dpc/expected/images", 30)  # read again at every snapshot: it may grow
    assert stage(tracker.snapshot(stats, {PAGES: 1.0}), "images").eta == pytest.approx(20)
    assert "challenges" not in progress_line(snapshot)  # not a stage of this spider


def test_the_progress_line_is_one_parseable_line():
    clock = Clock()
    tracker = ProgressTracker(clock)
    stats = Stats(dpc__expected__images=480, dpc__expected__files=480)
    run_steadily(tracker, clock, stats, images(120), per_second=2)
    line = progress_line(tracker.snapshot(stats, {PAGES: 0.1, FILES: 0.1}))
    assert line == (
        "progress: images 120/480 (25%) 2.00/s ETA 0:03:00; "
        "files 120/480 (25%) 2.00/s ETA 0:03:00; elapsed 0:01:00, ETA 0:03:00"
    )


def test_the_final_line_has_the_whole_run_rate_and_no_eta():
    clock = Clock()
    tracker = ProgressTracker(clock)
    stats = Stats(dpc__expected__images=3)
    clock.now += 10
    run_steadily(tracker, clock, stats, images(3, files=0), per_second=1)
    line = progress_line(tracker.snapshot(stats, NO_DELAY, final=True), final=True)
    assert line == "progress (final): images 3/3 (100%) 0.23/s; elapsed 0:00:13"


def test_percent_is_rounded_down_so_100_means_done():
    tracker = ProgressTracker(Clock())
    for item in images(199, files=0):
        tracker.count(item)
    line = progress_line(tracker.snapshot(Stats(dpc__expected__images=200), NO_DELAY))
    assert "images 199/200 (99%)" in line


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "?"), (0, "0:00:00"), (59.6, "0:01:00"), (3 * 86400 + 61, "72:01:01")],
)
def test_durations(seconds, text):
    assert duration(seconds) == text


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_console_log_lines_go_above_the_bars_not_through_them():
    terminal = FakeTerminal()
    handler = logging.StreamHandler(terminal)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        clock = Clock()
        tracker = ProgressTracker(clock)
        stats = Stats(dpc__expected__images=10)
        run_steadily(tracker, clock, stats, images(5, files=0), per_second=1)
        bars = TerminalBars(terminal)
        bars.show(tracker.snapshot(stats, NO_DELAY))
        logging.getLogger("scrapy.core.engine").warning("a line of the log")
        bars.close()
        assert handler.stream is terminal
    finally:
        root.removeHandler(handler)
    written = terminal.getvalue()
    assert "| 5/10, 1.00/s ETA 0:00:05" in written
    segments = written.replace("\r", "\n").split("\n")
    assert "WARNING: a line of the log" in segments  # alone on its line, the bar cleared first


def test_without_the_redirect_the_same_log_line_would_land_on_the_bar():
    """The check above can fail: a handler writing straight to the terminal shares the bar line."""
    terminal = FakeTerminal()
    handler = logging.StreamHandler(terminal)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    tracker = ProgressTracker(Clock())
    bars = TerminalBars(terminal)  # the handler is not on the root logger: not redirected
    bars.show(tracker.snapshot(Stats(dpc__expected__images=10), NO_DELAY))
    handler.emit(logging.makeLogRecord({"levelname": "WARNING", "msg": "a line of the log"}))
    bars.close()
    segments = terminal.getvalue().replace("\r", "\n").split("\n")
    assert "WARNING: a line of the log" not in segments


def report_for(settings: dict, stream, clock):
    crawler = get_crawler(settings_dict={"DPC_BASE_URL": "https://www.dpchallenge.com", **settings})
    interval = crawler.settings.getfloat("DPC_PROGRESS_INTERVAL")
    return ProgressReport(crawler, interval, stream, clock)


def test_off_a_terminal_each_tick_logs_a_line_with_the_slot_delays_as_they_are(caplog):
    clock = Clock()
    report = report_for(
        {"DPC_PROGRESS_INTERVAL": 60, "DOWNLOAD_DELAY": 5, "DPC_IMAGES_DELAY": 1},
        io.StringIO(),
        clock,
    )
    slots = {}
    report.crawler.engine = SimpleNamespace(downloader=SimpleNamespace(slots=slots))
    report.crawler.stats.set_value("dpc/expected/images", 10)
    for item in images(4):
        report.item_scraped(item)
    clock.now += 60
    with caplog.at_level(logging.INFO, logger="dpchallenge.extensions.progress"):
        report.tick()  # no slot yet: DOWNLOAD_DELAY is the pages host's delay
        slots["www.dpchallenge.com"] = Slot(concurrency=1, delay=7.5)  # AutoThrottle raised it
        clock.now += 60
        report.tick()
        del slots["www.dpchallenge.com"]  # an idle slot is dropped: its last delay still holds
        clock.now += 60
        report.tick()
    progress_lines = [
        r.getMessage() for r in caplog.records if r.name == "dpchallenge.extensions.progress"
    ]  # other tests may have left Scrapy's loggers at INFO
    assert progress_lines == [
        "progress: images 4/10 (40%) ?/s ETA 0:00:30; files 4/? ?/s; elapsed 0:01:00, ETA ?",
        "progress: images 4/10 (40%) 0.00/s ETA 0:00:45; files 4/? 0.00/s; elapsed 0:02:00, ETA ?",
        "progress: images 4/10 (40%) 0.00/s ETA 0:00:45; files 4/? 0.00/s; elapsed 0:03:00, ETA ?",
    ]


def test_the_setting_is_read_from_the_environment_and_the_extension_enabled():
    code = (
        "from scrapy.utils.project import get_project_settings as g; s = g(); "
        "print(s.getfloat('DPC_PROGRESS_INTERVAL'), "
        "s.getdict('EXTENSIONS').get('dpchallenge.extensions.progress.ProgressReport'))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DPC_")}
    for value, shown in ((None, "60.0"), ("5", "5.0")):
        if value:
            env["DPC_PROGRESS_INTERVAL"] = value
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert done.stdout.split() == [shown, "500"]


PROGRESS_LOG = {
    "DPC_PROGRESS_INTERVAL": "0.5",
    "LOG_FORMAT": "%(asctime)s.%(msecs)03d [%(name)s] %(levelname)s: %(message)s",
}
LINE = re.compile(
    r"^(\S+ \S+) \[dpchallenge\.extensions\.progress\] INFO: progress( \(final\))?: (.*)$", re.M
)
STAGE = re.compile(r"(\w+) (\d+)/(\d+|\?)")


@dataclass
class Line:
    at: float
    final: bool
    stages: dict[str, tuple[int, int | None]]
    eta: float | None


def seconds(text: str) -> float | None:
    if text == "?":
        return None
    hours, minutes, secs = (int(part) for part in text.split(":"))
    return hours * 3600 + minutes * 60 + secs


def progress_lines(log: str) -> list[Line]:
    lines = []
    for stamp, final, body in LINE.findall(log):
        at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()
        stages = {
            name: (int(done), None if total == "?" else int(total))
            for name, done, total in STAGE.findall(body)
        }
        eta = None if final else seconds(body.rsplit("ETA ", 1)[1])
        lines.append(Line(at, bool(final), stages, eta))
    return lines


def halfway(lines: list[Line], stage: str) -> Line:
    def fraction(line):
        done, total = line.stages.get(stage, (0, None))
        return done / total if total else 0.0

    running = [line for line in lines if not line.final]
    return min(running, key=lambda line: abs(fraction(line) - 0.5))


def test_on_the_replica_the_totals_are_the_site_s_and_the_eta_halfway_holds(tmp_path):
    with Replica(seed=11, challenges=8, entries=8) as replica:
        site = replica.site
        challenges = run_crawl("challenges", replica, tmp_path, settings=PROGRESS_LOG)
        replica.crawl_delay = 0.2  # robots.txt's Crawl-delay: the floor under both hosts' slots
        images = run_crawl("images", replica, tmp_path, settings=PROGRESS_LOG)
    entries = oracle.expected_entries(site)
    pictures = oracle.expected_images(site)
    first = progress_lines(challenges.log)
    assert first[-1].final, challenges.log[-3000:]
    assert first[-1].stages == {
        "challenges": (len(oracle.finished_challenge_ids(site)),) * 2,
        "entries": (len(entries),) * 2,
        "files": (sum(1 for e in entries if e["thumbnail_url"]),) * 2,
    }
    lines = progress_lines(images.log)
    final = lines[-1]
    assert final.final, images.log[-3000:]
    middle = halfway(lines, "images")
    assert middle.stages["images"][0] == pytest.approx(len(pictures) / 2, rel=0.2)
    took = final.at - middle.at
    assert middle.eta == pytest.approx(took, rel=0.2), (middle, took)
    assert final.stages == {
        "images": (len(pictures),) * 2,
        "files": (sum(1 for i in pictures if i["thumbnail_url"]),) * 2,
    }


def terminal_screen(raw: str) -> list[str]:
    """The lines a terminal shows after `raw`: text overwrites, \\r, \\n and cursor-up (tqdm's)."""
    lines, row, col = [""], 0, 0
    for token in re.findall(r"\x1b\[A|\r|\n|[^\x1b\r\n]+", raw):
        if token == "\x1b[A":
            row = max(row - 1, 0)
        elif token == "\r":
            col = 0
        elif token == "\n":
            row += 1
        else:
            lines += [""] * (row + 1 - len(lines))
            line = lines[row].ljust(col)
            lines[row] = line[:col] + token + line[col + len(token) :]
            col += len(token)
    return [line.rstrip() for line in lines]


def test_terminal_screen_keeps_what_a_terminal_keeps():
    assert terminal_screen("one\r\ntwo\r\x1b[Athree\r\nX") == ["three", "Xwo"]


def run_on_a_terminal(command, timeout=60) -> str:
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        command, cwd=ROOT, env=child_env(), stdin=secondary, stdout=secondary, stderr=secondary
    )
    os.close(secondary)
    output = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 1)
        try:
            chunk = os.read(primary, 65536) if ready else b""
        except OSError:  # the crawl closed the terminal
            break
        output += chunk
        if not chunk and process.poll() is not None:
            break
    os.close(primary)
    assert process.wait(timeout=10) == 0, output.decode(errors="replace")[-3000:]
    return output.decode()


def test_on_a_terminal_bars_show_and_scrapy_s_log_lines_stay_whole(tmp_path):
    with Replica(seed=4, challenges=3, entries=6, crawl_delay=0.2) as replica:
        ids = [image["image_id"] for image in oracle.expected_images(replica.site)][:10]
        arg = f"image_ids={','.join(map(str, ids))}"
        settings = {"DPC_PROGRESS_INTERVAL": 60}
        raw = run_on_a_terminal(crawl_command("images", replica, tmp_path, [arg], settings))
    images = len(ids)
    screen = terminal_screen(raw)
    log_start = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")
    logged = [line for line in screen if log_start.search(line)]
    assert any("Spider closed (finished)" in line for line in logged)
    assert all(log_start.match(line) and "%|" not in line for line in logged), logged
    assert any(f"progress (final): images {images}/{images} (100%)" in line for line in logged)
    bars = [line for line in screen if re.match(r"(images|files) +\d+%\|", line)]
    assert any(line.startswith("images     100%|") for line in bars), screen[-20:]


def test_with_full_res_every_stage_reaches_its_total_and_kept_files_do_not_count(tmp_path):
    """With full_res each entry stores two files: the progress counts both, as the spider
    expects; an images run after it asks for thumbnails only, and the full-size files its
    records keep from the first run are not this run's work."""
    with Replica(seed=11, challenges=4, entries=6) as replica:
        site = replica.site
        first = run_crawl("challenges", replica, tmp_path, "full_res=1", settings=PROGRESS_LOG)
        then = run_crawl("images", replica, tmp_path, settings=PROGRESS_LOG)
    entries = oracle.expected_entries(site)
    final = progress_lines(first.log)[-1]
    assert final.final, first.log[-3000:]
    assert all(done == total for done, total in final.stages.values()), final.stages
    assert final.stages["files"][0] == sum(
        bool(e["thumbnail_url"]) + bool(e["image_url"]) for e in entries
    )
    final = progress_lines(then.log)[-1]
    assert final.final, then.log[-3000:]
    assert all(done == total for done, total in final.stages.values()), final.stages
