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


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@contextmanager
def chromium_browser():
    """One browser for a test that needs several contexts (roles, screen widths); closed afterwards."""
    from playwright.sync_api import sync_playwright

    path = chromium_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def browser_context(browser, *, phone: bool):
    """A fresh, signed-out context at phone (390x844, touch) or desktop (1280x900) size; the caller closes it."""
    context = browser.new_context(viewport=PHONE if phone else DESKTOP, is_mobile=phone, has_touch=phone)
    context.set_default_timeout(15_000)
    return context


def sign_in_by_form(page, base_url: str, email: str, password: str) -> None:
    """Sign in through the real form, found by field names (labels and button words may change)."""
    page.goto(base_url + "/sign-in")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(lambda url: "/sign-in" not in url)
