"""events/ holds a sample event for every route and trigger of template.yaml, as generated."""

from __future__ import annotations

import json

import pytest
import stripe

from local import cfn, events


def test_the_files_under_events_are_what_the_catalogue_generates():
    # A route added to the template, or a changed catalogue, needs `python -m local.events --write`.
    assert events.stale() == []


def test_every_route_of_the_template_has_an_api_gateway_event():
    declared = {(r.method, r.path) for r in cfn.routes()}
    sampled = {(s.event['httpMethod'], s.event['resource']) for s in events.samples() if s.case}
    assert declared == sampled


@pytest.mark.parametrize('sample', [s for s in events.samples() if s.case], ids=lambda s: f'{s.folder}/{s.name}')
def test_each_api_event_goes_to_the_function_that_serves_its_route(sample: events.Sample):
    route = events.route_for(sample.event['httpMethod'], sample.event['path'])
    assert route.function == sample.function
    assert route.path == sample.event['resource'] == sample.event['requestContext']['resourcePath']
    # API Gateway's stage URL: the stage is in requestContext.path, not in path
    assert sample.event['requestContext']['path'] == f'/{events.STAGE}{sample.event["path"]}'


def test_every_function_without_routes_has_a_sample_of_its_trigger():
    triggers = {
        name: {e['Type'] for e in (f['Properties'].get('Events') or {}).values()} for name, f in cfn.functions().items()
    }
    others = {name for name, types in triggers.items() if 'Api' not in types}
    assert others == {
        'ExpireSweeperFunction',
        'HousekeepingFunction',
        'ReconcilerFunction',
        'PublisherFunction',
        'NotifierFunction',
        'SearchViewFunction',
    }
    samples = {s.function: s.event for s in events.samples() if s.case is None}
    assert samples['ExpireSweeperFunction']['detail-type'] == 'Scheduled Event'
    assert samples['HousekeepingFunction']['detail-type'] == 'Scheduled Event'
    assert samples['ReconcilerFunction']['detail-type'] == 'Scheduled Event'
    assert samples['PublisherFunction']['Records'][0]['eventSource'] == 'aws:dynamodb'
    assert samples['NotifierFunction']['source'] == 'hotel-booking'
    assert samples['SearchViewFunction']['Records'][0]['dynamodb']['Keys']['pk']['S'].startswith('INV#')


def test_the_notifier_has_a_sample_of_every_event_its_rule_routes_to_it():
    [rule] = cfn.functions()['NotifierFunction']['Properties']['Events'].values()
    routed = set(rule['Properties']['Pattern']['detail-type'])
    sampled = {s.event['detail-type'] for s in events.samples() if s.folder == 'notifier'}
    assert sampled == routed == {'BookingConfirmed', 'BookingCancelled', 'BookingExpired', 'RefundIssued'}


def test_rendering_fills_the_placeholders_and_signs_the_webhook_body_as_stripe_does():
    [sample] = [s for s in events.samples() if (s.folder, s.name) == ('webhook', 'payment_succeeded')]
    values = {'PAYMENT_INTENT_ID': 'pi_123', 'BOOKING_ID': 'b-1', 'USER_ID': 'u-1'}
    rendered = events.render(sample.event, values, 'whsec_unit', timestamp=1_800_000_000)
    assert events.placeholders(rendered) == []
    assert json.loads(rendered['body'])['data']['object']['metadata'] == {'booking_id': 'b-1', 'user_id': 'u-1'}
    signature = rendered['headers']['Stripe-Signature']
    assert rendered['multiValueHeaders']['Stripe-Signature'] == [signature]
    # the SDK's own verification accepts it (at the signing time)
    stripe.WebhookSignature.verify_header(rendered['body'], signature, 'whsec_unit', tolerance=None)
    with pytest.raises(KeyError, match='BOOKING_ID'):
        events.render(sample.event, {'PAYMENT_INTENT_ID': 'pi_123'}, 'whsec_unit')
