"""One OpenAPI 3.1 document for the whole API, generated from the functions' own resolvers.

Each function's powertools resolver describes its routes from the same pydantic models and
signatures that validate requests; this merges them and adds what every operation shares: the
bearer JWT scheme where ``http.access`` says a token is needed (the same declaration that
enforces it), and the RFC 9457 problem responses with their stable codes.
"""

from __future__ import annotations

import inspect
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

from common import errors
from common.http import BEARER_SCHEME, PROBLEM_JSON, PROBLEM_TYPE_BASE, Access, access

TITLE = 'Hotel booking API'
VERSION = '1.0.0'
DESCRIPTION = (
    'Search room types, hold rooms for a stay (PENDING for BOOKING_HOLD_SECONDS), pay with Stripe, '
    'cancel with the 48-hour rule. Errors are RFC 9457 `application/problem+json` with a stable `code`. '
    'Send `Authorization: Bearer <access token>` (from POST /api/auth/login) where a lock is shown.'
)


def error_codes() -> dict[int, list[str]]:
    """Every stable problem code, by HTTP status, read from the domain error classes."""
    by_status: dict[int, set[str]] = defaultdict(set)
    for _, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, errors.DomainError):
            by_status[cls.status].add(cls.code)
    by_status[400].add('malformed_json')
    by_status[404].add('route_not_found')
    by_status[500].add('internal_error')
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


def _problem_response(status: int, codes: list[str]) -> dict[str, Any]:
    return {
        'description': 'Problem: ' + ', '.join(f'`{c}`' for c in codes),
        'content': {PROBLEM_JSON: {'schema': {'$ref': '#/components/schemas/Problem'}}},
    }


# Operations refused with 429 besides sign-in and sign-up: holds (too_many_holds, too_many_hold_attempts).
_RATE_LIMITED = frozenset({('post', '/api/bookings')})


def _statuses_for(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    statuses = [404, 422, 503]
    if 'requestBody' in operation:
        statuses += [400, 413, 415]
    needed = access(method, path)
    if needed is not Access.PUBLIC:
        statuses.append(401)
    if needed is Access.ADMIN:
        statuses.append(403)
    if method in ('post', 'put', 'patch', 'delete'):
        statuses.append(409)
    if path.startswith('/api/auth/') or (method, path) in _RATE_LIMITED:
        statuses.append(429)
    return sorted(set(statuses))


def add_problem_responses(document: dict[str, Any]) -> dict[str, Any]:
    codes = error_codes()
    document.setdefault('components', {}).setdefault('schemas', {})['Problem'] = problem_schema()
    for schemas in ('HTTPValidationError', 'ValidationError', 'ResponseValidationError'):
        document['components']['schemas'].pop(schemas, None)
    for path, item in document.get('paths', {}).items():
        for method, operation in item.items():
            description = (operation.get('description') or '').strip()
            if operation.get('summary') == f'{method.upper()} {path}' and description:
                operation['summary'] = description.splitlines()[0].rstrip('.')
            if access(method, path) is not Access.PUBLIC:
                operation['security'] = [{'bearerAuth': []}]
            responses = operation.setdefault('responses', {})
            if '204' in responses:
                # powertools documents Response[None] as application/json; a 204 has no body.
                responses['204'].pop('content', None)
            for status in _statuses_for(path, method, operation):
                responses[str(status)] = _problem_response(status, codes.get(status, [f'{status}']))
            responses['default'] = _problem_response(500, codes[500])
    return document


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
    return add_problem_responses(document)
