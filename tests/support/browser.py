"""Browser tests of the web client: Debian's Chromium driven by Playwright, offline, with axe.

- ``chromium_executable()``: Debian's chromium, installed by the test setup when missing (CI
  machines start bare); Playwright's own browser downloads are never used.
- ``Site``: one page of the site under test. Every request to a host other than 127.0.0.1 is
  aborted and recorded (the tests assert none was made); ``check()`` runs axe-core (vendored from
  npm by make install) on the page as it is, at the desktop size and at a 390 x 844 phone, and
  can save a screenshot of both for the docs.

The admin console's tests (issue 19) use the same pieces.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.fixtures import wait_for

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / 'node_modules' / 'axe-core' / 'axe.min.js'
SCREENSHOTS = ROOT / 'docs' / 'screenshots'
# The flags this machine's Chromium needs headless, offline and as root (docs/web.md).
BROWSER_ARGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
]
DESKTOP = {'width': 1280, 'height': 900}
PHONE = {'width': 390, 'height': 844}
# What accessibility means here: WCAG 2.1 A and AA, and axe's best practices.
AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']
BLOCKING = ('serious', 'critical')
LOOPBACK = {'127.0.0.1'}


def chromium_executable() -> str:
    """Debian's chromium, installed by the test setup when missing."""
    found = shutil.which('chromium')
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which('apt-get'):
        pytest.skip('chromium is not installed and cannot be installed here (needs root and apt-get)')
    env = {**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'}
    installed = subprocess.run(
        ['apt-get', 'install', '-y', '-q', 'chromium'], env=env, capture_output=True, timeout=900
    )
    if installed.returncode != 0:
        subprocess.run(['apt-get', 'update', '-q'], env=env, capture_output=True, timeout=600, check=True)
        subprocess.run(
            ['apt-get', 'install', '-y', '-q', 'chromium'], env=env, capture_output=True, timeout=900, check=True
        )
    return shutil.which('chromium') or '/usr/bin/chromium'


@dataclass
class Site:
    """A Playwright page on the site at ``base``; requests off this machine are refused."""

    page: Any
    base: str
    blocked: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.context.route('**/*', self._guard)
        self.page.on('pageerror', lambda error: self.errors.append(str(error)))
        self.page.set_default_timeout(15_000)

    def _guard(self, route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host in LOOPBACK:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort('blockedbyclient')

    def open(self, path: str) -> None:
        self.page.goto(f'{self.base}{path}')

    def open_until(self, path: str, shows: Callable[[], bool], what: str, seconds: float = 15) -> None:
        """Open ``path`` again until ``shows()`` (bounded): search reads the availability view,
        which follows the table's stream within seconds of a write (docs/search-view.md)."""

        def opened_and_shown() -> bool:
            self.open(path)
            return shows()

        wait_for(opened_and_shown, seconds, what)

    def axe_violations(self) -> list[dict[str, Any]]:
        """Serious and critical axe-core violations of the page as it is now."""
        # Evaluated through the DevTools protocol, which the page's CSP does not govern (an
        # injected <script> would be refused by script-src 'self', as it should be).
        if not self.page.evaluate('typeof window.axe !== "undefined"'):
            self.page.evaluate(AXE.read_text())
        found = self.page.evaluate('tags => axe.run(document, {runOnly: {type: "tag", values: tags}})', AXE_TAGS)
        return [
            {'id': v['id'], 'impact': v['impact'], 'help': v['help'], 'nodes': [n['target'] for n in v['nodes']][:5]}
            for v in found['violations']
            if v['impact'] in BLOCKING
        ]

    def check(self, name: str, *, screenshot: bool = False) -> None:
        """axe on the page at the desktop size and at a phone's; with ``screenshot`` (and
        UPDATE_WEB_SCREENSHOTS=1) docs/screenshots/<name>-desktop.png and -phone.png."""
        size = self.page.viewport_size or DESKTOP
        for label, viewport in (('desktop', size), ('phone', PHONE)):
            self.page.set_viewport_size(viewport)
            self.page.wait_for_timeout(150)  # a relayout
            violations = self.axe_violations()
            assert not violations, f'{name} ({label}): axe found {violations}'
            folder = _screenshot_folder(screenshot)
            if folder:
                folder.mkdir(parents=True, exist_ok=True)
                self.page.screenshot(path=str(folder / f'{name}-{label}.png'), full_page=True)
        self.page.set_viewport_size(size)
        self.checked.append(name)


def _screenshot_folder(for_docs: bool) -> Path | None:
    """docs/screenshots for the pages the docs show (UPDATE_WEB_SCREENSHOTS=1); every checked
    page into WEB_SCREENSHOT_DIR when set (to look at them all)."""
    if os.environ.get('WEB_SCREENSHOT_DIR'):
        return Path(os.environ['WEB_SCREENSHOT_DIR'])
    if for_docs and os.environ.get('UPDATE_WEB_SCREENSHOTS'):
        return SCREENSHOTS
    return None


def gzip_size(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=9))
