"""What the layer contracts (import-linter, make lint) cannot see: imports made by name at run time."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / 'layers' / 'common' / 'common').rglob('*.py')) + sorted((ROOT / 'functions').rglob('*.py'))


def _imported(path: Path) -> set[str]:
    """Modules a file imports, statically or through ``lazy_import('name')``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split('.')[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split('.')[0])
        elif isinstance(node, ast.Call) and getattr(node.func, 'id', None) == 'lazy_import' and node.args:
            argument = node.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.add(argument.value.split('.')[0])
    return found


def _importers(module: str) -> set[str]:
    return {str(path.relative_to(ROOT)) for path in SOURCES if module in _imported(path)}


def test_stripe_is_imported_by_its_gateway_only():
    assert _importers('stripe') == {'layers/common/common/gateways/stripe.py'}


def test_jwt_and_argon2_are_imported_by_the_security_adapter_only():
    assert _importers('jwt') | _importers('argon2') == {'layers/common/common/security.py'}


def test_jinja2_babel_and_icalendar_are_imported_by_the_notifiers_rendering_only():
    # They are in NotifierFunction's artifact only (functions/notifier/requirements.txt).
    assert _importers('jinja2') | _importers('babel') | _importers('icalendar') == {
        'layers/common/common/notifications/rendering.py',
        'layers/common/common/notifications/invite.py',
    }


def test_no_service_reads_the_settings_itself():
    common = ROOT / 'layers' / 'common' / 'common'
    services = sorted((common / 'services').glob('*.py')) + sorted((common / 'notifications').glob('*.py'))
    calls = [
        path.name
        for path in services
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, 'id', getattr(node.func, 'attr', None)) == 'settings'
    ]
    assert calls == []


def test_the_publisher_imports_no_pynamodb_it_touches_no_table():
    # It gets its one gateway (the bus) without the composition root, whose repositories would
    # import PynamoDB (about 45 modules) at every cold start for nothing.
    code = (
        'import sys, json; import functions.publisher.app; '
        'print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & {"pynamodb", "jwt", "argon2", "stripe"})))'
    )
    env = {**os.environ, 'PYTHONPATH': f'{ROOT}:{ROOT / "layers" / "common"}'}
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_no_function_but_the_publisher_imports_boto3_stripe_jwt_or_argon2_at_a_cold_start():
    # Each is imported where it is first used (the idempotency store, the Stripe and SES gateways,
    # security, a migration's codec); boto3 alone is about 85 modules (s3transfer, multiprocessing).
    functions = sorted(p.parent.name for p in (ROOT / 'functions').glob('*/app.py') if p.parent.name != 'publisher')
    code = (
        'import sys, json, importlib; '
        f'[importlib.import_module(f"functions.{{name}}.app") for name in {functions!r}]; '
        'print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & {"boto3", "stripe", "jwt", "argon2"})))'
    )
    env = {**os.environ, 'PYTHONPATH': f'{ROOT}:{ROOT / "layers" / "common"}'}
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
