"""Full-size download speed against the local replica, beside the page-only crawl rate.

Run by hand: `.venv/bin/python benchmarks/download_speed.py [--challenges 20 --entries 20]`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from any directory, without installing

from dpchallenge import settings as project_settings  # noqa: E402
from dpchallenge.replica import Replica  # noqa: E402

LOCAL = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
    "LOG_LEVEL": "WARNING",
    "DPC_IMAGES_DELAY": "0",
}
SECRET_ENV = ("SCRAPERAPI_KEY", "DPC_USERNAME", "DPC_PASSWORD", "SPLASH_URL", "REDIS_URL")
MB = 1_000_000


@dataclass
class Run:
    label: str
    elapsed: float  # stats elapsed_time_seconds: spider opened → closed, inside the child
    wall: float  # the whole child process: interpreter start, imports, crawl, shutdown
    span: float  # first → last request the replica saw for this run
    pages: int  # image pages served with 200 (replica log)
    written: int  # stats dpc/written/images.jsonl
    files: int  # files on disk under images/full
    file_bytes: int  # their total size
    full_requests: int  # GETs of /1200/ files answered 200 (replica log)
    full_sent: int  # body bytes the replica sent for them
    thumb_requests: int
    warnings: int
    errors: int

    def rate(self, count: float, seconds: float) -> float:
        return count / seconds if seconds > 0 else float("nan")


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV and not k.startswith("DPC_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def crawl(label: str, replica: Replica, data_dir: Path, args: list[str], timeout: float) -> Run:
    command = [sys.executable, "-m", "scrapy", "crawl", "images"]
    merged = {**LOCAL, "DPC_BASE_URL": replica.base_url, "DPC_DATA_DIR": str(data_dir)}
    for key, value in merged.items():
        command += ["-s", f"{key}={value}"]
    for arg in args:
        command += ["-a", arg]
    seen = len(replica.requests)
    start = time.monotonic()
    done = subprocess.run(
        command, cwd=ROOT, env=child_env(), timeout=timeout, capture_output=True, text=True
    )
    wall = time.monotonic() - start
    stats_path = data_dir / "stats" / "images.json"
    if done.returncode != 0 or not stats_path.exists():
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"{label}: crawl failed (exit {done.returncode})")
    stats = json.loads(stats_path.read_text(encoding="utf-8"))
    log = replica.requests[seen:]
    pages = [r for r in log if r.host == "pages" and r.path.startswith("/image.php")]
    files = [r for r in log if r.host == "images" and r.method == "GET"]
    full = [r for r in files if "/1200/" in r.path and r.status == 200]
    on_disk = [p for p in (data_dir / "images" / "full").glob("*.jpg") if p.is_file()]
    return Run(
        label=label,
        elapsed=float(stats.get("elapsed_time_seconds", 0)),
        wall=wall,
        span=(log[-1].time - log[0].time) if log else 0.0,
        pages=sum(r.status == 200 for r in pages),
        written=int(stats.get("dpc/written/images.jsonl", 0)),
        files=len(on_disk),
        file_bytes=sum(p.stat().st_size for p in on_disk),
        full_requests=len(full),
        full_sent=sum(r.bytes_sent for r in full),
        thumb_requests=sum("/120/" in r.path for r in files),
        warnings=int(stats.get("log_count/WARNING", 0)),
        errors=int(stats.get("log_count/ERROR", 0)),
    )


def table(runs: list[Run]) -> None:
    print(
        f"{'run':<10} {'pages':>6} {'files':>6} {'MB':>7} {'elapsed s':>9} {'wall s':>7} "
        f"{'pages/s':>8} {'files/s':>8} {'MB/s':>7} {'pages/s':>8} {'files/s':>8}"
    )
    print(f"{'':<10} {'':>6} {'':>6} {'':>7} {'':>9} {'':>7} {'(by elapsed s)':>25} {'(wall)':>17}")
    for run in runs:
        print(
            f"{run.label:<10} {run.pages:>6} {run.files:>6} {run.file_bytes / MB:>7.2f} "
            f"{run.elapsed:>9.2f} {run.wall:>7.2f} "
            f"{run.rate(run.pages, run.elapsed):>8.1f} {run.rate(run.files, run.elapsed):>8.1f} "
            f"{run.rate(run.file_bytes / MB, run.elapsed):>7.2f} "
            f"{run.rate(run.pages, run.wall):>8.1f} {run.rate(run.files, run.wall):>8.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--challenges", type=int, default=20)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600, help="per crawl, seconds")
    options = parser.parse_args()

    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    known = hasattr(project_settings, "DPC_IMAGES_DELAY")
    print(
        f"replica: seed={options.seed} challenges={options.challenges} "
        f"entries={options.entries} (in-process Python http.server threads in this process;"
    )
    print("         its own speed bounds every figure below)")
    print(
        f"machine: {platform.machine()} {platform.system()}, {cores} cores ({usable} usable), "
        f"Python {platform.python_version()}"
    )
    print("crawl:   images spider, " + " ".join(f"{k}={v}" for k, v in LOCAL.items()))
    if not known:
        print("note:    DPC_IMAGES_DELAY is not in dpchallenge/settings.py (Scrapy ignores it)")

    size = {"seed": options.seed, "challenges": options.challenges, "entries": options.entries}
    with Replica(**size) as rep, tempfile.TemporaryDirectory(prefix="dpc-bench-") as tmp:
        base = crawl("pages", rep, Path(tmp) / "pages", ["thumbnails=0"], options.timeout)
        full_args = ["full_res=1", "thumbnails=0"]
        full = crawl("full_res", rep, Path(tmp) / "full", full_args, options.timeout)
    runs = [base, full]

    print()
    table(runs)
    print()
    print("pages = image pages answered 200 in the replica log; files and MB = images/full on disk")
    print("elapsed s = stats elapsed_time_seconds (spider open → close); wall s = whole child,")
    print("  including interpreter start and Scrapy imports; nothing is subtracted from either.")
    for run in runs:
        print(
            f"  {run.label}: stats wrote {run.written} records; log WARNING={run.warnings} "
            f"ERROR={run.errors}\n    replica: {run.full_requests} full GETs "
            f"({run.full_sent / MB:.2f} MB sent), {run.thumb_requests} thumbnail GETs, "
            f"first → last request {run.span:.2f} s"
        )
    baseline = base.rate(base.pages, base.elapsed)
    files_rate = full.rate(full.files, full.elapsed)
    pages_rate = full.rate(full.pages, full.elapsed)
    megabytes_rate = full.rate(full.file_bytes / MB, full.elapsed)
    print()
    print("ratios (by elapsed s):")
    print(f"  full-size files/s ÷ baseline pages/s: {files_rate / baseline:.2f}")
    print(f"  full_res pages/s ÷ baseline pages/s:  {pages_rate / baseline:.2f}")
    print(f"  full-size MB/s:                       {megabytes_rate:.2f}")
    if full.files >= 10 and files_rate < 1.5:
        print("warning: full-size downloads look throttled (about 1 file/s or less)")


if __name__ == "__main__":
    main()
