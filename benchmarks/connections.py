"""Image host connections per file: TCP connections the replica's image server accepted ÷ files.

Run by hand: `.venv/bin/python benchmarks/connections.py [--challenges 20 --entries 25 --runs 3]`.
The baseline in the same run is the bare Scrapy spider fetching the same file URLs (its pool of
persistent connections is the engine's own). Target: at most 0.1 connections per file.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

from harness import (
    bare_crawl,
    crawl,
    fresh_data_dir,
    median,
    prepare_entries,
    spread,
    verdict,
    write_results,
)

from dpchallenge.replica import Replica, httpd

TARGET = 0.1
accepted: Counter = Counter()


def count_connections() -> None:
    """Counts connections per server port (patches this process's replica only)."""
    original = httpd.LocalServer.process_request

    def process_request(self, request, client_address):
        accepted[self.server_address[1]] += 1
        return original(self, request, client_address)

    httpd.LocalServer.process_request = process_request


def image_port(replica) -> int:
    return int(replica.images_url.rsplit(":", 1)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--challenges", type=int, default=20)
    parser.add_argument("--entries", type=int, default=25)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    count_connections()
    ours, bare, ours_delay = [], [], []
    size = {"seed": 1, "challenges": options.challenges, "entries": options.entries}
    with Replica(**size) as replica, tempfile.TemporaryDirectory(prefix="dpc-bench-") as tmp:
        work = Path(tmp)
        entries = prepare_entries(replica, work)
        entries_file = work / "prepared" / "entries.jsonl"
        urls = [e["thumbnail_url"] for e in entries if e.get("thumbnail_url")]
        port = image_port(replica)
        for _ in range(options.runs):
            for label, figures, settings in (
                ("ours", ours, {}),
                ("ours, image delay 0.2 s", ours_delay, {"DPC_IMAGES_DELAY": "0.2"}),
            ):
                if label != "ours" and figures:
                    continue  # the polite run takes long: once is enough
                data_dir = fresh_data_dir(work, "images", entries_file)
                before = accepted[port]
                seen = len(replica.requests)
                crawl("images", replica, data_dir, settings=settings)
                files = sum(
                    1 for r in replica.requests[seen:] if r.host == "images" and r.method == "GET"
                )
                figures.append((accepted[port] - before) / max(files, 1))
                print(f"{label}: {files} files, {accepted[port] - before} connections")
            before = accepted[port]
            bare_crawl(urls, work)
            bare.append((accepted[port] - before) / len(urls))
            print(f"bare: {len(urls)} files, {accepted[port] - before} connections")
    result = median(ours)
    print(f"connections per file, ours: {result:.3f} (median of {len(ours)}; target ≤ {TARGET})")
    print(f"connections per file, ours with DPC_IMAGES_DELAY=0.2: {median(ours_delay):.3f}")
    print(f"connections per file, bare Scrapy spider: {median(bare):.3f}")
    print(f"ratio ours / bare: {result / median(bare):.2f}; {verdict(result, TARGET)}")
    write_results(
        "connections",
        {
            "replica": size,
            "target": {"connections_per_file_at_most": TARGET},
            "connections_per_file": spread(ours),
            "connections_per_file_images_delay_0_2": spread(ours_delay),
            "baseline_bare_spider_connections_per_file": spread(bare),
            "ratio_to_baseline": result / median(bare),
            "met": result <= TARGET,
        },
    )


if __name__ == "__main__":
    main()
