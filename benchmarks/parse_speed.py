"""Image-page parse speed: ours against a BeautifulSoup (html.parser) parse of the same page.

Run by hand: `.venv/bin/python benchmarks/parse_speed.py [page.html]`. Without an argument it uses
the real capture in ../shared/site-samples/ when present, else our own fixture page.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bs4 import BeautifulSoup
from scrapy.http import HtmlResponse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from any directory, without installing

from dpchallenge.pages import parse_image  # noqa: E402

CAPTURE = ROOT.parent / "shared" / "site-samples" / "image_IMAGE_ID_921974_anonymous.html"
FIXTURE = ROOT / "tests" / "fixtures" / "pages" / "image_basic.html"


def best_of(function, repeats: int, rounds: int = 7) -> float:
    """The fastest mean time of one call over `rounds` rounds (least disturbed by other work)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            function()
        best = min(best, (time.perf_counter() - start) / repeats)
    return best


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else (CAPTURE if CAPTURE.exists() else FIXTURE)
    body = path.read_bytes()
    response = HtmlResponse(url="https://www.dpchallenge.com/image.php?IMAGE_ID=921974", body=body)
    result = parse_image(response)
    assert result.kind == "image", result
    ours = best_of(lambda: parse_image(response), repeats=200)
    soup = best_of(
        lambda: BeautifulSoup(body.decode("utf-8", "replace"), "html.parser"), repeats=10
    )
    comments = len(result.items[0].comments)
    print(f"page: {path.name} ({len(body):,} bytes, {comments} comments)")
    print(f"parse_image (all fields):      {ours * 1000:8.3f} ms")
    print(f"BeautifulSoup html.parser only: {soup * 1000:8.3f} ms")
    print(f"ratio: {soup / ours:.1f}x faster (target: 20x)")


if __name__ == "__main__":
    main()
