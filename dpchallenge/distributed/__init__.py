"""Distributed mode: many workers on one crawl through Redis (scrapy-redis), each writing parts.

Whether a crawl is distributed, and the worker's name, decide the data folder's part names:
they live with the rest of its names in dpchallenge/data/layout.py.
"""

from __future__ import annotations

from dpchallenge.data.layout import distributed, part_name, worker_name

__all__ = ["distributed", "part_name", "worker_name"]
