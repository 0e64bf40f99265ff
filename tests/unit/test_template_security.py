"""What template.yaml and the handlers promise about security, checked on the text itself (the
threat table in docs/accounts-and-security.md points here)."""

from __future__ import annotations

import re
from pathlib import Path

from common import tables
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


def _functions() -> dict[str, dict[str, object]]:
    return {
        name: resource['Properties']
        for name, resource in cfn.load()['Resources'].items()
        if resource['Type'] == 'AWS::Serverless::Function'
    }


def test_every_secret_is_read_from_the_stacks_own_stage_and_no_parameter_names_another():
    template = cfn.load()
    text = (ROOT / 'template.yaml').read_text()
    # no parameter a deploy could forget and fall back to the dev secrets with
    assert not re.search(r'hotel-booking/(dev|staging|prod)/', text)
    for name, parameter in template['Parameters'].items():
        assert 'dev/' not in str(parameter.get('Default', '')), name
    for name, properties in _functions().items():
        variables = properties.get('Environment', {}).get('Variables', {})
        for key, value in variables.items():
            if key.endswith('_PARAM'):
                assert (value.tag, value.value[:24]) == ('Sub', '/hotel-booking/${Stage}/'), (name, key, value)


def test_only_the_auth_function_holds_the_token_signing_key():
    holders = []
    for name, properties in _functions().items():
        variables = properties.get('Environment', {}).get('Variables', {})
        policies = str(properties.get('Policies', ''))
        if 'JWT_SIGNING_KEY_PARAM' in variables or 'jwt-signing-key' in policies:
            holders.append(name)
        if 'JWT_PUBLIC_KEYS_PARAM' in variables:
            assert 'jwt-public-keys' in policies, name
    assert holders == ['AuthFunction']
    assert 'JWT_SIGNING_KEY' not in str(_globals()) and 'JWT_SECRET' not in (ROOT / 'template.yaml').read_text()


def test_the_template_alarms_on_a_wrong_stripe_key_and_on_a_payment_mismatch():
    resources = cfn.load()['Resources']
    assert 'StripeKeyWrongMode' in str(resources['StripeKeyModeAlarm'])
    watched = resources['PaymentMismatchAlarm']['Properties']['Metrics']
    assert {q['MetricStat']['Metric']['MetricName'] for q in watched if 'MetricStat' in q} == {'PaymentMismatch'}
    # every service that applies Stripe's word to a booking and records its outcome's metric
    services = {q['MetricStat']['Metric']['Dimensions'][0]['Value'] for q in watched if 'MetricStat' in q}
    assert services == {'webhook', 'checkout'}


def test_the_public_search_function_reads_only_catalogue_and_inventory_partitions():
    statements = _functions()['SearchFunction']['Policies'][0]['Statement']
    on_table = [s for s in statements if 'index' not in str(s['Resource'])]
    assert on_table, statements
    for statement in on_table:
        allowed = statement['Condition']['ForAllValues:StringLike']['dynamodb:LeadingKeys']
        prefixes = [p.rstrip('*') for p in allowed]
        # what it needs
        needed = [
            tables.HotelItem.key('h')[0],
            tables.RoomTypeItem.key('r')[0],
            tables.InventoryItem.partition('r'),
            tables.AvailabilityViewKeys.partition('lisbon'),
        ]
        assert all(any(k.startswith(p) for p in prefixes) for k in needed), (needed, prefixes)
        # and what it must never reach: users and their password hashes, emails, sessions, bookings
        private = [
            tables.UserItem.key('u')[0],
            tables.EmailItem.key('a@example.com')[0],
            tables.RevokedFamilyItem.key('f')[0],
            tables.TokenItem.key('j')[0],
            tables.BookingItem.key('b')[0],
            tables.StripeEventItem.key('evt')[0],
        ]
        assert not [k for k in private if any(k.startswith(p) for p in prefixes)]
        # reads only (BatchGetItem: a hotel's search view items, docs/search-view.md)
        assert set(statement['Action']) <= {'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'}


def test_auth_routes_are_throttled_tighter_and_the_webhook_and_sweeper_have_reserved_capacity():
    template = cfn.load()
    api = template['Resources']['HotelApi']['Properties']
    auth = {s['ResourcePath']: s['ThrottlingRateLimit'] for s in api['MethodSettings'] if 'auth' in s['ResourcePath']}
    routes = {r.path for r in cfn.routes() if r.path.startswith('/api/auth/')}
    # API Gateway's encoding: '/' + the path with each '/' as '~1'. Every auth route, and a new one is not forgotten.
    assert {p.removeprefix('/').replace('~1', '/') for p in auth} == routes
    assert {(v.tag, v.value) for v in auth.values()} == {('Ref', 'AuthRateLimit')}
    functions = _functions()
    assert 'WebhookReservedConcurrency' in str(functions['WebhookFunction']['ReservedConcurrentExecutions'])
    assert functions['ExpireSweeperFunction']['ReservedConcurrentExecutions'] == 1


def test_the_optional_waf_limits_requests_per_ip_and_is_off_by_default():
    template = cfn.load()
    assert template['Parameters']['WafRequestsPerIp']['Default'] == 0
    acl = template['Resources']['WebAcl']
    assert acl['Condition'] == template['Resources']['WebAclAssociation']['Condition'] == 'HasWaf'
    [rule] = acl['Properties']['Rules']
    assert rule['Statement']['RateBasedStatement']['AggregateKeyType'] == 'IP'
    assert rule['Action']['Block']['CustomResponse']['ResponseCode'] == 429
