"""`scrapy export reconcile` of AVA's 255,530 lines against a folder of 600k image records.

Run by hand: `.venv/bin/python benchmarks/reconcile_speed.py [--lines 255530 --records 600000
--runs 3]`. Writes a synthetic data folder (startup.py's: every image done, its two files in
place as empty files) and an AVA.txt whose ids are spread over the records and past them (6% not
found), then times the export in a child process, measured by the kernel (wall
time, peak RSS). Baseline, same run: `pandas.read_csv` of the AVA.txt plus
`pandas.read_json(lines=True)` of images.jsonl, in a child of its own. Targets (issue 17):
≤ 30 s and ≤ 500 MB peak.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from harness import median, run_child, spread, write_results
from startup import synthesize

TARGET_S = 30.0
TARGET_MB = 500.0
FIRST_ID = 1_000_000
PER_CHALLENGE = 150  # as startup.synthesize lays the records out
PANDAS = (
    "import sys, pandas as pd; "
    "ava = pd.read_csv(sys.argv[1], sep=' ', header=None); "
    "images = pd.read_json(sys.argv[2], lines=True); "
    "print(len(ava), len(images))"
)


def write_ava_txt(path: Path, lines: int) -> None:
    rng = random.Random(17)
    with path.open("w", encoding="ascii") as out:
        for index in range(1, lines + 1):
            n = (index - 1) * 5 // 2
            counts = [rng.randint(0, 40) for _ in range(10)]
            values = [index, FIRST_ID + n, *counts, rng.randint(0, 66), 0, n // PER_CHALLENGE + 1]
            out.write(" ".join(map(str, values)) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=255_530)
    parser.add_argument("--records", type=int, default=600_000)
    parser.add_argument("--comments", type=int, default=3, help="per image record")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    ours: dict[str, list[float]] = {"wall": [], "rss": []}
    theirs: dict[str, list[float]] = {"wall": [], "rss": []}
    with tempfile.TemporaryDirectory(prefix="dpc-reconcile-bench-") as tmp:
        data = Path(tmp) / "data"
        start = time.monotonic()
        synthesize(data, options.records, options.comments, "https://images.dpchallenge.com")
        ava_txt = Path(tmp) / "AVA.txt"
        write_ava_txt(ava_txt, options.lines)
        size = (data / "images.jsonl").stat().st_size
        print(
            f"synthetic: {options.records} records (images.jsonl {size / 1e6:.0f} MB), AVA.txt"
            f" {options.lines} lines, in {time.monotonic() - start:.0f} s"
        )
        manifest = None
        for run in range(options.runs):
            out = Path(tmp) / f"reconcile-{run}"
            command = [sys.executable, "-m", "scrapy", "export", "reconcile"]
            command += ["--ava-txt", str(ava_txt), "--out", str(out)]
            export = run_child(command, env={"DPC_DATA_DIR": str(data)})
            if export.returncode != 0:
                raise SystemExit(export.stderr[-3000:])
            manifest = (out / "manifest.json").read_text()
            baseline = run_child(
                [sys.executable, "-c", PANDAS, str(ava_txt), str(data / "images.jsonl")]
            )
            if baseline.returncode != 0:
                raise SystemExit(baseline.stderr[-3000:])
            ours["wall"].append(export.wall)
            ours["rss"].append(export.max_rss_mb)
            theirs["wall"].append(baseline.wall)
            theirs["rss"].append(baseline.max_rss_mb)
            print(
                f"run {run + 1}: reconcile {export.wall:.1f} s, {export.max_rss_mb:.0f} MB; "
                f"pandas {baseline.wall:.1f} s, {baseline.max_rss_mb:.0f} MB"
            )
    wall, rss = median(ours["wall"]), median(ours["rss"])
    met = wall <= TARGET_S and rss <= TARGET_MB
    print(
        f"reconcile: {wall:.1f} s (target ≤ {TARGET_S:.0f} s), {rss:.0f} MB (target ≤"
        f" {TARGET_MB:.0f} MB): {'met' if met else 'NOT met'}; pandas {median(theirs['wall']):.1f}"
        f" s, {median(theirs['rss']):.0f} MB"
    )
    print(manifest)
    write_results(
        "reconcile_speed",
        {
            "lines": options.lines,
            "records": options.records,
            "comments_per_record": options.comments,
            "images_jsonl_bytes": size,
            "target": {"seconds_at_most": TARGET_S, "peak_rss_mb_at_most": TARGET_MB},
            "reconcile_seconds": spread(ours["wall"]),
            "reconcile_peak_rss_mb": spread(ours["rss"]),
            "baseline_pandas_seconds": spread(theirs["wall"]),
            "baseline_pandas_peak_rss_mb": spread(theirs["rss"]),
            "speed_ratio": median(theirs["wall"]) / wall,
            "memory_ratio": rss / median(theirs["rss"]),
            "met": met,
        },
    )


if __name__ == "__main__":
    main()
