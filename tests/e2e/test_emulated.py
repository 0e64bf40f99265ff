"""Template fidelity: template.yaml deployed into ministack's CloudFormation (`make run-emulated`)
creates what it declares, routes every API path to its function through API Gateway, and feeds
the table stream to the publisher. The whole end-to-end suite runs against that deployment with
`make e2e-emulated` (E2E_TARGET=emulated); this is the quick part of it that `make test` runs."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import boto3
import pytest
import requests

from local import cfn, emulated
from tests.support import factories
from tests.support.fixtures import E2E_TARGET, LocalStack, start_emulated_stack, stop_local_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope='module')
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    if E2E_TARGET == 'emulated':  # the session's stack is already the emulated one
        yield request.getfixturevalue('local_stack')
        return
    started = start_emulated_stack(tmp_path_factory.mktemp('emulated'))
    try:
        yield started
    finally:
        stop_local_stack(started)


def _client(stack: LocalStack, service: str):
    endpoint = re.match(r'(http://127\.0\.0\.1:\d+)', stack.url).group(1)
    return boto3.client(
        service, endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test'
    )


def test_the_stack_has_every_resource_the_template_declares(stack: LocalStack):
    template = emulated._long_form(cfn.load())
    # (AlarmEmailSubscription is conditional: no AlarmEmail given.)
    unconditional = {name for name, r in template['Resources'].items() if 'Condition' not in r}
    declared = unconditional - set(emulated.unsupported(template))
    created = {
        r['LogicalResourceId']: r['ResourceStatus']
        for r in _client(stack, 'cloudformation').describe_stack_resources(StackName=emulated.STACK)['StackResources']
    }
    # SAM expands each function, API and layer into several resources; every declared one is there
    # (the layer under a hashed id), complete.
    missing = {name for name in declared if not any(c == name or c.startswith(name) for c in created)}
    assert not missing
    assert set(created.values()) == {'CREATE_COMPLETE'}


def test_every_template_route_reaches_its_function_through_api_gateway(stack: LocalStack):
    # An unmatched route is API Gateway's own 404 route_not_found (x-amzn-ErrorType set); a
    # matched one is answered by the function: a success, or the function's own problem.
    for route in cfn.routes():
        path = re.sub(r'\{\w+\}', 'swagger-ui.css' if route.path.endswith('{asset}') else 'x-1', route.path)
        body = '{}' if route.method in ('POST', 'PUT', 'PATCH') else None
        reply = requests.request(
            route.method, f'{stack.url}{path}', data=body, headers={'Content-Type': 'application/json'}, timeout=60
        )
        assert 'x-amzn-ErrorType' not in reply.headers, (route, reply.status_code, reply.text[:200])
        assert reply.status_code < 500, (route, reply.status_code, reply.text[:300])
        if reply.status_code >= 400:
            assert reply.headers['Content-Type'] == 'application/problem+json'
            assert reply.json()['code'] != 'route_not_found', route


def test_a_known_path_answers_an_undeclared_method_with_405_and_allow(stack: LocalStack):
    # API Gateway answers itself (the template's MOCK ANY method): no function, no 403.
    for method, path, allow in (('TRACE', '/api/auth/login', 'POST'), ('DELETE', '/api/users/me', 'GET, PATCH')):
        reply = requests.request(method, f'{stack.url}{path}', timeout=30)
        assert (reply.status_code, reply.headers.get('Allow')) == (405, allow), (method, path, reply.text[:200])
        assert reply.headers['Content-Type'] == 'application/problem+json'
        assert reply.json()['code'] == 'method_not_allowed'
    reply = requests.get(f'{stack.url}/api/bookings/b-1/nope', timeout=30)  # an unknown path stays a 404
    assert (reply.status_code, reply.json()['code']) == (404, 'route_not_found')


def test_a_hold_goes_from_the_table_stream_to_the_event_bus(stack: LocalStack):
    # Given a queue subscribed to the stack's bus
    sqs, bridge = _client(stack, 'sqs'), _client(stack, 'events')
    queue = sqs.create_queue(QueueName=f'bus-{factories.unique("q")}')['QueueUrl']
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
    rule = factories.unique('all')
    bridge.put_rule(Name=rule, EventBusName='hotel-booking-dev', EventPattern=json.dumps({'source': ['hotel-booking']}))
    bridge.put_targets(Rule=rule, EventBusName='hotel-booking-dev', Targets=[{'Id': 'queue', 'Arn': arn}])
    # When a guest holds a room through the API
    base = f'{stack.url}/api'
    credentials = {'email': f'{factories.unique("guest")}@example.com', 'password': 'a long password'}
    assert requests.post(f'{base}/auth/register', json={**credentials, 'name': 'Guest'}, timeout=30).status_code == 201
    token = requests.post(f'{base}/auth/login', json=credentials, timeout=30).json()['access']
    check_in, check_out = factories.stay(days_ahead=30, nights=1)
    hold = {'room_type_id': 'lisbon-standard-double', 'check_in': check_in, 'check_out': check_out, 'guests': 1}
    booking = requests.post(f'{base}/bookings', json=hold, headers={'Authorization': f'Bearer {token}'}, timeout=30)
    assert booking.status_code == 201, booking.text
    # Then the publisher (the stream's event source mapping) puts BookingHeld on the bus
    deadline, seen = time.monotonic() + 30, []
    while time.monotonic() < deadline and not seen:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get('Messages', [])
        seen = [json.loads(m['Body']) for m in messages]
    assert [(e['detail-type'], e['detail']['booking_id']) for e in seen] == [('BookingHeld', booking.json()['id'])]


def test_a_paid_booking_is_emailed_through_the_rule_the_notifier_lambda_and_ses(stack: LocalStack):
    # When a guest pays a hold through the API (auto_confirm)
    base = f'{stack.url}/api'
    email = f'{factories.unique("guest")}@example.com'
    credentials = {'email': email, 'password': 'a long password'}
    assert requests.post(f'{base}/auth/register', json={**credentials, 'name': 'Guest'}, timeout=30).status_code == 201
    headers = {
        'Authorization': f'Bearer {requests.post(f"{base}/auth/login", json=credentials, timeout=30).json()["access"]}'
    }
    check_in, check_out = factories.stay(days_ahead=32, nights=1)
    hold = {'room_type_id': 'lisbon-standard-double', 'check_in': check_in, 'check_out': check_out, 'guests': 1}
    booking = requests.post(f'{base}/bookings', json=hold, headers=headers, timeout=30).json()
    paid = requests.post(
        f'{base}/bookings/{booking["id"]}/checkout', json={'auto_confirm': True}, headers=headers, timeout=60
    )
    assert paid.json()['status'] == 'CONFIRMED', paid.text
    # Then the stream -> publisher -> bus -> the template's rule -> NotifierFunction (under its role:
    # the table and SES) -> ministack's SES delivers the guest's confirmation with its invitation
    [confirmation] = stack.wait_for_mail(email, 1, seconds=60)
    assert confirmation['subject'].startswith('Booking confirmed: Harbour View Lisbon')
    assert confirmation['attachments'] == ['invite.ics'] and booking['id'] in confirmation['text']


def test_the_functions_log_json_lines_with_a_correlation_id(stack: LocalStack):
    assert requests.get(f'{stack.url}/api/health', timeout=30).status_code == 200
    logs = _client(stack, 'logs')
    group = next(
        g['logGroupName'] for g in logs.describe_log_groups()['logGroups'] if '-SearchFunction-' in g['logGroupName']
    )
    deadline, lines = time.monotonic() + 10, []
    while time.monotonic() < deadline and not lines:
        events = logs.filter_log_events(logGroupName=group)['events']
        lines = [json.loads(e['message']) for e in events if e['message'].startswith('{"level"')]
        lines = [line for line in lines if line.get('route') == '/api/health']
        time.sleep(0.2)
    assert lines, 'no request line from SearchFunction'
    for line in lines:
        # API Gateway's request id (ministack's x-amzn-RequestId header is another id: docs/run-emulated.md)
        assert re.fullmatch(r'[0-9a-f-]{36}', line['correlation_id'])
        assert line['correlation_id'] != line['function_request_id']
        assert (line['service'], line['status'], line['cold_start'] in (True, False)) == ('search', 200, True)


def test_housekeeping_runs_in_the_deployed_stack_with_its_own_role(stack: LocalStack):
    # The daily schedule's event, with "again" (a pass that reads every window), through Lambda
    resources = _client(stack, 'cloudformation').describe_stack_resources(StackName=emulated.STACK)['StackResources']
    [name] = [r['PhysicalResourceId'] for r in resources if r['LogicalResourceId'] == 'HousekeepingFunction']
    event = json.loads((cfn.ROOT / 'events' / 'housekeeping' / 'schedule.json').read_text())
    reply = _client(stack, 'lambda').invoke(FunctionName=name, Payload=json.dumps({**event, 'again': True}))
    summary = json.loads(reply['Payload'].read())
    # Then it read every seeded room type's window (its policy allows what it does: see below)
    assert (summary['complete'], summary['read_windows'], summary['short']) == (True, True, 0), summary
    assert summary['room_types'] >= 5


def test_no_function_was_refused_by_iam_or_logged_an_error(stack: LocalStack):
    """ministack runs with AUTH=true: each function calls AWS with its role's session and the
    template's policies are evaluated. Whatever ran in this module (every route, a hold, the
    publisher, and any sweeper run so far) was allowed, and no function logged an error."""
    logs = _client(stack, 'logs')
    problems = []
    events = logs.get_paginator('filter_log_events')
    for group in logs.describe_log_groups()['logGroups']:
        for event in (e for page in events.paginate(logGroupName=group['logGroupName']) for e in page['events']):
            message = event['message']
            if 'AccessDenied' in message or 'not authorized' in message or message.startswith('{"level":"ERROR"'):
                problems.append(f'{group["logGroupName"]}: {message[:300]}')
    assert not problems, '\n'.join(problems)


def test_the_site_is_served_from_its_private_bucket_through_cloudfront_with_the_template_headers(stack: LocalStack):
    """ministack's CloudFront: the S3 origin with origin access control, the viewer-request function
    (routes of the page are index.html), the response-headers policy. Its /api/* behaviour cannot
    reach API Gateway here (an AWS host name: 502), see docs/run-emulated.md."""
    from local.web import policy_headers

    endpoint = re.match(r'(http://127\.0\.0\.1:\d+)', stack.url).group(1)
    host = stack.web_url.split('//', 1)[1].rstrip('/')
    viewer = {'Host': host, 'X-Forwarded-Proto': 'https'}  # what CloudFront's edge sees for HTTPS

    page = requests.get(f'{endpoint}/rooms/lisbon-deluxe-king', headers=viewer, timeout=30)
    assert page.status_code == 200 and '<div id="app">' in page.text
    expected = policy_headers('WebSecurityHeadersPolicy')
    for name in ('Content-Security-Policy', 'Strict-Transport-Security', 'X-Frame-Options', 'X-Content-Type-Options'):
        assert page.headers.get(name) == expected[name], name
    script = requests.get(f'{endpoint}/vendor/preact.js', headers=viewer, timeout=30)
    assert script.status_code == 200 and script.headers['Content-Type'].startswith('text/javascript')
    plain = requests.get(f'{endpoint}/', headers={'Host': host}, allow_redirects=False, timeout=30)
    assert plain.status_code == 301 and plain.headers['Location'].startswith('https://')

    bucket = next(
        o['OutputValue']
        for o in _client(stack, 'cloudformation').describe_stacks(StackName=emulated.STACK)['Stacks'][0]['Outputs']
        if o['OutputKey'] == 'WebBucketName'
    )
    assert requests.get(f'{endpoint}/{bucket}/index.html', timeout=30).status_code == 403  # only CloudFront reads it
