"""The settings the code reads are the ones docs/configuration.md documents; no table is cut in half."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from common.config import Settings

ROOT = Path(__file__).resolve().parents[2]
CONFIGURATION = ROOT / 'docs' / 'configuration.md'


def _documented(page: Path) -> set[str]:
    """Variables named in a page's tables."""
    rows = [line for line in page.read_text().splitlines() if line.startswith('| `')]
    return {name for row in rows for name in re.findall(r'`([A-Z][A-Z0-9_]+)`', row)}


def test_every_setting_is_in_a_table_of_the_configuration_page():
    missing = sorted(name.upper() for name in Settings.model_fields if name.upper() not in _documented(CONFIGURATION))
    assert missing == []


def test_the_readme_lists_only_settings_the_configuration_page_documents():
    # The README's short table is a selection of what people change; the page has them all.
    readme = _documented(ROOT / 'README.md')
    assert readme, 'the README has a configuration table'
    assert readme <= _documented(CONFIGURATION)


@pytest.mark.parametrize('page', [ROOT / 'README.md', *sorted((ROOT / 'docs').glob('*.md'))], ids=lambda p: p.name)
def test_every_table_row_follows_its_header(page: Path):
    """No table is cut in half by a later section: every row belongs to a block of rows that starts
    with a header and its | --- | line."""
    lines = page.read_text().splitlines()
    in_code = False
    for number, line in enumerate(lines):
        if line.startswith('```'):
            in_code = not in_code
        if in_code or not line.startswith('|'):
            continue
        previous = lines[number - 1] if number else ''
        if previous.startswith('|'):
            continue
        separator = lines[number + 1] if number + 1 < len(lines) else ''
        assert re.match(r'^\|( *:?-{3,}:? *\|)+$', separator), f'{page.name}:{number + 1}: a table row without a header'


@pytest.mark.parametrize(
    'bad',
    [
        {'booking_hold_seconds': 0},
        {'max_stay_nights': 99},  # a hold of nights + booking must fit one 100-item transaction
        {'pending_shards': 65},
        {'check_in_hour': 24},
        {'password_hash_memory_kib': 1024},
    ],
)
def test_unsafe_values_are_refused_at_start(bad: dict):
    with pytest.raises(ValidationError):
        Settings(**bad)
