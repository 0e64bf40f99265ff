"""One OpenAPI 3.1 document for the whole API, generated from the functions' own resolvers.

Each function's powertools resolver describes its routes from the same pydantic models and
signatures that validate requests; this merges them and adds what every operation shares: the
bearer JWT scheme where ``http.access`` says a token is needed (the same declaration that
enforces it), and the RFC 9457 problem responses with their stable codes.
"""

from __future__ import annotations

import inspect
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

from common import errors
from common.http import ADMIN_PREFIX, BEARER_SCHEME, PROBLEM_JSON, PROBLEM_TYPE_BASE, PROBLEMS_EXTENSION, Access, access

TITLE = 'Hotel booking API'
VERSION = '1.0.0'
DESCRIPTION = (
    'Search room types for a stay, hold rooms (a PENDING booking for BOOKING_HOLD_SECONDS), pay with Stripe, and '
    'cancel under the cancellation policy; hotel staff manage the catalogue, inventory and prices under '
    '`/api/admin/`.\n\n'
    '- **Money** is an integer in minor units of its `currency` (cents: `12550` is 125.50 EUR), never a float.\n'
    '- **Dates** of a stay are `YYYY-MM-DD` (check-out exclusive); instants are UTC ISO-8601.\n'
    '- **Sign in** with `POST /api/auth/login` and send `Authorization: Bearer <access token>` where a lock is '
    'shown; `/api/admin/` needs the admin role.\n'
    '- **Errors** are RFC 9457 `application/problem+json` with a stable `code`; each operation lists the codes '
    'it can answer. Every operation may also answer 429 `too_many_requests` (throttling) and 5xx.\n'
    '- **Retries**: booking and checkout take an `Idempotency-Key` header.\n'
    '- **Pages**: `next_cursor` is opaque; send it back as `cursor`.'
)
# Swagger UI and ReDoc show tags in this order: a guest's journey first, staff and plumbing last.
TAGS = [
    {'name': 'search', 'description': 'Find rooms for a stay, with the price night by night'},
    {'name': 'catalogue', 'description': 'Hotels, room types, availability calendars and reviews'},
    {'name': 'auth', 'description': 'Accounts and sessions: register, sign in, rotate tokens, sign out'},
    {'name': 'bookings', 'description': 'Hold rooms, read and cancel your bookings, review a stay'},
    {'name': 'payments', 'description': "Pay a booking with Stripe; Stripe's webhook"},
    {'name': 'users', 'description': 'Your profile and wishlist'},
    {'name': 'admin', 'description': 'Hotel staff (admin role): catalogue, inventory, prices, bookings, reports'},
    {'name': 'docs', 'description': 'This document, Swagger UI and ReDoc'},
    {'name': 'ops', 'description': 'Health'},
]
# What a created resource's id leads to (OpenAPI links): clients, and stateful fuzzers, follow them
# from the answer of a create to the operations on what it created.
_BOOKING = {'booking_id': '$response.body#/id'}
LINKS: dict[str, dict[str, tuple[str, dict[str, str]]]] = {
    'create_booking': {
        'GetBooking': ('get_booking', _BOOKING),
        'PayBooking': ('checkout', _BOOKING),
        'QuoteRefund': ('refund_quote', _BOOKING),
        'CancelBooking': ('cancel_booking', _BOOKING),
    },
    'admin_create_hotel': {
        verb: (f'admin_{verb.lower()}_hotel', {'hotel_id': '$response.body#/id'})
        for verb in ('Get', 'Update', 'Delete')
    },
    'admin_create_room_type': {
        **{
            verb: (f'admin_{verb.lower()}_room_type', {'room_type_id': '$response.body#/id'})
            for verb in ('Get', 'Update', 'Delete')
        },
        'SetInventory': ('admin_set_inventory', {'room_type_id': '$response.body#/id'}),
    },
    'admin_create_rule': {
        verb: (f'admin_{verb.lower()}_rule', {'rule_id': '$response.body#/id'}) for verb in ('Get', 'Update', 'Delete')
    },
}
# Problems API Gateway answers itself (template.yaml GatewayResponses), for any operation.
GATEWAY_CODES = {429: 'too_many_requests', 500: 'gateway_error'}
# Operations that never read the tables (no 503 service_unavailable).
_STATIC_PREFIXES = ('/api/docs', '/api/redoc', '/api/openapi.json', '/api/health')


def error_codes() -> dict[int, list[str]]:
    """Every stable problem code, by HTTP status, read from the domain error classes."""
    by_status: dict[int, set[str]] = defaultdict(set)
    for _, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, errors.DomainError):
            by_status[cls.status].add(cls.code)
    by_status[400].add('malformed_json')
    by_status[404].add('route_not_found')
    by_status[405].add('method_not_allowed')
    by_status[500].add('internal_error')
    for status, code in GATEWAY_CODES.items():
        by_status[status].add(code)
    return {status: sorted(codes) for status, codes in sorted(by_status.items())}


def problem_schema() -> dict[str, Any]:
    codes = sorted({code for group in error_codes().values() for code in group})
    return {
        'title': 'Problem',
        'description': 'RFC 9457 problem details; `code` is stable, `detail` is for humans.',
        'type': 'object',
        'required': ['type', 'title', 'status', 'code'],
        'properties': {
            'type': {'type': 'string', 'examples': [f'{PROBLEM_TYPE_BASE}sold_out']},
            'title': {'type': 'string'},
            'status': {'type': 'integer', 'minimum': 400, 'maximum': 599},
            'detail': {'type': 'string'},
            'code': {'type': 'string', 'enum': codes},
            'errors': {
                'type': 'array',
                'description': 'Which fields failed validation (validation_error only)',
                'items': {'type': 'object', 'additionalProperties': True},
            },
        },
        'additionalProperties': True,
    }


def _problem_response(codes: list[str]) -> dict[str, Any]:
    return {
        'description': 'Problem: ' + ', '.join(f'`{c}`' for c in codes),
        'content': {PROBLEM_JSON: {'schema': {'$ref': '#/components/schemas/Problem'}}},
        PROBLEMS_EXTENSION: codes,
    }


def _shared_codes(path: str, method: str, operation: dict[str, Any]) -> set[str]:
    """The problems every operation of its kind can answer, whatever it does."""
    codes = {'payload_too_large', 'too_many_requests'}  # any request may carry a body; stage throttling
    if operation.get('parameters') or 'requestBody' in operation:
        codes.add('validation_error')
    if method in ('post', 'put', 'patch'):  # a body is read before routing, declared or not (common.http)
        codes |= {'malformed_json', 'unsupported_media_type'}
    needed = access(method, path)
    if needed is not Access.PUBLIC:
        codes |= {'unauthorized', 'invalid_token'}
    if needed is Access.ADMIN:
        codes.add('forbidden')
    if '{' in path:  # an id with an encoded '/' names no route
        codes.add('route_not_found')
    if not path.startswith(_STATIC_PREFIXES):
        codes.add('service_unavailable')
    return codes


def add_problem_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Each operation's problem responses, by status, with the codes it can answer: those it
    declared (``http.problems``) and those it shares with every operation of its kind."""
    status_of = {code: status for status, codes in error_codes().items() for code in codes}
    document.setdefault('components', {}).setdefault('schemas', {})['Problem'] = problem_schema()
    for schemas in ('HTTPValidationError', 'ValidationError', 'ResponseValidationError'):
        document['components']['schemas'].pop(schemas, None)
    for path, item in document.get('paths', {}).items():
        for method, operation in item.items():
            if access(method, path) is not Access.PUBLIC:
                operation['security'] = [{'bearerAuth': []}]
            responses = operation.setdefault('responses', {})
            if '204' in responses:
                # powertools documents Response[None] as application/json; a 204 has no body.
                responses['204'].pop('content', None)
            for status in [s for s in responses if s.startswith(('4', '5'))]:
                del responses[status]  # powertools' own 422 (HTTPValidationError)
            by_status: dict[int, list[str]] = defaultdict(list)
            for code in sorted(set(operation.pop(PROBLEMS_EXTENSION, [])) | _shared_codes(path, method, operation)):
                by_status[status_of[code]].append(code)
            for status, codes in sorted(by_status.items()):
                responses[str(status)] = _problem_response(codes)
            # Anything else is ours or the gateway's failure (5xx; no stack trace, ever).
            responses['default'] = _problem_response(['gateway_error', 'internal_error'])
    return document


def _tidy(document: dict[str, Any]) -> dict[str, Any]:
    """What generators and readers see first: short operation ids, canonical header names, tags in
    a reader's order."""
    for path, item in document.get('paths', {}).items():
        for method, operation in item.items():
            # powertools' ids are <function><path>_<method>; the function name is unique enough, and
            # makes the method name of a generated client (admin routes share names with public ones).
            generated = operation.get('operationId', '')
            suffix = re.sub(r'\W', '_', _powertools_path(path)) + f'_{method}'
            if generated.endswith(suffix):
                name = generated[: -len(suffix)]
                operation['operationId'] = f'admin_{name}' if path.startswith(ADMIN_PREFIX) else name
            for parameter in operation.get('parameters', []):
                if parameter.get('in') == 'header':  # powertools lowercases header aliases
                    parameter['name'] = '-'.join(part.capitalize() for part in parameter['name'].split('-'))
                _not_null(parameter['schema'])  # an optional parameter is absent, never null
                if 'const' in parameter['schema']:  # the same rule, in the form generators take for parameters
                    parameter['schema']['enum'] = [parameter['schema'].pop('const')]
    _link(document)
    document['tags'] = TAGS
    # Guests' paths first, the admin's last (as the tags); a collection before its items.
    document['paths'] = dict(sorted(document['paths'].items(), key=lambda p: (p[0].startswith(ADMIN_PREFIX), p[0])))
    return document


def _link(document: dict[str, Any]) -> None:
    operations = {op['operationId']: op for item in document['paths'].values() for op in item.values()}
    for source, links in LINKS.items():
        created = operations[source]['responses']['201']
        unknown = sorted(target for target, _ in links.values() if target not in operations)
        if unknown:
            raise ValueError(f'links from {source} to unknown operations: {unknown}')
        created['links'] = {
            name: {'operationId': target, 'parameters': parameters} for name, (target, parameters) in links.items()
        }


def _not_null(schema: dict[str, Any]) -> None:
    options = schema.get('anyOf')
    if options and {'type': 'null'} in options:
        kept = [option for option in options if option != {'type': 'null'}]
        del schema['anyOf']
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema['anyOf'] = kept


def _powertools_path(path: str) -> str:
    return re.sub(r'\{(\w+)\}', r'<\1>', path)


def build(apps: Iterable[Any], servers: list[dict[str, str]] | None = None) -> dict[str, Any]:
    merge = OpenAPIMerge(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        # A plain dict: powertools validates it into its model when the document is built (importing
        # its OpenAPI models for the scheme would cost every docs cold start about 50 ms).
        security_schemes={'bearerAuth': BEARER_SCHEME},  # type: ignore[dict-item]  # the dict form of SecurityScheme
        on_conflict='error',
    )
    for app in apps:
        merge.add_schema(app.get_openapi_schema())
    # A plain JSON-able dict (the merge keeps powertools' enum members).
    document = json.loads(merge.get_openapi_json_schema())
    if servers:
        document['servers'] = servers
    return _tidy(add_problem_responses(document))
