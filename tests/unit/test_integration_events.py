"""Which stream records become which integration events."""

from __future__ import annotations

from boto3.dynamodb.types import TypeSerializer

from common import integration_events as ie

_serialize = TypeSerializer().serialize


def image(**fields) -> dict:
    base = {
        'pk': 'BOOKING#b1', 'sk': 'META', 'booking_id': 'b1', 'user_id': 'u1', 'hotel_id': 'h1',
        'room_type_id': 'r1', 'check_in': '2027-01-01', 'check_out': '2027-01-03', 'rooms': 1, 'guests': 2,
        'currency': 'EUR', 'total_amount': 20000, 'status': 'PENDING', 'version': 1,
        'updated_at': '2027-01-01T00:00:00.000+00:00',
    }  # fmt: skip
    base.update(fields)
    return {k: _serialize(v) for k, v in base.items()}


def record(new: dict | None, old: dict | None = None) -> dict:
    change = {}
    if new is not None:
        change['NewImage'] = new
    if old is not None:
        change['OldImage'] = old
    return {'dynamodb': change}


def types(rec: dict) -> list[str]:
    return [e.detail_type for e in ie.events_for(rec)]


def test_each_status_change_is_one_event():
    assert types(record(image())) == ['BookingHeld']
    assert types(record(image(status='CONFIRMED', version=2), image())) == ['BookingConfirmed']
    assert types(record(image(status='CANCELLED', version=3), image(status='CONFIRMED'))) == ['BookingCancelled']
    assert types(record(image(status='EXPIRED', version=2), image())) == ['BookingExpired']


def test_writes_that_do_not_change_the_status_publish_nothing():
    assert types(record(image(version=2, payment={'status': 'requires_payment_method'}), image())) == []
    assert types(record(None, image())) == []  # a delete (TTL) is not a business event
    inventory = {'pk': _serialize('INV#r1'), 'sk': _serialize('2027-01-01'), 'available': _serialize(3)}
    assert types(record(inventory, inventory)) == []


def test_a_new_stripe_refund_is_published_once():
    refund = {'amount': 10000, 'penalty': 10000, 'currency': 'EUR', 'status': 'succeeded', 'stripe_refund_id': 're_1'}
    cancelled = image(status='CANCELLED', version=3, refund=refund)
    assert types(record(cancelled, image(status='CONFIRMED', version=2))) == ['BookingCancelled', 'RefundIssued']
    assert types(record(image(status='CANCELLED', version=4, refund=refund), cancelled)) == []
    detail = ie.events_for(record(cancelled, image(status='CONFIRMED')))[1].detail
    assert detail['refund']['amount'] == 10000 and isinstance(detail['refund']['amount'], int)
    assert detail['event_id'] == 'b1:3:RefundIssued'


def test_events_carry_the_rate_plan_and_promo_code_of_the_booking():
    held = image(terms={'rate_plan_id': 'NR', 'name': 'Non-refundable'}, promo={'code': 'WELCOME10', 'discount': 900})
    [event] = ie.events_for(record(held))
    assert (event.detail['rate_plan_id'], event.detail['promo_code']) == ('NR', 'WELCOME10')
    [older] = ie.events_for(record(image()))  # made before rate plans
    assert (older.detail['rate_plan_id'], older.detail['promo_code']) == (None, None)
