"""Drive Debian's Chromium through Playwright (its own browser download does not work here)."""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

from config import test_settings

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_or_skip() -> str:
    settings = test_settings()
    path = str(settings["chromium_path"])
    if os.access(path, os.X_OK):
        return path
    if settings["require_browser"]:
        pytest.fail(f"REQUIRE_BROWSER is set but there is no Chromium at {path}", pytrace=False)
    pytest.skip(f"browser tests skipped: no Chromium at {path} (apt-get install chromium)")


@contextmanager
def chromium_page(*, phone: bool = True):
    from playwright.sync_api import sync_playwright

    path = chromium_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
            context = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone)
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
            context.close()
        finally:
            browser.close()
