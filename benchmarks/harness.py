"""What the benchmarks share: crawl children measured by wait4 and /proc, results files."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))  # run as a script from any directory, without installing

from dpchallenge.replica import model  # noqa: E402

# As the tests run a local crawl: no delays, four requests at a time per host.
LOCAL = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
    "DPC_IMAGES_DELAY": "0",
    "DPC_IMAGES_CONCURRENCY": "4",
    "DPC_PROGRESS_INTERVAL": "0",
    "DPC_ARCHIVE": "0",
    "LOG_LEVEL": "WARNING",
}
SECRET_ENV = ("SCRAPERAPI_KEY", "DPC_USERNAME", "DPC_PASSWORD", "SPLASH_URL", "REDIS_URL")
BARE_SPIDER = ROOT / "benchmarks" / "bare_spider.py"


@dataclass
class Child:
    """One child process, measured by the kernel: wall time, CPU (user + sys), peak RSS."""

    returncode: int
    wall: float
    cpu: float
    max_rss_mb: float
    stdout: str
    stderr: str
    samples: list[dict] = field(default_factory=list)
    started: float = 0.0  # time.monotonic() just before the child was started


def child_env(extra: dict | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV and not k.startswith("DPC_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra or {})
    return env


def run_child(
    command: list[str],
    *,
    cwd: Path = ROOT,
    env: dict | None = None,
    timeout: float = 1800,
    sample: Callable[[int], dict | None] | None = None,
    interval: float = 0.5,
) -> Child:
    """Runs `command`; `sample(pid)` is called every `interval` s while it runs."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        process = subprocess.Popen(command, cwd=cwd, env=child_env(env), stdout=out, stderr=err)
        samples = []
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            if sample is not None and (row := sample(process.pid)) is not None:
                samples.append(row)
            # without samples, wake often: the wall time is only as fine as this sleep
            time.sleep(interval if sample is not None else 0.005)
        wall = time.monotonic() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Child(
            returncode=process.returncode,
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            max_rss_mb=usage.ru_maxrss / 1024,  # KiB on Linux
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            samples=samples,
            started=start,
        )


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a live process, in MB."""
    figures = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    figures[name] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return figures


def crawl_command(spider: str, settings: dict, args: list[str] = ()) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for key, value in {**LOCAL, **settings}.items():
        command += ["-s", f"{key}={value}"]
    for arg in args:
        command += ["-a", arg]
    return command


def crawl(spider: str, replica, data_dir: Path, args=(), settings=None, **kwargs) -> Child:
    """A project crawl of the replica into data_dir; fails loudly if the crawl did."""
    merged = {"DPC_BASE_URL": replica.base_url, "DPC_DATA_DIR": str(data_dir), **(settings or {})}
    child = run_child(crawl_command(spider, merged, list(args)), **kwargs)
    if child.returncode != 0:
        sys.stderr.write(child.stderr[-4000:])
        raise SystemExit(f"crawl {spider} failed (exit {child.returncode})")
    return child


def bare_crawl(urls: list[str], workdir: Path, settings: dict | None = None, **kwargs) -> Child:
    """The same URLs fetched by a plain Scrapy spider outside the project: no parsing, no items."""
    url_file = workdir / "bare-urls.txt"
    url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "scrapy", "runspider", str(BARE_SPIDER)]
    base = {
        "CONCURRENT_REQUESTS": "8",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
        "DOWNLOAD_DELAY": "0",
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": "False",
        "ROBOTSTXT_OBEY": "False",
    }
    for key, value in {**base, **(settings or {})}.items():
        command += ["-s", f"{key}={value}"]
    command += ["-a", f"url_file={url_file}"]
    env = {"PYTHONPATH": "", "SCRAPY_SETTINGS_MODULE": ""}
    child = run_child(command, cwd=workdir, env=env, **kwargs)
    if child.returncode != 0:
        sys.stderr.write(child.stderr[-4000:])
        raise SystemExit(f"bare spider failed (exit {child.returncode})")
    return child


def stats_of(data_dir: Path, spider: str) -> dict:
    return json.loads((data_dir / "stats" / f"{spider}.json").read_text(encoding="utf-8"))


def heavy_comments(after: int = 23, during: int = 6) -> None:
    """Every replica entry gets the real capture's 29 comments (23 after the challenge, 6 during).

    The replica's entries have 0-13 comments; the real image page 921974 has 29, and comments are
    most of an image page's parse. Patches this process's replica model only.
    """
    original = model.Site._make_entries
    if getattr(original, "heavy", False):
        return

    def make_entries(self, challenge):
        entries, _stats = original(self, challenge)
        entries = [
            dataclasses.replace(e, comments_after=after, comments_during=during) for e in entries
        ]
        return entries, self._compute_stats(entries)

    make_entries.heavy = True
    model.Site._make_entries = make_entries


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: list[float]) -> dict:
    return {"median": median(values), "min": min(values), "max": max(values), "runs": values}


def machine() -> dict:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "machine": platform.machine(),
        "system": platform.system(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }


def git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
    except OSError:
        return None
    return done.stdout.strip() or None


START_COMMIT = git_commit()


def write_results(name: str, figures: dict) -> Path:
    """benchmarks/results/<name>.json: the figures, their baselines, the machine and the commit."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    document = {
        "benchmark": name,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": START_COMMIT,  # the code the benchmark started with (others may commit meanwhile)
        "machine": machine(),
        **figures,
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {path.relative_to(ROOT)}")
    return path


def verdict(value: float, target: float, *, at_most: bool = True) -> str:
    met = value <= target if at_most else value >= target
    return "met" if met else "NOT met"


def prepare_entries(replica, workdir: Path) -> list[dict]:
    """Crawls `challenges` once (not measured) and returns entries.jsonl's records."""
    data_dir = workdir / "prepared"
    crawl("challenges", replica, data_dir)
    with open(data_dir / "entries.jsonl", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def fresh_data_dir(workdir: Path, name: str, entries_file: Path | None = None) -> Path:
    """An empty data folder, holding only a copy of entries.jsonl when given."""
    data_dir = workdir / name
    if data_dir.exists():
        subprocess.run(["rm", "-rf", str(data_dir)], check=True)
    data_dir.mkdir(parents=True)
    if entries_file is not None:
        (data_dir / "entries.jsonl").write_bytes(entries_file.read_bytes())
    return data_dir


def request_span(records) -> float:
    return (records[-1].time - records[0].time) if len(records) > 1 else 0.0


@dataclass
class Measured:
    child: Child
    pages: int  # image pages the replica answered for this run
    files: int  # file GETs on the image host
    span: float  # first → last request the replica saw for this run

    @property
    def rate(self) -> float:
        return self.pages / self.span if self.span > 0 else float("nan")


def _measured(replica, seen: int, child: Child) -> Measured:
    log = replica.requests[seen:]
    return Measured(
        child=child,
        pages=sum(1 for r in log if r.host == "pages" and r.path.startswith("/image.php")),
        files=sum(1 for r in log if r.host == "images" and r.method == "GET"),
        span=request_span(log),
    )


def measure_images(replica, work: Path, entries_file: Path, args=(), settings=None) -> Measured:
    """The images spider over a fresh folder that holds entries.jsonl only."""
    data_dir = fresh_data_dir(work, "images", entries_file)
    seen = len(replica.requests)
    return _measured(replica, seen, crawl("images", replica, data_dir, args, settings))


def measure_bare(replica, work: Path, urls: list[str]) -> Measured:
    seen = len(replica.requests)
    return _measured(replica, seen, bare_crawl(urls, work))


def image_urls(replica, entries: list[dict]) -> list[str]:
    """What the images spider fetches for these entries: each image page, then its thumbnail."""
    urls = []
    for entry in entries:
        urls.append(f"{replica.base_url}/image.php?IMAGE_ID={entry['image_id']}")
        if entry.get("thumbnail_url"):
            urls.append(entry["thumbnail_url"])
    return urls
