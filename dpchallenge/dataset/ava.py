"""AVA's file format: reading the original AVA.txt, writing AVA.txt, challenges.txt and mos.txt."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dpchallenge.dataset.source import DataError


class AvaTable:
    """The original AVA.txt in arrays: image id -> ten counts, two semantic tags, challenge."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"{self.path}: no such AVA.txt file")
        rows = []
        with self.path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                values = line.split()
                if not values:
                    continue
                if len(values) != 15 or not all(v.isdigit() for v in values):
                    raise DataError(
                        f"{self.path}:{number}: not an AVA.txt line (15 non-negative integers)"
                    )
                rows.append([int(v) for v in values[1:]])
        if not rows:
            raise DataError(f"{self.path}: empty AVA.txt")
        table = np.asarray(rows, dtype=np.int64)
        order = np.argsort(table[:, 0], kind="stable")
        self.ids = table[order, 0]
        self.counts = table[order, 1:11].astype(np.int32)
        self.tags = table[order, 11:13].astype(np.int32)
        self.challenges = table[order, 13]

    def __len__(self) -> int:
        return len(self.ids)

    def get(self, image_id: int) -> tuple[list[int], int, int] | None:
        at = int(np.searchsorted(self.ids, image_id))
        if at >= len(self.ids) or self.ids[at] != image_id:
            return None
        tag1, tag2 = self.tags[at]
        return self.counts[at].tolist(), int(tag1), int(tag2)

    def mos_bin_shares(self) -> dict[str, float]:
        """AVA's share of images per MOS bin (for the report)."""
        from dpchallenge.dataset.rows import MOS_BINS, mos_bin

        totals = self.counts.sum(axis=1)
        scores = np.arange(1, 11)
        keep = totals > 0
        mos = (self.counts[keep] * scores).sum(axis=1) / totals[keep]
        bins = {name: 0 for name in MOS_BINS}
        for value in mos:
            bins[mos_bin(float(value))] += 1
        return {name: count / max(1, int(keep.sum())) for name, count in bins.items()}


class AvaWriter:
    """AVA.txt as the original release lays it out, plus challenges.txt and mos.txt."""

    def __init__(self, out: Path, challenges: dict[int, dict]):
        self.out = out
        self.challenges = challenges
        self.index = 0
        self.ava = (out / "AVA.txt").open("w", encoding="ascii", newline="\n")
        self.mos = (out / "mos.txt").open("w", encoding="ascii", newline="\n")

    def add(self, row: dict) -> None:
        counts = row["vote_counts"]
        if counts and len(counts) == 10 and row["challenge_id"] is not None:
            self.index += 1
            values = [self.index, row["image_id"], *counts]
            values += [row["ava_tag1"] or 0, row["ava_tag2"] or 0, row["challenge_id"]]
            self.ava.write(" ".join(str(int(v)) for v in values) + "\n")
        if row["mos"] is not None and row["challenge_id"] is not None:
            votes = row["votes"]
            if votes is None:
                votes = sum(counts) if counts else "NA"
            self.mos.write(f"{row['image_id']} {row['challenge_id']} {row['mos']:.4f} {votes}\n")

    def close(self) -> list[str]:
        self.ava.close()
        self.mos.close()
        with (self.out / "challenges.txt").open("w", encoding="utf-8", newline="\n") as handle:
            for challenge_id in sorted(self.challenges):
                challenge = self.challenges[challenge_id]
                if challenge.get("status") == "finished":
                    name = "_".join((challenge.get("name") or "").split()) or "_"
                    handle.write(f"{challenge_id} {name}\n")
        return ["AVA.txt", "challenges.txt", "mos.txt"]


def tag_key(name: str) -> str:
    """Gallery and tag names compared without case, spacing or `&`/`and` differences."""
    return " ".join(name.casefold().replace("&", " and ").replace("_", " ").split())


class AvaTags:
    """AVA's tags.txt (`id name` a line): a gallery name -> AVA's tag id."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"{self.path}: no such tags.txt file")
        self.ids: dict[str, int] = {}
        with self.path.open(encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                tag_id, _, name = line.strip().partition(" ")
                if not tag_id.isdigit() or not name.strip():
                    raise DataError(f"{self.path}:{number}: not a tags.txt line (id name)")
                self.ids[tag_key(name)] = int(tag_id)
        if not self.ids:
            raise DataError(f"{self.path}: empty tags.txt")

    def match(self, names: list[str]) -> tuple[list[int], list[str]]:
        """The tag ids of the names that match one, in order and once each; the other names."""
        found: list[int] = []
        unmatched = []
        for name in names:
            tag_id = self.ids.get(tag_key(name))
            if tag_id is None:
                unmatched.append(name)
            elif tag_id not in found:
                found.append(tag_id)
        return found, unmatched


def read_id_list(path: str | Path, what: str) -> set[int]:
    """Image ids, one a line (AVA's generic_test.jpgl); blank lines and `#` comments skipped."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such {what} file")
    ids = set()
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            if not text.isdigit():
                raise DataError(f"{path}:{number}: not an image id")
            ids.add(int(text))
    return ids
