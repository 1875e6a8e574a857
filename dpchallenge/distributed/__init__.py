"""Distributed mode: many workers on one crawl through Redis (scrapy-redis), each writing parts."""

from __future__ import annotations

import os
import socket


def distributed(settings) -> bool:
    return bool(settings.get("REDIS_URL"))


def worker_name(settings) -> str:
    """DPC_WORKER, else host-pid; only letters, digits, - and _ (it goes into file names)."""
    name = settings.get("DPC_WORKER") or f"{socket.gethostname()}-{os.getpid()}"
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def part_name(name: str, settings) -> str:
    """`images.jsonl` as this process writes it: `images.<worker>.jsonl` in distributed mode."""
    if not distributed(settings):
        return name
    stem, _, suffix = name.partition(".")
    return f"{stem}.{worker_name(settings)}.{suffix}"
