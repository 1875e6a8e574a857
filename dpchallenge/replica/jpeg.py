"""Deterministic JPEG files for the replica's entries, the removed-image placeholder, bad files."""

from __future__ import annotations

import base64
import hashlib
import io
import random
from functools import lru_cache

from PIL import Image, ImageDraw

THUMB_LONG_SIDE = 120
JPEG_QUALITY = 80
_ASPECTS = [(3, 2), (4, 3), (1, 1), (2, 3), (16, 9), (4, 5)]

# Embedded rather than generated so its bytes and hash do not depend on the libjpeg in use.
REMOVED_PLACEHOLDER_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsj"
    "HBYWICwgIyYnKSopGR8tMC0oMCUoKSj/wAALCABaAHgBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcI"
    "CQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcY"
    "GRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKj"
    "pKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/AOro"
    "oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo"
    "oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo"
    "oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooor/2Q=="
)
REMOVED_PLACEHOLDER_SHA256 = hashlib.sha256(REMOVED_PLACEHOLDER_JPEG).hexdigest()
REMOVED_PLACEHOLDER_SIZE = (120, 90)

# A 1x1 transparent GIF for the site's decorative /images/*.gif.
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def full_size(image_id: int) -> tuple[int, int]:
    """Width and height of the full-size file: long side 640-1200 px, aspect from the id."""
    rng = random.Random(f"jpeg-size/{image_id}")
    long_side = rng.choice(range(640, 1201, 80))
    across, down = rng.choice(_ASPECTS)
    if across >= down:
        return long_side, max(1, round(long_side * down / across))
    return max(1, round(long_side * across / down)), long_side


def thumb_size(image_id: int) -> tuple[int, int]:
    """Width and height of the thumbnail: the full size scaled to a 120 px long side."""
    width, height = full_size(image_id)
    scale = THUMB_LONG_SIDE / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _render(image_id: int, width: int, height: int) -> bytes:
    rng = random.Random(f"jpeg-art/{image_id}")
    corners = Image.new("RGB", (3, 3))
    corners.putdata(
        [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(9)]
    )
    picture = corners.resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(picture)
    for _ in range(rng.randint(3, 6)):
        left, top = rng.uniform(0, 0.9) * width, rng.uniform(0, 0.9) * height
        right = left + rng.uniform(0.05, 0.4) * width
        bottom = top + rng.uniform(0.05, 0.4) * height
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if rng.random() < 0.5:
            draw.ellipse((left, top, right, bottom), fill=colour)
        else:
            draw.rectangle((left, top, right, bottom), fill=colour)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


@lru_cache(maxsize=64)
def full_jpeg(image_id: int) -> bytes:
    return _render(image_id, *full_size(image_id))


@lru_cache(maxsize=4096)
def thumb_jpeg(image_id: int) -> bytes:
    return _render(image_id, *thumb_size(image_id))


def entry_jpeg(image_id: int, size: int) -> bytes:
    """The file served at .../{size}/Copyrighted_Image_Reuse_Prohibited_{image_id}.jpg."""
    return thumb_jpeg(image_id) if size == 120 else full_jpeg(image_id)


def corrupt_jpeg(image_id: int, size: int, mode: str = "truncated") -> bytes:
    """A broken file: the real one cut to 40% (no end marker), or non-JPEG garbage."""
    if mode == "garbage":
        rng = random.Random(f"jpeg-garbage/{image_id}/{size}")
        return b"<html>not an image</html>" + bytes(rng.randrange(256) for _ in range(512))
    good = entry_jpeg(image_id, size)
    return good[: len(good) * 2 // 5]
