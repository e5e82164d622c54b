"""Browser fixtures: the real app under uvicorn on a free port, and Debian's chromium."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.orm import Session

from silian.config import Settings
from silian.core.db import get_engine, session_factory
from silian.web.app import create_app
from tests.support import Factory

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def require_chromium() -> None:
    """Fail (or, when explicitly allowed outside CI, skip) if Debian's chromium is missing."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing on CI: install chromium and fonts-noto-cjk")
    if os.environ.get("SILIAN_SKIP_BROWSER") == "1":
        pytest.skip(f"{CHROMIUM} is missing and SILIAN_SKIP_BROWSER=1")
    pytest.fail(
        f"{CHROMIUM} is missing: run `make system-deps` (chromium, fonts-noto-cjk) "
        "or set SILIAN_SKIP_BROWSER=1 to skip browser tests"
    )


@dataclass
class LiveApp:
    """A running server, its base URL and a session on its database."""

    url: str
    db: Session
    factory: Factory


@contextmanager
def serve(path: Path, home: Path) -> Iterator[LiveApp]:
    """The real application served by uvicorn on 127.0.0.1 over the SQLite file at path."""
    db_url = f"sqlite:///{path}"
    settings = Settings(home=home, database_url=db_url, secret_key="browser-test")
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), log_level="warning", lifespan="off")
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    session = session_factory(db_url)()
    try:
        yield LiveApp(url=f"http://127.0.0.1:{port}", db=session, factory=Factory(session))
    finally:
        session.close()
        server.should_exit = True
        thread.join(10)
        sock.close()
        get_engine(db_url).dispose()


@pytest.fixture
def live_app(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveApp]:
    """The real application served by uvicorn on 127.0.0.1, on a fresh migrated SQLite file."""
    path = tmp_path / "browser.db"
    shutil.copy(sqlite_template, path)
    with serve(path, tmp_path / "home") as app:
        yield app


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium driven by Playwright (never Playwright's own download)."""
    require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, live_app: LiveApp) -> Iterator[Page]:
    """A fresh browser tab (own cookies) pointed at the live app."""
    context = browser.new_context(
        base_url=live_app.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


class Shots:
    """Numbered full-page screenshots of one test under artifacts/screenshots/<test>/."""

    def __init__(self, page: Page, test_name: str) -> None:
        self.page = page
        self.folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", test_name)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def __call__(self, name: str) -> Path:
        """Save the current page as NN-name.png and return its path."""
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Shots:
    """Screenshot taker for this test."""
    return Shots(page, request.node.name)
