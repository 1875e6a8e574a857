"""`scrapy export hf --images full` against `cp -r` of the same image files, in the same run.

Run by hand: `nice .venv/bin/python benchmarks/hf_export.py [--images 100000 --runs 3]`. Writes
a synthetic crawl (startup.synthesize's records) whose full-size files are real JPEGs of the
site's pixel sizes (the replica's, 640-1200 px on the long side; a pool of distinct files
written under every id), then times, in each run, the export and `cp -r` of the `full` folder
(the disk's floor), each a child process measured by the kernel (wall time, peak RSS).
Target (issue 18): at most twice the copy's time, peak memory at most 1 GB.

The replica's JPEGs are smooth drawings of ~25 KB, where a photograph of those pixel sizes is
~100-450 KB; a second variant (`--textured N`, default 20,000 images) measures files with
photographic noise blended in (~230 KB on average), as the site's files weigh.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
from pathlib import Path

from harness import ROOT, median, run_child, spread, write_results
from PIL import Image
from startup import synthesize

from dpchallenge.replica.jpeg import full_jpeg, full_size

POOL = 2000
TEXTURED_POOL = 400


def textured_jpeg(image_id: int) -> bytes:
    """The replica's file with noise blended in, saved as a camera would (quality 90)."""
    with Image.open(io.BytesIO(full_jpeg(image_id))) as drawn:
        base = drawn.convert("RGB")
    noise = Image.effect_noise(base.size, 40).convert("RGB")
    out = io.BytesIO()
    Image.blend(base, noise, 0.25).save(out, "JPEG", quality=90)
    return out.getvalue()


def fill_full_files(data: Path, textured: bool = False) -> tuple[int, int]:
    """Every full/<id>.jpg given a real JPEG's bytes; returns (files, bytes)."""
    make, size = (textured_jpeg, TEXTURED_POOL) if textured else (full_jpeg, POOL)
    pool = [make(1_000_000 + n) for n in range(size)]
    files = total = 0
    for number, path in enumerate(sorted((data / "images" / "full").iterdir())):
        content = pool[number % len(pool)]
        path.write_bytes(content)
        files += 1
        total += len(content)
    return files, total


def measure(images: int, textured: bool, runs: int, work: str | None) -> dict:
    ours: dict[str, list[float]] = {"wall": [], "rss": [], "bytes": []}
    copy: dict[str, list[float]] = {"wall": [], "rss": []}
    with tempfile.TemporaryDirectory(prefix="dpc-hf-bench-", dir=work) as tmp:
        data = Path(tmp) / "data"
        synthesize(data, images, 3, "https://images.dpchallenge.com")
        files, size = fill_full_files(data, textured)
        kind = "textured" if textured else "replica"
        print(f"synthetic crawl: {files} full-size JPEGs ({kind}), {size / 1e9:.2f} GB")
        for run in range(runs):
            out = Path(tmp) / f"hf-{run}"
            target = Path(tmp) / f"copy-{run}"
            # alternate which goes first, so neither always finds the files in the page cache
            steps = ["export", "copy"] if run % 2 == 0 else ["copy", "export"]
            for step in steps:
                if step == "export":
                    command = [sys.executable, "-m", "scrapy", "export", "hf", "--out", str(out)]
                    export = run_child(
                        [*command, "--images", "full"], env={"DPC_DATA_DIR": str(data)}, cwd=ROOT
                    )
                    if export.returncode != 0:
                        raise SystemExit(export.stderr[-3000:])
                else:
                    baseline = run_child(["cp", "-r", str(data / "images" / "full"), str(target)])
                    if baseline.returncode != 0:
                        raise SystemExit(baseline.stderr[-3000:])
            written = sum(p.stat().st_size for p in (out / "data").rglob("*.parquet"))
            ours["wall"].append(export.wall)
            ours["rss"].append(export.max_rss_mb)
            ours["bytes"].append(written)
            copy["wall"].append(baseline.wall)
            copy["rss"].append(baseline.max_rss_mb)
            print(
                f"run {run + 1}: export {export.wall:.1f} s, {export.max_rss_mb:.0f} MB, "
                f"{written / 1e9:.2f} GB; cp -r {baseline.wall:.1f} s"
            )
            shutil.rmtree(out)
            shutil.rmtree(target)
    # each run's export against the copy of the same run: the machine's load moves both
    per_run = [e / c for e, c in zip(ours["wall"], copy["wall"])]
    ratio = median(per_run)
    peak = median(ours["rss"])
    print(
        f"time: {ratio:.2f}x cp -r, median of the runs' ratios"
        f" ({'met' if ratio <= 2 else 'NOT met'}: ≤ 2x); "
        f"peak memory {peak:.0f} MB ({'met' if peak <= 1024 else 'NOT met'}: ≤ 1 GB)"
    )
    return {
        "images": images,
        "full_files_bytes": size,
        "mean_file_bytes": size / max(1, files),
        "distinct_jpegs": TEXTURED_POOL if textured else POOL,
        "export_seconds": spread(ours["wall"]),
        "export_peak_rss_mb": spread(ours["rss"]),
        "export_parquet_bytes": spread(ours["bytes"]),
        "baseline_cp_seconds": spread(copy["wall"]),
        "baseline_cp_peak_rss_mb": spread(copy["rss"]),
        "time_ratio_per_run": per_run,
        "time_ratio": ratio,
        "time_ratio_of_medians": median(ours["wall"]) / median(copy["wall"]),
        "time_met": ratio <= 2,
        "memory_met": peak <= 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--textured", type=int, default=20_000, help="images (0: skip)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default=None, help="where to write (default: a temp folder)")
    options = parser.parse_args()
    figures = {
        "pixel_sizes": "the replica's full_size: 640-1200 px on the long side",
        "example_size": list(full_size(1_000_000)),
        "target": {"time_ratio_at_most": 2.0, "peak_rss_mb_at_most": 1024},
        "replica_jpegs": measure(options.images, False, options.runs, options.work),
    }
    if options.textured:
        figures["textured_jpegs"] = measure(options.textured, True, options.runs, options.work)
    write_results("hf_export", figures)


if __name__ == "__main__":
    main()
