"""HTTP edge shared by every API function: resolver factory, RFC 9457 errors, who may call what.

Every error leaves here as ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail`` and a stable ``code``; nothing a client sends produces a 500 or a stack trace.

Access is declared once, here: a route is public only if it is in ``PUBLIC_ROUTES``; every other
route needs a valid access token of a live session, and routes under ``/api/admin/`` the admin
role. ``resolve`` checks it on the raw API Gateway event (its ``resource``, the template's route,
and method) before the resolver validates anything: an anonymous caller gets 401, never a
validation report, and a route added later is protected unless it is declared public.
"""

from __future__ import annotations

import base64
import contextlib
import enum
import json
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from common import errors, metrics
from common.config import settings
from common.domain import Principal, Role
from common.observability import logger
from common.services import accounts
from common.services.deps import Deps

PROBLEM_JSON = 'application/problem+json'
PROBLEM_TYPE_BASE = 'urn:hotel-booking:problem:'
_BODY_METHODS = frozenset({'POST', 'PUT', 'PATCH'})
ADMIN_PREFIX = '/api/admin/'
# pydantic prefixes the message of a ValueError/assert raised in a validator; clients read the rule.
_PYDANTIC_PREFIXES = ('Value error, ', 'Assertion failed, ')

# ---------------------------------------------------------------- what routes declare

# Parameters several routes share, with the rules the OpenAPI document states for them.
PageSize = Annotated[int | None, Query(ge=1, le=100, description='Items per page (default PAGE_SIZE_DEFAULT, 20)')]
Cursor = Annotated[
    str | None,
    Query(
        max_length=2048,
        description='Opaque: the `next_cursor` of the previous page, unchanged (400 `invalid_cursor` otherwise)',
    ),
]
IDEMPOTENCY_KEY_PATTERN = r'^[!-~]([ -~]{0,253}[!-~])?$'
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias='Idempotency-Key',
        max_length=255,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description='1 to 255 printable ASCII characters (a UUID will do), unique per intended operation. '
        'A retry with the same key and body answers the first result again; the same key with another body '
        'is 422 `idempotency_key_reused`; while the first request runs, 409 `idempotency_in_progress`. '
        'Kept for IDEMPOTENCY_TTL_SECONDS (24 h).',
        examples=['4f7c1b8e-3a52-4d8b-9a4e-2f0b6c1d9e77'],
    ),
]
PROBLEMS_EXTENSION = 'x-problem-codes'


def problems(*raised: type[errors.DomainError]) -> dict[str, list[str]]:
    """A route's ``openapi_extensions``: the problems it answers beyond those every operation
    shares (validation, authentication, the gateway's), documented per status by common.openapi."""
    return {PROBLEMS_EXTENSION: sorted({cls.code for cls in raised})}


# DESIGN §6: the routes anyone may call without a token, as template.yaml declares them (method,
# API Gateway resource). Every other route needs a signed-in caller; /api/admin/... the admin role.
PUBLIC_ROUTES = frozenset(
    {
        ('GET', '/api/health'),
        ('GET', '/api/config'),  # what the web client needs before anyone signs in (Stripe.js)
        ('GET', '/api/hotels'),
        ('GET', '/api/hotels/{hotel_id}'),
        ('GET', '/api/room-types'),
        ('GET', '/api/room-types/{room_type_id}'),
        ('GET', '/api/room-types/{room_type_id}/calendar'),
        ('GET', '/api/room-types/{room_type_id}/reviews'),
        ('GET', '/api/rooms/search'),
        ('POST', '/api/auth/register'),
        ('POST', '/api/auth/login'),
        ('POST', '/api/auth/refresh'),
        ('POST', '/api/webhook'),  # Stripe: the signature is its credential
        ('GET', '/api/docs'),
        ('GET', '/api/redoc'),
        ('GET', '/api/docs/assets/{asset}'),
        ('GET', '/api/openapi.json'),
    }
)


class Access(enum.Enum):
    PUBLIC = 'public'
    SIGNED_IN = 'signed_in'
    ADMIN = 'admin'


def access(method: str, resource: str | None) -> Access:
    """Who may call a route. Anything not declared public needs a token (an event without a
    resource too: fail closed)."""
    if resource is not None and (method.upper(), resource) in PUBLIC_ROUTES:
        return Access.PUBLIC
    if resource is not None and resource.startswith(ADMIN_PREFIX):
        return Access.ADMIN
    return Access.SIGNED_IN


def problem(status: int, code: str, title: str, detail: str | None = None, **extra: Any) -> Response[str]:
    headers = extra.pop('headers', None) or {}
    body = {
        'type': f'{PROBLEM_TYPE_BASE}{code}',
        'title': title,
        'status': status,
        'detail': detail or title,
        'code': code,
        **extra,
    }
    return Response(status_code=status, content_type=PROBLEM_JSON, body=json.dumps(body), headers=headers)


def _problem_from(exc: errors.DomainError) -> Response[str]:
    return problem(exc.status, exc.code, exc.title, exc.detail, headers=exc.headers, **exc.extra)


def _validation_problem(exc: RequestValidationError) -> Response[str]:
    details = exc.errors()
    if any(e.get('type') == 'json_invalid' for e in details):
        return _problem_from(errors.MalformedJson('The request body could not be parsed as JSON'))
    shown = [
        {
            'loc': [str(part) for part in e.get('loc', ())],
            'type': e.get('type'),
            # pydantic's messages describe the rule broken, never the code; inputs are not echoed.
            'msg': _message(e.get('msg', '')),
        }
        for e in details
    ]
    return problem(422, 'validation_error', 'The request is not valid', _summary(shown), errors=shown)


def _message(msg: str) -> str:
    for prefix in _PYDANTIC_PREFIXES:
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg


def _summary(shown: list[dict[str, Any]]) -> str:
    first = shown[0] if shown else {}
    where = '.'.join(p for p in first.get('loc', []) if p not in ('body', 'query', 'path'))
    return f'{where}: {first.get("msg", "invalid")}' if where else str(first.get('msg', 'invalid'))


def _transient(exc: Exception) -> bool:
    if isinstance(exc, PynamoDBException):
        code = exc.cause_response_code or ''
    elif isinstance(exc, ClientError):
        code = exc.response.get('Error', {}).get('Code', '')
    else:
        return isinstance(exc, BotoCoreError)  # connection failures, timeouts
    return 'Throttl' in code or 'Exceeded' in code or code in {'InternalServerError', 'ServiceUnavailable'}


# The bearer JWT scheme of every operation that needs a token (OpenAPI's securitySchemes).
BEARER_SCHEME = {
    'type': 'http',
    'scheme': 'bearer',
    'bearerFormat': 'JWT',
    'description': 'Access token from /api/auth/login',
}


def make_app() -> APIGatewayRestResolver:
    """A REST API resolver with pydantic validation and the error mapping every function shares."""
    origin = settings().cors_allow_origin
    cors = (
        CORSConfig(
            allow_origin=origin,
            allow_headers=['Idempotency-Key'],
            expose_headers=['Location', 'Retry-After'],
            max_age=600,
        )
        if origin
        else None
    )
    app = APIGatewayRestResolver(enable_validation=True, cors=cors)

    @app.exception_handler(errors.DomainError)
    def _domain(exc: errors.DomainError) -> Response[str]:
        metrics.refused(exc)
        return _problem_from(exc)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[str]:
        return _validation_problem(exc)

    @app.exception_handler(RequestUnsupportedContentType)
    def _media(exc: RequestUnsupportedContentType) -> Response[str]:
        return _problem_from(errors.UnsupportedMediaType())

    @app.not_found
    def _no_route(exc: NotFoundError) -> Response[str]:
        return problem(
            404, 'route_not_found', 'No such route', f'{app.current_event.http_method} {app.current_event.path}'
        )

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[str]:
        if _transient(exc):
            logger.warning('dependency unavailable', error=type(exc).__name__)
            return _problem_from(errors.ServiceUnavailable())
        logger.exception('unhandled error')
        return problem(500, 'internal_error', 'Internal error', 'Something went wrong on our side')

    return app


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get('headers') or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _early_refusal(event: dict[str, Any], max_body_bytes: int | None = None) -> Response[str] | None:
    """Checks done on the raw event before routing: body size and media type."""
    body = event.get('body')
    if body is None or body == '':
        return None
    limit = max_body_bytes or settings().max_body_bytes
    size = len(body) * 3 // 4 if event.get('isBase64Encoded') else len(body.encode())
    if size > limit:
        return _problem_from(errors.PayloadTooLarge(f'The body may be at most {limit} bytes'))
    if event.get('httpMethod') in _BODY_METHODS:
        media = (_header(event, 'content-type') or 'application/json').split(';')[0].strip().lower()
        if media != 'application/json' and not media.endswith('+json'):
            return _problem_from(errors.UnsupportedMediaType())
        text = body
        if event.get('isBase64Encoded'):
            try:
                text = base64.b64decode(body, validate=True).decode('utf-8')
            except (ValueError, UnicodeDecodeError):
                return _problem_from(errors.MalformedJson('The request body is not UTF-8 JSON'))
        if _nested_too_deeply(text):
            return _problem_from(errors.MalformedJson('The request body is nested too deeply'))
    return None


def _nested_too_deeply(text: str) -> bool:
    """JSON nested past the parser's recursion limit (``[[[[...``) would surface as a
    RecursionError, i.e. a 500, from the body parser. The body is at most MAX_BODY_BYTES, so
    parsing it once more here costs microseconds; any other parse error is reported later."""
    try:
        json.loads(text)
    except RecursionError:
        return True
    except ValueError:
        return False
    return False


def _authenticate(app: APIGatewayRestResolver, event: dict[str, Any], deps: Callable[[], Deps] | None) -> None:
    """The caller of a protected route, verified before routing and validation (401 without a
    valid access token of a live session; 403 for a guest on an admin route, before any read)."""
    needed = access(str(event.get('httpMethod') or ''), event.get('resource'))
    if needed is Access.PUBLIC:
        return
    if deps is None:  # a function that serves public routes only
        raise errors.Unauthorized('Send Authorization: Bearer <access token>')
    role = Role.ADMIN if needed is Access.ADMIN else None
    current = deps()
    caller = accounts.authenticate(current, _header(event, 'authorization'), current.clock(), required_role=role)
    app.append_context(principal=caller)


def _result(refused: Response[str]) -> dict[str, Any]:
    return {
        'statusCode': refused.status_code,
        'headers': {'Content-Type': PROBLEM_JSON, **{k: str(v) for k, v in refused.headers.items()}},
        'body': refused.body,
        'isBase64Encoded': False,
    }


def resolve(
    app: APIGatewayRestResolver,
    event: dict[str, Any],
    context: LambdaContext,
    deps: Callable[[], Deps] | None,
    max_body_bytes: int | None = None,
) -> dict[str, Any]:
    """Answer one API Gateway event: early refusals on the raw event (body size, media type),
    then the caller (see ``access``), then the resolver (validation, the route).

    ``deps`` builds the function's dependencies (the session check reads the table); None for a
    function whose routes are all public, which refuses any other route with 401."""
    refused = _early_refusal(event, max_body_bytes)
    if refused is None:
        try:
            _authenticate(app, event, deps)
        except errors.DomainError as exc:
            refused = _problem_from(exc)
    if refused is not None:
        result = _result(refused)
    else:
        result = app.resolve(_with_decoded_path(event), context)
        if result.get('body') is None:
            # A 204's body: the proxy integration's body is a string. API Gateway tolerates null;
            # ministack's gateway fails on it with a 500 (docs/run-emulated.md).
            result['body'] = ''
    _log_request(event, result)
    return result


def _with_decoded_path(event: dict[str, Any]) -> dict[str, Any]:
    """The proxy event's ``path`` is the path as the client sent it, percent-encoded; the resolver
    matches routes and reads path parameters from it. Decode each segment, so a parameter is
    validated as the text the client meant (an id of 64 characters is 64 characters, not the 150 of
    its UTF-8 escapes). An encoded ``/`` stays encoded: it never makes a new segment."""
    path = event.get('path')
    if not path or '%' not in path:
        return event
    decoded = '/'.join(unquote(segment).replace('/', '%2F') for segment in path.split('/'))
    return {**event, 'path': decoded}


def _log_request(event: dict[str, Any], result: dict[str, Any]) -> None:
    """One line per request (with the correlation id the handler's logger injects): the route
    template, never the query or body, and for a refusal the problem's code."""
    status = int(result.get('statusCode') or 0)
    route = (event.get('requestContext') or {}).get('resourcePath') or event.get('resource')
    fields: dict[str, Any] = {'method': event.get('httpMethod'), 'route': route, 'status': status}
    if status >= 400 and isinstance(result.get('body'), str):
        with contextlib.suppress(ValueError, AttributeError):  # a body that is not a problem
            fields['code'] = json.loads(result['body']).get('code')
    logger.info('request', **fields)


def caller(app: APIGatewayRestResolver) -> Principal:
    """The verified caller of this request (``resolve`` authenticated it before routing)."""
    found = app.context.get('principal')
    if not isinstance(found, Principal):  # a public route asking for a caller: a programming error
        raise errors.Unauthorized('Send Authorization: Bearer <access token>')
    return found


def base_path(app: APIGatewayRestResolver) -> str:
    """Where the API is mounted: ``/{stage}`` behind an API Gateway stage URL, '' locally and
    behind a custom domain (whose requests do not carry the stage in their path)."""
    request = app.current_event.raw_event.get('requestContext') or {}
    stage, path = request.get('stage'), request.get('path') or ''
    return f'/{stage}' if stage and stage != '$default' and path.startswith(f'/{stage}/') else ''


def raw_body(app: APIGatewayRestResolver) -> bytes:
    """The exact bytes the client sent (API Gateway may base64 them)."""
    event = app.current_event
    body = event.body or ''
    return base64.b64decode(body) if event.is_base64_encoded else body.encode()


Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def client_ip(app: APIGatewayRestResolver) -> str:
    """The address API Gateway saw the request come from (``requestContext.identity.sourceIp``).

    Never ``X-Forwarded-For``: a client sets that header to anything it likes. Behind CloudFront
    this would be the edge's address; the abuse limits would then need the viewer address header
    CloudFront sets, trusted only from CloudFront.
    """
    identity = (app.current_event.raw_event.get('requestContext') or {}).get('identity') or {}
    return str(identity.get('sourceIp') or 'unknown')
