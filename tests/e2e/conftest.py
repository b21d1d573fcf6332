"""End-to-end fixtures: `streamlit run app.py` on a free localhost port, driven by Debian's
Chromium through Playwright (never `playwright install`: no browser downloads here)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic",
                  "--no-first-run"]
SCREENSHOTS = Path(__file__).parent / "screenshots"
STARTUP_SECONDS = 60
#: The teacher passcode of the test server (a real server generates one when unset).
TEACHER_KEY = "e2e-teacher-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read() == b"ok"
    except OSError:
        return False


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        if os.environ.get("QUANTLAB_REQUIRE_E2E"):
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); CI requires it")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    folder = tmp_path_factory.mktemp("server")
    log = folder / "streamlit.log"
    env = {**os.environ, "QUANTLAB_DB": str(folder / "quiz.sqlite3"),
           "QUANTLAB_TEACHER_KEY": TEACHER_KEY}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def context(browser):
    """One browser context for the tests: its HTTP cache keeps Streamlit's and plotly's
    scripts between tests (a new context loaded and parsed them again, seconds a test).
    Each test still gets a tab, and so a Streamlit session, of its own."""
    SCREENSHOTS.mkdir(exist_ok=True)
    shared = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield shared
    shared.close()


@pytest.fixture
def page(context, server):
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    tab.close()
