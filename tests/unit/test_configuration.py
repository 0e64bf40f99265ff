"""The configuration the code reads and the one the README documents are the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from common.config import Settings

README = Path(__file__).resolve().parents[2] / 'README.md'


def _documented() -> set[str]:
    """Variables named in the README's tables (configuration, payments, accounts)."""
    rows = [line for line in README.read_text().splitlines() if line.startswith('| `')]
    return {name for row in rows for name in re.findall(r'`([A-Z][A-Z0-9_]+)`', row)}


def test_every_setting_is_in_a_readme_table():
    missing = sorted(name.upper() for name in Settings.model_fields if name.upper() not in _documented())
    assert missing == []


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
