"""An AVA-format file (the original AVA.txt's layout) for part of the replica's images."""

from __future__ import annotations

import random
from pathlib import Path

from oracle import all_entries

from dpchallenge.replica.model import Site


def ava_lines(site: Site, share: float = 0.5) -> list[str]:
    """AVA.txt lines for a seeded share of the placed images: their vote counts, two tags."""
    rng = random.Random(f"{site.seed}/ava")
    lines = []
    for entry in all_entries(site):
        if entry.status != "placed" or rng.random() >= share:
            continue
        tags = (rng.randint(1, 66), rng.choice([0, rng.randint(1, 66)]))
        values = [entry.image_id, *entry.vote_counts, *tags, entry.challenge_id]
        lines.append(" ".join(str(v) for v in [len(lines) + 1, *values]))
    return lines


def write_ava(site: Site, path: str | Path, share: float = 0.5) -> list[int]:
    """Writes the file; returns the image ids it holds."""
    lines = ava_lines(site, share)
    Path(path).write_text("".join(line + "\n" for line in lines), encoding="ascii")
    return [int(line.split()[1]) for line in lines]
