"""The API contract for the admin operations, as the admin (tests/e2e/test_contract.py runs the
guest's; a module of its own so the suite's two workers run both at once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_contract import contract_stack, keep_the_contract
from tests.support.fixtures import LocalStack

pytestmark = pytest.mark.e2e
__all__ = ['contract_stack']  # the module's own stack (module scope), shared fixture code


@pytest.mark.timeout(960)
def test_the_admin_operations_keep_the_contract_as_the_admin(contract_stack: LocalStack, tmp_path: Path):
    # The admin operations as the admin, so their bodies and parameters reach the domain: random
    # hotels, room types, price rules and inventory ranges.
    keep_the_contract(contract_stack, tmp_path, 'admin', ['--include-path-regex', '^/api/admin/'])
