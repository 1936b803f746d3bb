"""Headless Chromium through selenium for the browser tests: Debian's `chromium` and
`chromium-driver` (/usr/bin/chromedriver), never a downloaded driver. `pytestmark` skips with
a message where they are missing; `.ci/run` installs them."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMEDRIVER = os.environ.get("SANCHA_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM = next((shutil.which(n) for n in (os.environ.get("SANCHA_CHROMIUM"), "chromium", "chromium-browser")
                 if n and shutil.which(n)), None)

try:
    import selenium  # noqa: F401

    _selenium = True
except ImportError:
    _selenium = False

missing = [what for what, ok in (("Chromium (Debian package chromium)", CHROMIUM),
                                 ("chromedriver (Debian package chromium-driver)", Path(CHROMEDRIVER).exists()),
                                 ("selenium (pip install -e '.[test]')", _selenium)) if not ok]
pytestmark = pytest.mark.skipif(bool(missing), reason="browser test skipped, missing: " + "、".join(missing)
                                + "; .ci/run installs them")

PHONE_WIDTH = 390


def chromium_driver(width: int = 1280, height: int = 900):
    """A fresh headless Chromium with its own profile; nothing is downloaded or synced."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert CHROMIUM is not None  # the browser tests are skipped without it
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="sancha-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver._sancha_profile = profile  # type: ignore[attr-defined]  # removed by quit_driver()
    return driver


def quit_driver(driver) -> None:
    profile = getattr(driver, "_sancha_profile", None)
    driver.quit()
    if profile:
        shutil.rmtree(profile, ignore_errors=True)


def as_phone(driver, width: int = PHONE_WIDTH, height: int = 844) -> None:
    """Lay pages out as a phone of this width does (device metrics, mobile viewport)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})


def scroll_width(driver) -> int:
    return driver.execute_script("return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
