"""Splits by challenge (no challenge in two splits) and the MOS-bin balance of the train split."""

from __future__ import annotations

import hashlib
import statistics

SPLIT_NAMES = ("train", "validation", "test")


def parse_fractions(text: str) -> tuple[float, ...]:
    """'0.8,0.1,0.1' -> fractions for train, validation, test (1 to 3 of them, summing to 1)."""
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--splits {text!r}: expected fractions like 0.8,0.1,0.1") from None
    if not 1 <= len(values) <= 3 or any(v < 0 for v in values) or abs(sum(values) - 1) > 1e-6:
        raise ValueError(f"--splits {text!r}: 1 to 3 non-negative fractions summing to 1")
    return values


def unit_hash(seed: int, *key: object) -> float:
    """A number in [0, 1) fixed by the seed and the key alone."""
    digest = hashlib.blake2b("/".join(map(str, (seed, *key))).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class Splitter:
    """Challenges in a seeded order, cut at the fractions by their entry counts.

    The order depends only on the seed and each challenge's id, so a larger crawl moves only the
    challenges next to a cut, and no challenge is ever in two splits.
    """

    def __init__(self, fractions: tuple[float, ...], seed: int, challenges: dict[int, dict]):
        self.seed = seed
        self.bounds = []
        total = 0.0
        for name, fraction in zip(SPLIT_NAMES, fractions):
            total += fraction
            self.bounds.append((total, name))
        ordered = sorted(challenges, key=lambda c: (unit_hash(seed, "challenge", c), c))
        weights = [max(1, challenges[c].get("entries") or 1) for c in ordered]
        whole = sum(weights) or 1
        self.positions: dict[int, float] = {}
        before = 0
        for challenge_id, weight in zip(ordered, weights):
            self.positions[challenge_id] = (before + weight / 2) / whole
            before += weight

    def split(self, challenge_id: int | None, image_id: int) -> str:
        value = self.positions.get(challenge_id)
        if value is None:
            key = ("challenge", challenge_id) if challenge_id is not None else ("image", image_id)
            value = unit_hash(self.seed, *key)
        for bound, name in self.bounds:
            if value < bound:
                return name
        return self.bounds[-1][1]


class Balance:
    """Caps each MOS bin of the train split at the median bin size, keeping a seeded sample."""

    def __init__(self, seed: int):
        self.seed = seed
        self.hashes: dict[str, list[float]] = {}
        self.thresholds: dict[str, float] = {}
        self.cap = 0

    def see(self, bin_name: str, image_id: int) -> None:
        self.hashes.setdefault(bin_name, []).append(unit_hash(self.seed, "balance", image_id))

    def settle(self) -> None:
        sizes = [len(v) for k, v in self.hashes.items() if k != "none"]
        self.cap = int(statistics.median(sizes)) if sizes else 0
        for name, values in self.hashes.items():
            values.sort()
            if len(values) > self.cap:
                self.thresholds[name] = values[self.cap - 1] if self.cap else -1.0
        self.hashes.clear()

    def keeps(self, bin_name: str, image_id: int) -> bool:
        if bin_name == "none":
            return False
        threshold = self.thresholds.get(bin_name)
        return threshold is None or unit_hash(self.seed, "balance", image_id) <= threshold
