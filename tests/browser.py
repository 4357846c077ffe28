"""Drive the running app in Debian's headless Chromium with Playwright (no browser download)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-gl=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist",
]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(data_dir: Path, timeout_s: float = 60, workers: int = 1):
    """Start ``python -m riskmap.serve`` on a free loopback port (``workers`` processes; more
    than one: behind nginx, which opens the port once every worker is up); yield its URL."""
    port = free_port()
    env = {**os.environ, "RISKMAP_DATA_DIR": str(data_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "riskmap.serve", "--workers", str(workers), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stdout.read().decode(errors="replace") if proc.stdout else "") from None
                time.sleep(0.2)
        else:
            raise TimeoutError("streamlit did not start")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_until_idle(page: Page, timeout_ms: int = 90_000) -> None:
    """Wait in real time until Streamlit has run the script and drawn its result.

    Idle means: connected, the script not running, no loading skeletons, and the same
    number of elements on two polls a second apart (so a rerun that starts late is seen).
    """
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]',
                           timeout=timeout_ms)
    idle = """() => {
        const app = document.querySelector('[data-testid="stApp"]');
        return app && app.getAttribute('data-test-script-state') === 'notRunning'
            && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0
            && document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]').length > 0;
    }"""
    count = "() => document.querySelectorAll('*').length"
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        page.wait_for_function(idle, timeout=timeout_ms)
        before = page.evaluate(count)
        page.wait_for_timeout(1000)
        if page.evaluate(idle) and page.evaluate(count) == before:
            return
    raise TimeoutError("the app did not become idle")


@contextmanager
def app_page(data_dir: Path, width: int = 1600, height: int = 1000):
    """Serve the app on ``data_dir`` and open a fresh page in Debian's headless Chromium.

    Yields ``(page, url)``. Fails, never skips, when Chromium is missing.
    """
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    assert exe, "Debian chromium is missing: run bash scripts/install.sh --test"
    with streamlit_server(data_dir) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": height}), url
        finally:
            browser.close()


def map_canvas(page: Page, settle_ms: int = 1500) -> Locator:
    """The page's first map canvas, once visible and given time to draw."""
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    canvas.wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(settle_ms)
    return canvas


#: The demo administrator (tests/conftest.py creates the documented demo accounts).
ADMIN_LOGIN = ("admin", "demo-admin-2026")


def login(page: Page, username: str, password: str) -> None:
    """Fill the server's login form (a plain HTML page) and wait for the app it sends the
    browser on to."""
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    # "attached", not visible: the big screen hides the sidebar.
    page.wait_for_selector('[data-testid="stSidebarNav"]', state="attached", timeout=60_000)
    wait_until_idle(page)


def visit(page: Page, url: str, path: str = "", account: tuple[str, str] | None = ADMIN_LOGIN) -> None:
    """Open ``url/path``; on the login form (this browser has no live session yet) log in as
    ``account``: the server then opens ``path`` itself. The session cookie keeps the browser
    logged in for later visits."""
    page.goto(f"{url}/{path}")
    if "/auth/login" in page.url and account:
        login(page, *account)
    else:
        wait_until_idle(page)


def upload_choose_and_press(page: Page, uploader: int, file: Path, combobox: str, option: str,
                            button: str, done_text: str, first_says: str = "", timeout_ms: int = 90_000) -> str:
    """On the data page: upload ``file`` into the ``uploader``-th file input (the page must then
    say ``first_says``), pick ``option`` in ``combobox``, press ``button`` and wait until the page
    says ``done_text``; return the page's text."""
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').nth(uploader).set_input_files(str(file))
    wait_until_idle(page)
    assert first_says in page.inner_text("body")
    page.get_by_role("combobox", name=combobox).click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_until_idle(page)
    page.get_by_role("button", name=button).click()
    page.wait_for_function(f"() => document.body.innerText.includes({done_text!r})", timeout=timeout_ms)
    wait_until_idle(page)
    return page.inner_text("body")
