"""Shared test helpers: responses built from saved pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "site-samples"


def page_response(body: bytes, url: str, headers: dict | None = None) -> HtmlResponse:
    return HtmlResponse(url=url, body=body, headers=headers or {})


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(
            f"needs the maintainers' saved pages of the real site in {SAMPLES} "
            "(third-party pages, not in this repository; see docs/site.md)"
        )
    return SAMPLES


CHECKOUT_DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(autouse=True)
def checkout_data_untouched():
    """No test writes into the checkout's data/, the main job's folder."""
    there = CHECKOUT_DATA.exists()
    yield
    assert there or not CHECKOUT_DATA.exists(), f"the test created {CHECKOUT_DATA}"
