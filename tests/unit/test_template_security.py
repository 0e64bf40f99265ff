"""What template.yaml and the handlers promise about security, checked on the text itself (the
threat table in docs/accounts-and-security.md points here)."""

from __future__ import annotations

import re
from pathlib import Path

from local import cfn

ROOT = Path(__file__).resolve().parents[2]


def _globals() -> dict[str, object]:
    return cfn.load()['Globals']['Function']['Environment']['Variables']


def test_no_function_records_its_response_or_error_in_traces():
    variables = _globals()
    assert variables['POWERTOOLS_TRACER_CAPTURE_RESPONSE'] == 'false'
    assert variables['POWERTOOLS_TRACER_CAPTURE_ERROR'] == 'false'
    # and in code: every handler goes through observability.trace_handler, never the Tracer's own
    # decorator with its capture-everything default
    for app in sorted((ROOT / 'functions').glob('*/app.py')):
        text = app.read_text()
        assert not re.search(r'tracer\.capture_(lambda_handler|method)', text), app
        assert '@observability.trace_handler' in text, app
