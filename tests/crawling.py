"""Runs real crawls (`scrapy crawl` in a child process) against the local replica."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
    "DPC_BAN_PAUSE": "0.5",
    "RETRY_TIMES": "4",
    "DPC_RETRY_BACKOFF_BASE": "0.05",
    "DPC_IMAGES_DELAY": "0",
    "DPC_IMAGES_CONCURRENCY": "4",
}
SECRET_ENV = ("SCRAPERAPI_KEY", "DPC_USERNAME", "DPC_PASSWORD", "SPLASH_URL", "REDIS_URL")


@dataclass
class Crawl:
    returncode: int
    stats: dict
    log: str

    def stat(self, key: str, default=0):
        return self.stats.get(key, default)


SCRAPY = ("-m", "scrapy")


def crawl_command(
    spider: str, replica, data_dir: Path, args=(), settings=None, scrapy=SCRAPY
) -> list[str]:
    merged = {**FAST, "DPC_BASE_URL": replica.base_url, "DPC_DATA_DIR": str(data_dir)}
    merged.update(settings or {})
    command = [sys.executable, *scrapy, "crawl", spider]
    for key, value in merged.items():
        command += ["-s", f"{key}={value}"]
    for arg in args:
        command += ["-a", arg]
    return command


def child_env(extra: dict | None = None) -> dict:
    # Scrapy's get_project_settings() in the test process sets SCRAPY_SETTINGS_MODULE, which
    # would make a child in another folder find the project without its scrapy.cfg.
    inherited = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    env = {k: v for k, v in inherited.items() if k not in SECRET_ENV and not k.startswith("DPC_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra or {})
    return env


def run_crawl(
    spider, replica, data_dir, *args, settings=None, env=None, timeout=180, scrapy=SCRAPY
) -> Crawl:
    log_file = log_path(data_dir, spider)
    settings = {"LOG_FILE": str(log_file), **(settings or {})}
    command = crawl_command(spider, replica, Path(data_dir), args, settings, scrapy)
    done = subprocess.run(
        command, cwd=ROOT, env=child_env(env), timeout=timeout, capture_output=True, text=True
    )
    return finished(spider, data_dir, done.returncode, log_file, done.stderr)


def finished(spider, data_dir, returncode, log_file, stderr="") -> Crawl:
    stats_path = Path(data_dir) / "stats" / f"{spider}.json"
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    log = log_file.read_text() if log_file.exists() else ""
    return Crawl(returncode, stats, log + stderr)


def log_path(data_dir, spider) -> Path:
    """Beside the data folder, not in it: a data folder is the crawl's alone."""
    log_file = Path(f"{data_dir}-logs") / f"{spider}-{time.monotonic_ns()}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    return log_file


def start_crawl(spider, replica, data_dir, *args, settings=None, env=None):
    """A crawl running in the background, for tests that interrupt it."""
    log_file = log_path(data_dir, spider)
    settings = {"LOG_FILE": str(log_file), **(settings or {})}
    command = crawl_command(spider, replica, Path(data_dir), args, settings)
    process = subprocess.Popen(command, cwd=ROOT, env=child_env(env))
    return process, log_file


def wait_for_lines(path: Path, count: int, process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= count:
            return
        if process.poll() is not None:
            raise AssertionError(f"crawl ended (code {process.returncode}) before {count} lines")
        time.sleep(0.05)
    raise AssertionError(f"{path} did not reach {count} lines in {timeout} s")


def interrupt(process, how=signal.SIGINT, timeout: float = 60) -> int:
    process.send_signal(how)
    return process.wait(timeout=timeout)


def records(path: Path, key: str) -> list[dict]:
    """Every line of a dataset file, each of which must be a whole JSON record."""
    if not path.exists():
        return []
    lines = path.read_bytes().decode("utf-8").splitlines()
    parsed = [json.loads(line) for line in lines]
    assert all(key in record for record in parsed)
    return parsed


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()
