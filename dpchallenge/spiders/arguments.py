"""Spider arguments (`-a name=value`): what each spider accepts, read strictly."""

from __future__ import annotations

import functools
import os
import re
from array import array
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from dpchallenge.access.secrets import SECRET_NAMES

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off", "")
AVA_FIELDS = 15  # an AVA.txt line: index, image id, ten counts, two tags, challenge id
AVA_LINE = re.compile(rb"^[ \t]*+\d++[ \t]++(\d++)(?:[ \t]++\d++){13}+[ \t]*+\r?$", re.M)
BARE_ID = re.compile(rb"^[ \t]*+(\d++)[ \t]*+\r?$", re.M)
NOT_BLANK = re.compile(rb"^[ \t]*\S", re.M)


class ArgumentError(ValueError):
    """A spider argument that is unknown or malformed; the message names it and what it takes."""


def truthy(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ArgumentError(f"{value!r} is not a yes/no value: use 1 or 0 (or true/false, yes/no)")


def id_list(value, page: str = "", name: str = "") -> list[int]:
    """Ids from a comma list or `@PATH`; an item may be the site's URL of the page (`page`)."""
    if value is None or value == "":
        return []
    if isinstance(value, str) and value.strip().startswith("@"):
        return _id_file(value.strip()[1:], page, name)
    parts = value if isinstance(value, list | tuple | set) else str(value).split(",")
    ids = []
    for part in parts:
        text = str(part).strip()
        if not text:
            continue
        read = _one_id(text, page, name)
        if read is None:
            raise ArgumentError(
                f"{text!r} is not an id: use a comma list of numbers (1303,3257)"
                + (f", {page} URLs" if page else "")
                + " or @FILE"
            )
        ids.append(read)
    return ids


def image_id_list(value) -> list[int]:
    return id_list(value, "image.php", "IMAGE_ID")


def challenge_id_list(value) -> list[int]:
    return id_list(value, "challenge_results.php", "CHALLENGE_ID")


def _one_id(text: str, page: str, name: str) -> int | None:
    if text.isdigit():
        return int(text)
    if page and "://" in text:
        url = urlsplit(text)
        values = parse_qs(url.query).get(name, [])
        if url.path.rsplit("/", 1)[-1] == page and len(values) == 1 and values[0].isdigit():
            return int(values[0])
    return None


def _id_file(path: str, page: str, name: str) -> list[int]:
    try:
        stat = os.stat(path)
    except OSError as exc:
        raise ArgumentError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    # Read once however often the argument is checked (the command, then the spider).
    return list(_read_id_file(path, stat.st_mtime_ns, stat.st_size, page, name))


@functools.lru_cache(maxsize=4)
def _read_id_file(path: str, _mtime: int, _size: int, page: str, name: str) -> tuple[int, ...]:
    """Ids of a file: AVA.txt lines (15 integers, the id second), one id or a comma list a line;
    blank lines and `#` comments skipped."""
    try:
        with open(path, "rb") as handle:
            text = handle.read()
    except OSError as exc:
        raise ArgumentError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    # A whole file of AVA.txt lines, or of bare ids, in one regular expression: AVA's 255,530
    # lines in 0.3 s instead of 0.7 s line by line.
    found = AVA_LINE.findall(text) or BARE_ID.findall(text)
    lines = text.count(b"\n") + (not text.endswith(b"\n"))
    if found and len(found) in (lines, len(NOT_BLANK.findall(text))):
        return tuple(map(int, found))
    return _read_lines(path, text, page, name)


def _read_lines(path: str, text: bytes, page: str, name: str) -> tuple[int, ...]:
    ids = array("q")
    for number, raw in enumerate(text.split(b"\n"), start=1):
        line = raw.split(b"#", 1)[0]
        fields = line.split()
        if not fields:
            continue
        if len(fields) == AVA_FIELDS and all(f.isdigit() for f in fields):
            ids.append(int(fields[1]))
            continue
        items = b"".join(fields).decode("utf-8", "replace")
        read = [_one_id(item, page, name) for item in items.split(",") if item]
        if (len(fields) > 1 and "," not in items) or None in read:
            raise ArgumentError(
                f"{path}:{number}: {line.strip().decode('utf-8', 'replace')[:60]!r} does not"
                " read: expected one id a line, a comma list, or an AVA.txt line (15 integers,"
                " the id second)"
            )
        ids.extend(read)
    return tuple(ids)


def one_of(*choices: str) -> Callable[[str], str]:
    def read(value) -> str:
        if value not in choices:
            raise ArgumentError(f"{value!r} is not one of {', '.join(choices)}")
        return value

    return read


def check_arguments(spider_name: str, accepted: dict[str, Callable], given: dict) -> None:
    """Raises ArgumentError for the first argument that is unknown or does not read."""
    for name, value in given.items():
        if name.upper() in SECRET_NAMES or name.upper() == "SESSION_ID":
            raise ArgumentError(
                f"-a {name}: secrets are never taken as arguments (Scrapy logs them); "
                f"set the environment variable {name.upper()} instead"
            )
        if name not in accepted:
            raise ArgumentError(
                f"-a {name}: unknown argument; {spider_name} accepts "
                + ", ".join(f"-a {known}" for known in sorted(accepted))
            )
        try:
            accepted[name](value)
        except ArgumentError as exc:
            raise ArgumentError(f"-a {name}={value}: {exc}") from None
