"""Browser tests: pytest-playwright's fixtures, launching Debian's Chromium (tests/support/browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import BROWSER_ARGS, DESKTOP, Site, chromium_executable
from tests.support.fixtures import LocalStack


@pytest.fixture(scope='session')
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, 'executable_path': chromium_executable(), 'args': BROWSER_ARGS}


@pytest.fixture(scope='session')
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, 'viewport': DESKTOP, 'locale': 'en-GB', 'timezone_id': 'Europe/Lisbon'}


@pytest.fixture
def site(page: Any, local_stack: LocalStack) -> Iterator[Site]:
    """The guest site of the session's local stack in a fresh browser context; afterwards, no
    request may have left this machine and no script may have failed."""
    opened = Site(page, local_stack.browser_url)
    yield opened
    assert opened.blocked == [], f'requests off this machine were attempted: {opened.blocked}'
    assert opened.errors == [], f'page errors: {opened.errors}'
