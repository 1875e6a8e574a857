"""The full history list (4,150 rows, as the site's) parsed by parse_history, against plain lxml.

Run by hand: `.venv/bin/python benchmarks/history_parse.py [--rows 4150 --runs 7]`. The page comes
from the replica. Baseline, same run: lxml's HTML parser building the tree of the same text, the
least any parser of the page does. Target: at most 100 ms.
"""

from __future__ import annotations

import argparse
import time
import urllib.request

from harness import median, spread, verdict, write_results
from lxml import etree
from scrapy.http import HtmlResponse

from dpchallenge.pages import parse_history
from dpchallenge.replica import Replica

TARGET_MS = 100


def timed(function, runs: int) -> list[float]:
    """Milliseconds of each of `runs` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4150)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    with Replica(seed=1, challenges=options.rows, entries=3) as replica:
        url = replica.base_url + "/challenge_history.php?show_all=1"
        with urllib.request.urlopen(url, timeout=600) as answer:
            body = answer.read()
    headers = {"Content-Type": "text/html; charset=utf-8"}
    response = HtmlResponse(url=url, body=body, headers=headers)
    rows = len(parse_history(response).items)
    text = body.decode("utf-8")
    lxml_parser = etree.HTMLParser(remove_comments=True)
    ours = timed(lambda: parse_history(response), options.runs)
    tree = timed(lambda: etree.fromstring(text, lxml_parser), options.runs)
    result, baseline = median(ours), median(tree)
    print(f"page: {len(body):,} bytes, {rows} rows")
    print(f"parse_history: {result:.1f} ms (median of {options.runs}; target ≤ {TARGET_MS})")
    print(f"lxml tree of the same text: {baseline:.1f} ms")
    print(f"ratio ours / lxml: {result / baseline:.2f}; {verdict(result, TARGET_MS)}")
    write_results(
        "history_parse",
        {
            "page": {"bytes": len(body), "rows": rows},
            "target": {"parse_ms_at_most": TARGET_MS},
            "parse_history_ms": spread(ours),
            "baseline_lxml_tree_ms": spread(tree),
            "ratio_to_baseline": result / baseline,
            "met": result <= TARGET_MS,
        },
    )


if __name__ == "__main__":
    main()
