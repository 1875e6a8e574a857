"""`scrapy export parquet` against pandas' read_json(lines=True).to_parquet() on the same file.

Run by hand: `.venv/bin/python benchmarks/export_speed.py [--images 100000 --runs 3]`. Writes a
synthetic images.jsonl (and the entries and challenges it belongs to), then times each in a child
process of its own, measured by the kernel (wall time, peak RSS). Target (issue 11): no slower,
with at most a third of pandas' peak memory.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from harness import median, run_child, spread, write_results
from startup import synthesize

# Columns of empty objects only (extra_info is {} throughout) are dropped: Parquet cannot hold a
# struct without fields, so pandas would refuse the file otherwise.
PANDAS = (
    "import sys, pandas as pd; "
    "frame = pd.read_json(sys.argv[1], lines=True); "
    "empty = [c for c in frame if frame[c].map(lambda v: v == {}).all()]; "
    "frame.drop(columns=empty).to_parquet(sys.argv[2])"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=3, help="per image record")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    ours: dict[str, list[float]] = {"wall": [], "rss": []}
    theirs: dict[str, list[float]] = {"wall": [], "rss": []}
    with tempfile.TemporaryDirectory(prefix="dpc-export-bench-") as tmp:
        data = Path(tmp) / "data"
        synthesize(data, options.images, options.comments, "https://images.dpchallenge.com")
        size = (data / "images.jsonl").stat().st_size
        print(f"synthetic images.jsonl: {options.images} records, {size / 1e6:.0f} MB")
        for run in range(options.runs):
            out = Path(tmp) / f"export-{run}"
            export = run_child(
                [sys.executable, "-m", "scrapy", "export", "parquet", "--out", str(out)],
                env={"DPC_DATA_DIR": str(data)},
            )
            if export.returncode != 0:
                raise SystemExit(export.stderr[-3000:])
            baseline = run_child(
                [sys.executable, "-c", PANDAS, str(data / "images.jsonl"), str(out) + ".pd"]
            )
            if baseline.returncode != 0:
                raise SystemExit(baseline.stderr[-3000:])
            ours["wall"].append(export.wall)
            ours["rss"].append(export.max_rss_mb)
            theirs["wall"].append(baseline.wall)
            theirs["rss"].append(baseline.max_rss_mb)
            print(
                f"run {run + 1}: export {export.wall:.1f} s, {export.max_rss_mb:.0f} MB; "
                f"pandas {baseline.wall:.1f} s, {baseline.max_rss_mb:.0f} MB"
            )
    speed = median(theirs["wall"]) / median(ours["wall"])
    memory = median(ours["rss"]) / median(theirs["rss"])
    print(
        f"speed: {speed:.2f} of pandas' ({'met' if speed >= 1 else 'NOT met'}: no slower); "
        f"peak memory {memory:.2f} of pandas' ({'met' if memory <= 1 / 3 else 'NOT met'}: ≤ 1/3)"
    )
    write_results(
        "export_speed",
        {
            "images": options.images,
            "comments_per_record": options.comments,
            "images_jsonl_bytes": size,
            "target": {"speed_ratio_at_least": 1.0, "memory_ratio_at_most": 1 / 3},
            "export_seconds": spread(ours["wall"]),
            "export_peak_rss_mb": spread(ours["rss"]),
            "baseline_pandas_seconds": spread(theirs["wall"]),
            "baseline_pandas_peak_rss_mb": spread(theirs["rss"]),
            "speed_ratio": speed,
            "memory_ratio": memory,
        },
    )


if __name__ == "__main__":
    main()
