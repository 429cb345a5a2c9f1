"""Debian's Chromium, headless, driven through Selenium: the console's browser tests and
scripts/screenshots. Browser downloads are impossible here, so it is always the system's
/usr/bin/chromium and /usr/bin/chromedriver, installed by scripts/install-browser when
missing; if that fails the caller fails with its message, never skips."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.support.api_server import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


class BrowserMissing(RuntimeError):
    pass


def ensure_browser() -> None:
    """Installs the browser when missing (scripts/install-browser); raises with its message
    when it cannot."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    done = subprocess.run(
        [str(ROOT / "scripts" / "install-browser")], capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        raise BrowserMissing(
            "Chromium and chromedriver are needed for the console's browser tests and could "
            f"not be installed:\n{done.stdout}{done.stderr}"
        )


def chromium(width: int = 1280, height: int = 900) -> webdriver.Chrome:
    ensure_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='loyalty-chromium-')}")
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_window_size(width, height)
    return driver
