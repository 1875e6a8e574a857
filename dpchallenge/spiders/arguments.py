"""Spider arguments (`-a name=value`): what each spider accepts, read strictly."""

from __future__ import annotations

from collections.abc import Callable

from dpchallenge.access.secrets import SECRET_NAMES

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off", "")


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


def id_list(value) -> list[int]:
    if value is None or value == "":
        return []
    parts = value if isinstance(value, list | tuple | set) else str(value).split(",")
    ids = []
    for part in parts:
        text = str(part).strip()
        if not text:
            continue
        if not text.isdigit():
            raise ArgumentError(f"{text!r} is not an id: use a comma list of numbers (1303,3257)")
        ids.append(int(text))
    return ids


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
