"""Pure functions that turn the site's pages into items; see docs/parsing.md."""

from dpchallenge.pages.common import PageResult
from dpchallenge.pages.history import parse_history
from dpchallenge.pages.image import parse_image
from dpchallenge.pages.results import parse_results

__all__ = ["PageResult", "parse_history", "parse_image", "parse_results"]
