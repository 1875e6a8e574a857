"""Reading spider arguments (`-a name=value`), shared by the spiders and the media pipeline."""

from __future__ import annotations


def truthy(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def id_list(value) -> list[int]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple | set):
        return [int(v) for v in value]
    return [int(part) for part in str(value).replace(" ", "").split(",") if part]
