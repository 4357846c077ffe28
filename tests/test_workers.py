"""``python -m riskmap.serve --workers 2``: two Streamlit processes behind nginx on one port.
A browser logs in through the proxy and opens two pages; a SIGTERM stops nginx and both
workers."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from riskmap.workers import nginx_conf, split_address

from .browser import ADMIN_LOGIN, CHROMIUM_ARGS, REPO, chromium_path, free_port, visit, wait_until_idle
from .conftest import City


def test_the_proxy_keeps_a_browser_on_one_worker_and_passes_websockets(tmp_path):
    conf = nginx_conf([9001, 9002], "0.0.0.0", 8501, tmp_path / "run", tmp_path / "logs")
    # page, websocket, uploads of a session: one worker; a request without a session: any
    assert "map $cookie_riskmap_session $riskmap_sticky { '' $request_id; default $cookie_riskmap_session; }" in conf
    assert "hash $riskmap_sticky consistent;" in conf
    assert "server 127.0.0.1:9001" in conf and "server 127.0.0.1:9002" in conf and "listen 0.0.0.0:8501;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf and "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    rest, address, port = split_address(["--server.port", "8600", "--server.address=127.0.0.1", "--theme.base", "dark"])
    assert (rest, address, port) == (["--theme.base", "dark"], "127.0.0.1", 8600)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.browser
def test_two_workers_behind_nginx_log_in_serve_pages_and_stop(small_city: City):
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    assert exe, "Debian chromium is missing: run bash scripts/install.sh --test"
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "riskmap.serve", "--workers", "2", "--server.port", str(port),
                             "--server.address", "127.0.0.1"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env={**os.environ, "RISKMAP_DATA_DIR": str(small_city.data_dir)})
    try:
        line = proc.stdout.readline().decode()  # the supervisor's line once nginx is up
        found = re.search(r"端口 (\d+), (\d+)", line)
        assert found, line
        workers = [int(p) for p in found.groups()]
        assert all(_listening(p) for p in (port, *workers))
        url = f"http://127.0.0.1:{port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            layers: list[int] = []
            page.on("response", lambda r: layers.append(r.status) if "/layers/" in r.url else None)
            visit(page, url, "targets", ADMIN_LOGIN)  # the login form, through the proxy
            assert "检查目标" in page.inner_text('[data-testid="stMain"]')
            page.locator('[data-testid="stSidebarNav"] a[href$="/listing"]').click()
            wait_until_idle(page)
            assert page.locator('[data-testid="stException"]').count() == 0
            page.reload()  # a refresh through the proxy: still logged in, same worker
            wait_until_idle(page)
            assert "/auth/login" not in page.url and page.locator('[data-testid="stSidebarNav"]').count() == 1
            assert "错误编号" not in page.inner_text("body")
            assert layers and all(status in (200, 304) for status in layers)  # the map's rows, through nginx
            browser.close()
        for _ in range(20):  # without a session: to any worker
            urllib.request.urlopen(f"{url}/auth/login", timeout=30).read()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert proc.returncode == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_listening(p) for p in (port, *workers)):
        time.sleep(0.2)
    assert not any(_listening(p) for p in (port, *workers))  # nginx and both workers gone
    assert (small_city.data_dir / "logs" / "worker-2.log").exists()
    log = (small_city.data_dir / "logs" / "nginx-access.log").read_text(encoding="utf-8").splitlines()
    upstream = {int(line.rsplit(":", 1)[1]) for line in log if "GET /auth/login HTTP" in line}
    assert upstream == set(workers)  # 20 login forms: both workers (all on one: a chance of 2 in a million)
    sockets = {line.rsplit(":", 1)[1] for line in log if "/_stcore/stream" in line}
    assert len(sockets) == 1  # the logged-in browser's websocket: always its one worker
