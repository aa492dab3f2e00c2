"""The published site in a real browser: Debian's headless Chromium, driven by Selenium through Debian's
chromedriver (nothing downloads a browser), reads the site over a loopback HTTP server as a visitor would.

Without /usr/bin/chromium the test is skipped with the reason, except under CI (``CI`` set), where a
missing browser fails: `make test` installs it with apt-get where it can.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot import publish as site
from governance.models import AuditHead
from tests.factories import Run

CHROMIUM = Path(os.environ.get("GOVBOT_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("GOVBOT_CHROMEDRIVER", "/usr/bin/chromedriver"))


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    reason = f"headless browser test needs {', '.join(missing)} (apt-get install chromium chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run it")
    pytest.skip(reason)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[functools.partial[str]]:
    """``serve(directory)`` -> the base URL of a loopback HTTP server for it (stopped after the test)."""
    servers: list[ThreadingHTTPServer] = []

    def start(directory: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield functools.partial(start)
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    """Headless Chromium under Selenium, with the system browser and driver."""
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=412,915",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_visitor_follows_the_index_to_the_election(
    run: Run, tmp_path: Path, serve: functools.partial[str], browser: object
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(browser, WebDriver)
    out = tmp_path / "site"
    await site.publish(run.ctx, out)
    async with run.ctx.db.reading() as session:
        head = await session.get(AuditHead, "election:board-2027")
    assert head is not None
    base = serve(out)

    browser.get(base)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Alliance governance"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    browser.find_element(By.LINK_TEXT, "Board of Directors 2027").click()

    assert browser.current_url == base + "elections/board-2027.html"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Board of Directors 2027"
    elected = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#elected li")]
    assert elected == run.board.elected
    assert browser.find_element(By.ID, "chain-head").text == head.hash
    # the charts were served and decoded: a broken image has no natural size
    images = browser.find_elements(By.CSS_SELECTOR, "figure img")
    assert len(images) == 2
    viewport = int(browser.execute_script("return document.documentElement.clientWidth"))
    for image in images:
        assert int(image.get_property("naturalWidth")) == 1080
        assert image.get_attribute("alt")
        assert image.size["width"] <= viewport  # scaled to a phone-sized window, not overflowing it

    browser.find_element(By.LINK_TEXT, "Board of Directors").click()
    assert browser.current_url == base + "bodies/board.html"
    members = browser.find_element(By.CSS_SELECTOR, "main table tbody").text
    assert all(name in members for name in run.board.elected)
