"""The documented exceptions of the contract test (tests/e2e/test_contract.py), in one list.

schemathesis runs every check over /api/openapi.json. A failure is accepted only when it is one
of these: a rule the API applies that a JSON Schema cannot state, which the operation's description
writes out instead. Each is matched narrowly (schemathesis' failure code, the operations, the
problem ``code`` the API answered, and where the code alone is too broad, its ``detail``).

This module is also the run's schemathesis hooks module (SCHEMATHESIS_HOOKS): its
``filter_failure`` hook drops the failures listed here, and writes each one it dropped to
CONTRACT_EXCEPTIONS_LOG so the test can report which exceptions were met.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

import schemathesis

# schemathesis' failure codes (`st explain ST202`)
NEGATIVE_DATA_ACCEPTED = 'ST201'  # negative_data_rejection: an invalid request got neither a 4xx it knows nor a 5xx
POSITIVE_DATA_REFUSED = 'ST202'  # positive_data_acceptance: a schema-valid request got a 4xx other than 401/403/404/409
ANY_OPERATION = '*'


@dataclass(frozen=True)
class Documented:
    failure: str
    operations: tuple[str, ...]
    code: str
    reason: str
    detail: str = ''  # a regular expression the problem's detail must match

    def covers(self, failure: str, operation: str, problem: dict[str, Any]) -> bool:
        return (
            failure == self.failure
            and (operation in self.operations or ANY_OPERATION in self.operations)
            and problem.get('code') == self.code
            and re.search(self.detail, str(problem.get('detail', ''))) is not None
        )


STAYS = ('GET /api/rooms/search', 'POST /api/bookings')
RANGES = (
    'GET /api/admin/pricing/preview',
    'PUT /api/admin/room-types/{room_type_id}/inventory',
    'GET /api/admin/bookings',
    'GET /api/admin/reports/occupancy',
    'GET /api/admin/hotels/{hotel_id}/inventory',
)
RATE_PLAN_REFUSALS = (
    'rate_plan_unavailable',
    'max_stay',
    'closed_to_departure',
    'min_advance_booking',
    'max_advance_booking',
)
PROMO_STATE_REFUSALS = ('promo_unknown', 'promo_not_yet_valid', 'promo_expired', 'promo_exhausted')
RATE_OPERATIONS = (
    'POST /api/admin/hotels/{hotel_id}/rate-plans',
    'PATCH /api/admin/hotels/{hotel_id}/rate-plans/{code}',
    'PUT /api/admin/hotels/{hotel_id}/taxes',
    'POST /api/admin/hotels/{hotel_id}/promo-codes',
    'PATCH /api/admin/hotels/{hotel_id}/promo-codes/{code}',
)
EXCEPTIONS: tuple[Documented, ...] = (
    *(
        Documented(
            POSITIVE_DATA_REFUSED,
            STAYS,
            code,
            "A stay's rules depend on today's date at the hotel, its sale window and its price rules, which a "
            'static schema cannot state (the operation describes them): check-out after check-in and not in the '
            'past, at most MAX_STAY_NIGHTS, inside the sale window, capacity, min_stay, closed_to_arrival.',
        )
        for code in (
            'invalid_dates',
            'stay_too_long',
            'not_on_sale',
            'too_many_guests',
            'min_stay',
            'closed_to_arrival',
        )
    ),
    Documented(
        POSITIVE_DATA_REFUSED,
        STAYS,
        'validation_error',
        'At least one guest per room: `guests` >= `rooms` compares two fields.',
        detail='Every room needs at least one guest',
    ),
    *(
        Documented(
            POSITIVE_DATA_REFUSED,
            operations,
            code,
            "A rate plan's restrictions and a promo code's validity depend on stored plans and codes, today's date "
            'and their uses (the operations describe them; docs/pricing.md).',
        )
        for code, operations in (
            *((c, ('POST /api/bookings',)) for c in RATE_PLAN_REFUSALS),
            *((c, (*STAYS, 'GET /api/admin/pricing/preview')) for c in PROMO_STATE_REFUSALS),
            *((c, ('POST /api/bookings',)) for c in ('promo_guest_limit', 'promo_not_applicable')),
        )
    ),
    Documented(
        POSITIVE_DATA_REFUSED,
        STAYS,
        'validation_error',
        'Every room keeps an adult: at most `guests` - `rooms` child ages (three fields).',
        detail='Every room needs an adult',
    ),
    *(
        Documented(
            POSITIVE_DATA_REFUSED,
            operations,
            code,
            'A date range: its end after its start, its length, and (inventory) no past night at the hotel: '
            'rules between two fields and today, written in the operation.',
        )
        for code, operations in (
            ('invalid_dates', ('GET /api/room-types/{room_type_id}/calendar', *RANGES)),
            ('range_too_long', RANGES),
        )
    ),
    Documented(
        POSITIVE_DATA_REFUSED,
        (
            'GET /api/bookings',
            'GET /api/room-types/{room_type_id}/reviews',
            'GET /api/admin/bookings',
            'GET /api/rooms/search',
        ),
        'invalid_cursor',
        'A cursor is opaque and only valid as `next_cursor` produced it (documented on the parameter); any other '
        'string is refused, as it must be.',
    ),
    *(
        Documented(
            failure,
            (ANY_OPERATION,),
            'payload_too_large',
            'A body over MAX_BODY_BYTES (16 KiB) is refused with 413 before it is read (documented on every '
            'operation). A schema limits characters, not bytes: a long string of multi-byte characters can be '
            'valid and still too large. (schemathesis does not count 413 among the refusals it expects.)',
        )
        for failure in (NEGATIVE_DATA_ACCEPTED, POSITIVE_DATA_REFUSED)
    ),
    Documented(
        POSITIVE_DATA_REFUSED,
        ('POST /api/bookings', 'POST /api/bookings/{booking_id}/checkout'),
        'idempotency_key_reused',
        'An Idempotency-Key sent again with another body is refused: a rule across requests (the fuzzer sends '
        'one key with many bodies), written on the header parameter.',
    ),
    Documented(
        POSITIVE_DATA_REFUSED,
        ('POST /api/webhook',),
        'invalid_signature',
        "Stripe-Signature must be Stripe's HMAC of the raw body with the endpoint secret: only Stripe can make one.",
    ),
    Documented(
        POSITIVE_DATA_REFUSED,
        ('POST /api/auth/register',),
        'weak_password',
        'The password must not be the email or its part before the @ (two fields), and its length counts after '
        'the surrounding whitespace is trimmed.',
    ),
    Documented(
        POSITIVE_DATA_REFUSED,
        ('POST /api/admin/room-types', 'POST /api/admin/price-rules', 'PATCH /api/admin/price-rules/{rule_id}'),
        'invalid_reference',
        "The hotel or room type an id names must exist (and a rule's room type belong to its hotel): stored data, "
        'not a schema.',
    ),
    Documented(
        POSITIVE_DATA_REFUSED,
        ('PUT /api/admin/room-types/{room_type_id}/inventory',),
        'validation_error',
        'Something to set: allotment, stop_sell or both (a rule between two optional fields; stated as a schema '
        '`anyOf`, it makes client generators split the body into two anonymous types).',
        detail='^Send allotment, stop_sell or both$',
    ),
    Documented(
        POSITIVE_DATA_REFUSED,
        ('POST /api/admin/price-rules',),
        'validation_error',
        'A rule names its hotel, or a room type (whose hotel it then is): one of two optional fields, for the '
        'same reason.',
        detail='^hotel_id is required',
    ),
    Documented(
        POSITIVE_DATA_REFUSED,
        ('POST /api/admin/hotels', 'PATCH /api/admin/hotels/{hotel_id}'),
        'validation_error',
        'A time zone must exist in the tz database; the schema states its shape, not the ~600 zones (an enum '
        'that large breaks client generators).',
        detail='is not an IANA time zone',
    ),
    Documented(
        POSITIVE_DATA_REFUSED,
        ('POST /api/admin/room-types',),
        'validation_error',
        "A room type's currency, when sent, must be its hotel's: stored data, not a schema.",
        detail='^currency: must be the currency of hotel',
    ),
    Documented(
        POSITIVE_DATA_REFUSED,
        ('POST /api/admin/price-rules', 'PATCH /api/admin/price-rules/{rule_id}'),
        'validation_error',
        "A rule's end_date must not be before its start_date (two fields; on a PATCH, with the stored rule).",
        detail='^end_date: must be on or after start_date',
    ),
    Documented(
        POSITIVE_DATA_REFUSED,
        RATE_OPERATIONS,
        'validation_error',
        'Rate plans, taxes and promo codes are validated as a whole, merged with what is stored (a percent at '
        'most 100, an amount within bounds, end dates after start dates, a derivation with its parent, '
        'min_stay <= max_stay...): rules across fields, written in services/rate_admin.py and docs/pricing.md.',
    ),
    Documented(
        POSITIVE_DATA_REFUSED,
        tuple(o for o in RATE_OPERATIONS if not o.endswith('/taxes')),
        'invalid_reference',
        'The room type, parent plan or plans an id names must exist in the hotel: stored data, not a schema.',
    ),
)


def _problem(response: Any) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def documented(failure: str, operation: str, problem: dict[str, Any]) -> Documented | None:
    return next((e for e in EXCEPTIONS if e.covers(failure, operation, problem)), None)


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep a failure unless it is a documented exception (then log it and drop it)."""
    operation = f'{case.method.upper()} {case.operation.path}'
    problem = _problem(response)
    found = documented(failure.code, operation, problem)
    if found is None:
        return True
    log = os.environ.get('CONTRACT_EXCEPTIONS_LOG')
    if log:
        with open(log, 'a') as out:
            out.write(json.dumps({'failure': failure.code, 'operation': operation, 'code': problem.get('code')}) + '\n')
    return False
