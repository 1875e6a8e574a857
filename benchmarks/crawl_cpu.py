"""CPU per image record: the images spider on pages of the real capture's weight (29 comments).

Run by hand: `.venv/bin/python benchmarks/crawl_cpu.py [--challenges 40 --entries 25 --runs 3]`.
Each run crawls a small and a large set of image pages (with thumbnails) and takes the CPU of
the crawl child (user + sys, from wait4) between them, so start-up drops out. Baseline, same run:
a bare Scrapy spider fetching the same URLs without parsing. Target: at most 2.5 ms a record.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import urllib.request
from pathlib import Path

from harness import (
    heavy_comments,
    image_urls,
    measure_bare,
    measure_images,
    median,
    prepare_entries,
    spread,
    verdict,
    write_results,
)
from scrapy.http import HtmlResponse

from dpchallenge.pages import parse_image
from dpchallenge.replica import Replica

TARGET_MS = 2.5
SMALL = 50


def parse_only_ms(replica, image_id: int) -> tuple[float, int, int]:
    """parse_image alone on one replica page: best mean of 5 rounds, page bytes, comments."""
    url = f"{replica.base_url}/image.php?IMAGE_ID={image_id}"
    with urllib.request.urlopen(url) as answer:
        body = answer.read()
    response = HtmlResponse(
        url=url, body=body, headers={"Content-Type": "text/html; charset=utf-8"}
    )
    comments = len(parse_image(response).items[0].comments)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(50):
            parse_image(response)
        best = min(best, (time.perf_counter() - start) / 50)
    return best * 1000, len(body), comments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--challenges", type=int, default=40)
    parser.add_argument("--entries", type=int, default=25)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--setting", "-s", action="append", default=[], help="NAME=VALUE")
    options = parser.parse_args()
    settings = dict(item.split("=", 1) for item in options.setting)
    heavy_comments()
    size = {"seed": 1, "challenges": options.challenges, "entries": options.entries}
    ours, bare, ours_total = [], [], []
    with Replica(**size) as replica, tempfile.TemporaryDirectory(prefix="dpc-bench-") as tmp:
        work = Path(tmp)
        entries = prepare_entries(replica, work)
        entries_file = work / "prepared" / "entries.jsonl"
        small = entries[:SMALL]
        small_ids = "image_ids=" + ",".join(str(e["image_id"]) for e in small)
        parse_ms, page_bytes, comments = parse_only_ms(replica, entries[0]["image_id"])
        print(
            f"replica page: {page_bytes:,} bytes, {comments} comments; "
            f"parse_image {parse_ms:.2f} ms"
        )
        for run in range(options.runs):
            low = measure_images(replica, work, entries_file, [small_ids], settings)
            high = measure_images(replica, work, entries_file, [], settings)
            per = (high.child.cpu - low.child.cpu) / (high.pages - low.pages) * 1000
            ours.append(per)
            ours_total.append(high.child.cpu / high.pages * 1000)
            bare_low = measure_bare(replica, work, image_urls(replica, small))
            bare_high = measure_bare(replica, work, image_urls(replica, entries))
            bare_per = (bare_high.child.cpu - bare_low.child.cpu) / (
                bare_high.pages - bare_low.pages
            )
            bare.append(bare_per * 1000)
            print(
                f"run {run + 1}: ours {high.pages} records {high.child.cpu:.2f} s CPU, "
                f"{low.pages} records {low.child.cpu:.2f} s → {per:.2f} ms/record; "
                f"bare {bare_per * 1000:.2f} ms/page+thumbnail"
            )
    result = median(ours)
    print(f"CPU per image record: {result:.2f} ms (median of {len(ours)}; target ≤ {TARGET_MS})")
    print(f"  including start-up (CPU of the large run ÷ records): {median(ours_total):.2f} ms")
    print(f"bare Scrapy spider, same URLs: {median(bare):.2f} ms per page+thumbnail")
    print(f"ratio ours / bare: {result / median(bare):.2f}; {verdict(result, TARGET_MS)}")
    write_results(
        "crawl_cpu",
        {
            "replica": {**size, "comments_per_page": comments, "page_bytes": page_bytes},
            "settings": settings,
            "target": {"cpu_ms_per_record_at_most": TARGET_MS},
            "cpu_ms_per_record": spread(ours),
            "cpu_ms_per_record_with_startup": spread(ours_total),
            "parse_image_ms": parse_ms,
            "baseline_bare_spider_cpu_ms_per_url_pair": spread(bare),
            "ratio_to_baseline": result / median(bare),
            "met": result <= TARGET_MS,
        },
    )


if __name__ == "__main__":
    main()
