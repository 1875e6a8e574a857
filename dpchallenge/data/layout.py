"""Every name in a data folder (DPC_DATA_DIR), in one place; everything else asks here.

challenges.jsonl entries.jsonl images.jsonl   the dataset files (one line per id)
<stem>.<worker>.jsonl                          a distributed worker's part of one of them
failed.jsonl (and its parts)                   pages and files that failed, not mended since
site.json                                      the site the records came from
.lock .lock.<worker>                           the crawl's (and each worker's) lock
stats/<spider>.json stats/runs/                the last run's stats, and every run's
archive/                                       the page archive (WARC)
images/thumbs/<id>.jpg images/full/<id>.jpg    the image store's default place
.<file>.verified .<file>.<version>.facts       caches beside a dataset file
.done-images.<kinds>                           the images done, while nothing changed
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

CHALLENGES = "challenges.jsonl"
ENTRIES = "entries.jsonl"
IMAGES = "images.jsonl"
# Each dataset file and the field its lines start with (one line per value).
DATASETS = {CHALLENGES: "challenge_id", ENTRIES: "image_id", IMAGES: "image_id"}
FAILED = "failed.jsonl"
INVALID = "invalid.jsonl"
SITE_FILE = "site.json"
LOCK_FILE = ".lock"
STATS_DIR = "stats"
ARCHIVE_DIR = "archive"
IMAGES_DIR = "images"
FILE_KINDS = ("thumb", "full")
FOLDERS = {"thumb": "thumbs", "full": "full"}


def dataset_key(name: str) -> str:
    return DATASETS[name]


def stored_path(kind: str, image_id) -> str:
    """Where the image store keeps an image's file of this kind."""
    return f"{FOLDERS[kind]}/{image_id}.jpg"


def data_dir_of(settings) -> Path:
    return Path(settings.get("DPC_DATA_DIR"))


def image_store(settings, data_dir: Path | None = None) -> str:
    """IMAGES_STORE, else the data folder's images/."""
    data_dir = data_dir_of(settings) if data_dir is None else data_dir
    return settings.get("IMAGES_STORE") or str(data_dir / IMAGES_DIR)


def images_dir_of(settings) -> Path | None:
    """The local image store, or None for a remote one (s3://, gs://)."""
    store = image_store(settings)
    if "://" in store and not store.startswith("file://"):
        return None
    return Path(store.removeprefix("file://"))


def archive_dir(settings) -> Path:
    return data_dir_of(settings) / ARCHIVE_DIR


def stats_file_template(settings) -> str:
    return settings.get("DPC_STATS_FILE") or str(
        data_dir_of(settings) / STATS_DIR / "%(spider)s.json"
    )


def distributed(settings) -> bool:
    return bool(settings.get("REDIS_URL"))


def worker_name(settings) -> str:
    """DPC_WORKER, else host-pid; only letters, digits, - and _ (it goes into file names)."""
    name = settings.get("DPC_WORKER") or f"{socket.gethostname()}-{os.getpid()}"
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def worker_part(name: str, worker: str) -> str:
    """`images.jsonl` as worker `w` writes it: `images.w.jsonl`."""
    stem, _, suffix = name.partition(".")
    return f"{stem}.{worker}.{suffix}"


def part_name(name: str, settings) -> str:
    """`images.jsonl` as this process writes it: `images.<worker>.jsonl` in distributed mode."""
    if not distributed(settings):
        return name
    return worker_part(name, worker_name(settings))


def worker_lock(worker: str) -> str:
    return f"{LOCK_FILE}.{worker}"


def dataset_paths(data_dir: str | os.PathLike, name: str) -> list[Path]:
    """A dataset file, then the parts distributed workers wrote beside it, sorted by name."""
    data_dir = Path(data_dir)
    stem, _, suffix = name.partition(".")
    parts = sorted(p for p in data_dir.glob(f"{stem}.*.{suffix}") if p.name != name)
    return [data_dir / name, *parts]


def verified_mark(path: Path) -> Path:
    return path.with_name(f".{path.name}.verified")


def facts_cache(path: Path, version: str) -> Path:
    return path.with_name(f".{path.name}.{version}.facts")


def part_caches(data_dir: Path, name: str) -> list[tuple[Path, str]]:
    """The caches beside the parts of a dataset file: (cache, the part it belongs to)."""
    stem, _, suffix = name.partition(".")
    found = []
    for cache in data_dir.glob(f".{stem}.*.{suffix}.*"):
        found.append((cache, cache.name[1:].split(f".{suffix}.", 1)[0] + f".{suffix}"))
    return found


def done_images_cache(data_dir: Path, kinds) -> Path:
    return data_dir / f".done-images.{'+'.join(sorted(kinds))}"
