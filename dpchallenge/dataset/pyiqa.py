"""`scrapy export pyiqa`: the image folder, meta-info CSVs and dataset entries IQA-PyTorch reads.

pyiqa reads a meta-info CSV with pandas and takes its columns by position (`values.tolist()`):
the AVADataset's row is img_name, MOS, ten counts, two tags, then its split column compared with
0/1/2; the GeneralNRDataset's is img_name, MOS, and a split column compared with the phase
names train/val/test. The column order (dataset/schema.py) is that contract.
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

from dpchallenge.dataset.ava import read_id_list
from dpchallenge.dataset.schema import PYIQA_AVA_COLUMNS, PYIQA_DPC_COLUMNS

AVA_HEADER = [name for name, _ in PYIQA_AVA_COLUMNS]
DPC_HEADER = [name for name, _ in PYIQA_DPC_COLUMNS]
OFFICIAL_SPLIT = {"train": 0, "validation": 1, "test": 2}
PHASE = {"train": "train", "validation": "val", "test": "test"}
IMAGES = "ava_images"
META = "meta_info"
AVA_CSV = "meta_info_AVADataset.csv"
DPC_CSV = "meta_info_DPCDataset.csv"
CONFIG = "pyiqa_datasets.yml"


def link_file(source: Path, target: Path) -> str:
    """A hard link, else a symbolic link, else a copy; says which."""
    try:
        os.link(source, target)
        return "hard_links"
    except OSError:
        pass
    try:
        os.symlink(source.resolve(), target)
        return "symbolic_links"
    except OSError:
        shutil.copyfile(source, target)
        return "copies"


def ava_mos(counts: list[int]) -> float:
    return sum(score * n for score, n in enumerate(counts, start=1)) / sum(counts)


def number(value) -> str:
    return "" if value is None else str(value)


class PyiqaExport:
    def __init__(self, out: Path, source, options):
        self.out = out
        self.test_ids = (
            read_id_list(options.ava_test_list, "--ava-test-list")
            if options.ava_test_list
            else None
        )
        (out / IMAGES).mkdir()
        (out / META).mkdir()
        self.ava_handle = (out / META / AVA_CSV).open("w", encoding="utf-8", newline="")
        self.dpc_handle = (out / META / DPC_CSV).open("w", encoding="utf-8", newline="")
        self.ava = csv.writer(self.ava_handle, lineterminator="\n")
        self.dpc = csv.writer(self.dpc_handle, lineterminator="\n")
        self.ava.writerow(AVA_HEADER)
        self.dpc.writerow(DPC_HEADER)
        self.ava_rows: dict[int, int] = dict.fromkeys(OFFICIAL_SPLIT.values(), 0)
        self.dpc_rows = 0
        self.placed: dict[str, int] = {}

    def add(self, row: dict, image_file: Path | None) -> None:
        name = f"{row['image_id']}.jpg"
        how = link_file(image_file, self.out / IMAGES / name)
        self.placed[how] = self.placed.get(how, 0) + 1
        counts = row["vote_counts"]
        if counts and len(counts) == 10 and sum(counts) > 0:
            if self.test_ids is None:
                official = OFFICIAL_SPLIT[row["split"]]
            else:
                official = 2 if row["image_id"] in self.test_ids else 0
            self.ava_rows[official] += 1
            tags = [row["ava_tag1"] or 0, row["ava_tag2"] or 0]
            self.ava.writerow([name, repr(ava_mos(counts)), *counts, *tags, official])
        self.dpc_rows += 1
        self.dpc.writerow(
            [
                name,
                repr(float(row["mos"])),
                number(row["votes"]),
                number(row["challenge_id"]),
                PHASE[row["split"]],
            ]
        )

    def close(self) -> list[str]:
        self.ava_handle.close()
        self.dpc_handle.close()
        (self.out / CONFIG).write_text(self.config(), encoding="utf-8")
        return [f"{META}/{AVA_CSV}", f"{META}/{DPC_CSV}", CONFIG, f"{IMAGES}/"]

    def config(self) -> str:
        """pyiqa's dataset entries, as in its default_dataset_configs.yml, paths relative to
        this folder. With the challenge splits, val_num is the validation rows' count, so pyiqa
        keeps them as they are instead of moving train rows over (its default is 2000)."""
        val_num = "" if self.test_ids is not None else f"  val_num: {self.ava_rows[1]}\n"
        common = "  mos_range: [1, 10]\n  lower_better: false\n"
        return (
            "# IQA-PyTorch (pyiqa) dataset entries for this folder; paths are relative to it.\n"
            "dpchallenge_ava:\n"
            "  name: DPChallengeAVA\n"
            "  type: AVADataset\n"
            f"  dataroot_target: ./{IMAGES}\n"
            f"  meta_info_file: ./{META}/{AVA_CSV}\n"
            "  split_index: official_split\n"
            f"{val_num}{common}"
            "\n"
            "dpchallenge:\n"
            "  name: DPChallenge\n"
            "  type: GeneralNRDataset\n"
            f"  dataroot_target: ./{IMAGES}\n"
            f"  meta_info_file: ./{META}/{DPC_CSV}\n"
            "  split_index: split\n"
            f"{common}"
        )

    def details(self) -> dict:
        return {
            "ava_rows_per_official_split": {str(k): v for k, v in self.ava_rows.items()},
            "dpc_rows": self.dpc_rows,
            "images_placed_as": dict(sorted(self.placed.items())),
            "ava_test_list": len(self.test_ids) if self.test_ids is not None else None,
        }
