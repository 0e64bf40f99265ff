"""Swagger UI renders the API's operations in a real headless browser with no internet access."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.browser import chromium_executable
from tests.support.fixtures import LocalStack

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
BROWSER_FLAGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    # Every host but loopback fails to resolve: the page can only use what we serve. (ministack's
    # host-style API URLs, {api}.execute-api.localhost, are loopback too: make run-emulated.)
    '--host-resolver-rules=MAP *.execute-api.localhost 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    '--virtual-time-budget=20000',
]


@pytest.fixture(scope='session')
def chromium() -> str:
    return chromium_executable()


def _browse(chromium: str, tmp_path: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium, *BROWSER_FLAGS, f'--user-data-dir={tmp_path / "profile"}', *extra, url],
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_swagger_ui_lists_every_operation_offline(local_stack: LocalStack, chromium: str, tmp_path: Path):
    import requests

    document = requests.get(f'{local_stack.url}/api/openapi.json', timeout=10).json()
    rendered = _browse(chromium, tmp_path, f'{local_stack.browser_url}/api/docs', '--dump-dom')
    dom = rendered.stdout
    assert 'swagger-ui' in dom and 'opblock-summary-path' in dom, rendered.stderr[-2000:]
    for path in document['paths']:
        assert f'data-path="{path}"' in dom or f'>{path}<' in dom.replace('\u200b', ''), f'{path} not listed'

    shot = tmp_path / 'swagger-ui.png'
    _browse(
        chromium, tmp_path, f'{local_stack.browser_url}/api/docs', f'--screenshot={shot}', '--window-size=1280,2200'
    )
    assert shot.exists() and shot.stat().st_size > 10_000
    if os.environ.get('UPDATE_DOCS_SCREENSHOT'):
        shutil.copy(shot, ROOT / 'docs' / 'swagger-ui.png')


def test_redoc_renders_offline(local_stack: LocalStack, chromium: str, tmp_path: Path):
    rendered = _browse(chromium, tmp_path, f'{local_stack.browser_url}/api/redoc', '--dump-dom')
    assert 'Hotel booking API' in rendered.stdout
    assert 'api-content' in rendered.stdout or 'redoc-wrap' in rendered.stdout, rendered.stderr[-2000:]
