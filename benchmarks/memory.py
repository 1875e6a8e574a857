"""Peak RSS of the images spider over a large replica, at 20% of its records and at the end.

Run by hand: `.venv/bin/python benchmarks/memory.py [--challenges 1000 --entries 100 --runs 1]`.
One crawl (history → results → image pages, with thumbnails) is watched through /proc: the peak
RSS (VmHWM) when images.jsonl passes 20% of the records, and the kernel's peak at the end
(wait4). The baseline in the same run is that 20k figure. Targets: at most 150 MB at 100k
records, under 10% growth from 20k to 100k.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from harness import crawl, median, proc_status, spread, stats_of, write_results

from dpchallenge.replica import Replica

TARGET_MB = 150
TARGET_GROWTH = 0.10


class Watcher:
    """Counts the lines of images.jsonl as they are appended, and notes the RSS at each step."""

    def __init__(self, replica, data_dir: Path, marks: list[int]):
        self.replica = replica
        self.path = data_dir / "images.jsonl"
        self.offset = 0
        self.lines = 0
        self.marks = sorted(marks)
        self.at: dict[int, float] = {}

    def __call__(self, pid: int) -> dict | None:
        if self.path.exists():
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
            self.offset += len(chunk)
            self.lines += chunk.count(b"\n")
        # The replica keeps every page it built and every request it saw: drop them so this
        # process does not grow with the crawl (its pages are rebuilt the same on demand).
        self.replica.site._details.clear()
        self.replica.clear_requests()
        figures = proc_status(pid)
        for mark in self.marks:
            if mark not in self.at and self.lines >= mark and "VmHWM" in figures:
                self.at[mark] = figures["VmHWM"]
                print(f"  {self.lines:>7} records: peak RSS {figures['VmHWM']:.1f} MB", flush=True)
        return {"records": self.lines, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--challenges", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--setting", "-s", action="append", default=[], help="NAME=VALUE")
    options = parser.parse_args()
    settings = dict(item.split("=", 1) for item in options.setting)
    total = options.challenges * options.entries
    early = total // 5
    size = {"seed": 1, "challenges": options.challenges, "entries": options.entries}
    at_early, at_end, growth, rates = [], [], [], []
    with Replica(**size) as replica, tempfile.TemporaryDirectory(prefix="dpc-bench-") as tmp:
        for run in range(options.runs):
            data_dir = Path(tmp) / f"run{run}"
            watcher = Watcher(replica, data_dir, [early, total // 2])
            child = crawl(
                "images", replica, data_dir, settings=settings, sample=watcher, interval=1.0
            )
            written = stats_of(data_dir, "images").get("dpc/written/images.jsonl", 0)
            early_mb = watcher.at.get(early, float("nan"))
            at_early.append(early_mb)
            at_end.append(child.max_rss_mb)
            growth.append(child.max_rss_mb / early_mb - 1)
            rates.append(written / child.wall)
            print(
                f"run {run + 1}: {written} records in {child.wall:.0f} s; peak RSS "
                f"{early_mb:.1f} MB at {early}, {child.max_rss_mb:.1f} MB at the end"
            )
    peak, rise = median(at_end), median(growth)
    print(f"peak RSS at {total} records: {peak:.1f} MB (target ≤ {TARGET_MB} MB)")
    print(f"baseline, peak RSS at {early} records: {median(at_early):.1f} MB")
    print(f"growth {early} → {total}: {rise:.1%} (target < {TARGET_GROWTH:.0%})")
    met = peak <= TARGET_MB and rise < TARGET_GROWTH
    print("met" if met else "NOT met")
    write_results(
        "memory",
        {
            "replica": size,
            "settings": settings,
            "target": {"peak_rss_mb_at_most": TARGET_MB, "growth_below": TARGET_GROWTH},
            "records": total,
            "peak_rss_mb": spread(at_end),
            "baseline_peak_rss_mb_at_early_mark": spread(at_early),
            "early_mark_records": early,
            "growth": spread(growth),
            "records_per_second_wall": spread(rates),
            "met": met,
        },
    )


if __name__ == "__main__":
    main()
