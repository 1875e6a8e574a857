"""Crawl rate of the replica: the images spider against a bare Scrapy spider on the same URLs.

Run by hand: `.venv/bin/python benchmarks/crawl_rate.py [--challenges 20 --entries 25 --runs 3]`.
Both fetch every image page and its thumbnail (8 requests at a time, 4 per host); the rate is
image pages per second between the first and the last request the replica saw. The bare spider
(benchmarks/bare_spider.py) parses nothing: the engine's own ceiling on this replica. `scrapy
bench` is recorded beside it (its own local server and link-following spider, no ceiling for
this workload). Target: ours ≥ 0.8 of the bare spider's rate.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from harness import (
    image_urls,
    measure_bare,
    measure_images,
    median,
    prepare_entries,
    run_child,
    spread,
    verdict,
    write_results,
)

from dpchallenge.replica import Replica

TARGET = 0.8
BENCH_LINE = re.compile(r"Crawled (\d+) pages \(at (\d+) pages/min\)")


def scrapy_bench(workdir: Path) -> float | None:
    """Pages per second of `scrapy bench` (the best minute rate it logs), outside the project."""
    child = run_child(
        [sys.executable, "-m", "scrapy", "bench", "-s", "CLOSESPIDER_TIMEOUT=10"],
        cwd=workdir,
        env={"PYTHONPATH": "", "SCRAPY_SETTINGS_MODULE": ""},
        timeout=120,
    )
    rates = [int(m.group(2)) for m in BENCH_LINE.finditer(child.stderr)]
    return max(rates) / 60 if rates else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--challenges", type=int, default=20)
    parser.add_argument("--entries", type=int, default=25)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    size = {"seed": 1, "challenges": options.challenges, "entries": options.entries}
    ours, bare, ratios = [], [], []
    with Replica(**size) as replica, tempfile.TemporaryDirectory(prefix="dpc-bench-") as tmp:
        work = Path(tmp)
        entries = prepare_entries(replica, work)
        entries_file = work / "prepared" / "entries.jsonl"
        urls = image_urls(replica, entries)
        for run in range(options.runs):
            mine = measure_images(replica, work, entries_file)
            plain = measure_bare(replica, work, urls)
            ours.append(mine.rate)
            bare.append(plain.rate)
            ratios.append(mine.rate / plain.rate)
            print(
                f"run {run + 1}: ours {mine.pages} pages + {mine.files} files in {mine.span:.2f} s "
                f"= {mine.rate:.1f} pages/s; bare {plain.pages} + {plain.files} in "
                f"{plain.span:.2f} s = {plain.rate:.1f} pages/s; ratio {ratios[-1]:.2f}"
            )
        bench = scrapy_bench(work)
    ratio = median(ratios)
    print(f"ours: {median(ours):.1f} image pages/s (with thumbnails), median of {options.runs}")
    print(f"bare Scrapy spider, same URLs: {median(bare):.1f} pages/s")
    print(f"scrapy bench (recorded, not a ceiling here): {bench or float('nan'):.0f} pages/s")
    met = verdict(ratio, TARGET, at_most=False)
    print(f"ratio ours / bare: {ratio:.2f} (target ≥ {TARGET}); {met}")
    write_results(
        "crawl_rate",
        {
            "replica": size,
            "target": {"ratio_to_bare_at_least": TARGET},
            "pages_per_second": spread(ours),
            "baseline_bare_spider_pages_per_second": spread(bare),
            "scrapy_bench_pages_per_second": bench,
            "ratio_to_baseline": spread(ratios),
            "met": ratio >= TARGET,
        },
    )


if __name__ == "__main__":
    main()
