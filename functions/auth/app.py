"""Sign-up and sign-in: register, login, refresh, logout, logout-all (JWT, DESIGN §10).

Two ways to hold the refresh token. API clients get it in the JSON body and send it back in the
body. The web client sends ``X-Refresh-Token: cookie`` on login, refresh and logout: the token then
travels only in an HttpOnly, Secure, SameSite=Strict cookie scoped to /api/auth, which page script
(ours or injected) cannot read; the body carries ``"refresh": null``. The cookie is read only when
that header is present: a custom header cannot be sent cross-origin without a CORS preflight the
API does not grant, so another site cannot make the browser spend it (docs/web.md).
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponseHeader
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import errors, http, metrics, observability, wiring
from common.models.api import LoginBody, RefreshBody, RegisterBody, TokenPairOut, UserOut
from common.observability import logger
from common.services import accounts
from common.services.deps import Deps

app = http.make_app()
# __Secure-: browsers refuse the cookie unless it is Secure. The path is the web client's (the
# site and the API share an origin at /api, locally and behind CloudFront).
REFRESH_COOKIE = '__Secure-refresh'
REFRESH_COOKIE_PATH = '/api/auth'
CookieMode = Annotated[
    Literal['cookie'] | None,
    Header(
        alias='X-Refresh-Token',
        description='`cookie`: the refresh token is kept in an HttpOnly cookie (web client), not the body',
    ),
]
SETS_COOKIE: dict[str, OpenAPIResponseHeader] = {
    'Set-Cookie': {
        'description': 'With X-Refresh-Token: cookie, the refresh token (HttpOnly, Secure, SameSite=Strict)',
        'schema': {'type': 'string'},
    }
}


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


def _refresh_cookie(token: str, max_age: int) -> Cookie:
    return Cookie(
        name=REFRESH_COOKIE,
        value=token,
        path=REFRESH_COOKIE_PATH,
        secure=True,
        http_only=True,
        same_site=SameSite.STRICT_MODE,
        max_age=max_age,
    )


def _tokens(pair: accounts.TokenPair, mode: str | None) -> Response[TokenPairOut]:
    in_cookie = mode == 'cookie'
    body = TokenPairOut.from_domain(pair, in_cookie=in_cookie)
    cookies = [_refresh_cookie(pair.refresh, pair.refresh_expires_in)] if in_cookie else []
    return Response(
        status_code=200,
        content_type='application/json',
        body=body,
        cookies=cookies,
        headers={'Cache-Control': 'no-store'},
    )


def _presented(body: RefreshBody | None, mode: str | None) -> str:
    """The refresh token of this request: from the cookie in cookie mode, else from the body."""
    token = _cookie(REFRESH_COOKIE) if mode == 'cookie' else (body.refresh if body else None)
    if not token:
        raise errors.InvalidToken('No refresh token was sent')
    return token


def _cookie(name: str) -> str | None:
    raw = app.current_event.headers.get('cookie') or ''
    try:
        jar = SimpleCookie(raw)
    except CookieError:
        return None
    found = jar.get(name)
    return found.value if found else None


@app.post(
    '/api/auth/register',
    tags=['auth'],
    summary='Create a guest account',
    description='Then sign in with `POST /api/auth/login`. The email must be new (409 `email_taken`); the password '
    'at least 10 characters and not the email or its part before the @ (422 `weak_password`, with the `rule` '
    'broken). Registrations are limited per client address (429 `too_many_registrations`, `Retry-After`).',
    responses={201: {'description': 'Account created', 'content': {'application/json': {'model': UserOut}}}},
    openapi_extensions=http.problems(errors.EmailTaken, errors.WeakPassword, errors.TooManyRegistrations),
)
def register(body: RegisterBody) -> Response[UserOut]:
    user = accounts.register(
        deps(), body.email, body.password, body.name, deps().clock(), client_ip=http.client_ip(app)
    )
    logger.info('user registered', user_id=user.id)
    metrics.record(user)
    return Response(status_code=201, content_type='application/json', body=UserOut.from_domain(user))


@app.post(
    '/api/auth/login',
    tags=['auth'],
    summary='Sign in',
    description='Answers an access token (send it as `Authorization: Bearer <access>`, valid `expires_in` seconds) '
    'and a refresh token for `POST /api/auth/refresh` (with `X-Refresh-Token: cookie`, in an HttpOnly cookie '
    'instead, and `refresh` is null). A wrong email or password is 401 `invalid_credentials` (which one is never '
    'said). Failed attempts are limited per email and per client address (429 `too_many_attempts` with '
    '`Retry-After`).',
    responses={
        200: {
            'description': 'Signed in',
            'headers': SETS_COOKIE,
            'content': {'application/json': {'model': TokenPairOut}},
        }
    },
    openapi_extensions=http.problems(errors.InvalidCredentials, errors.TooManyLoginAttempts),
)
def login(body: LoginBody, mode: CookieMode = None) -> Response[TokenPairOut]:
    pair = accounts.login(deps(), body.email, body.password, deps().clock(), client_ip=http.client_ip(app))
    return _tokens(pair, mode)


@app.post(
    '/api/auth/refresh',
    tags=['auth'],
    summary='Rotate the token pair',
    description='Answers a new access and refresh token; the refresh token sent (in the body, or with '
    '`X-Refresh-Token: cookie` in its cookie) stops working. Sending a refresh token that was already rotated signs '
    'its whole session out (someone else has a copy): 401 `invalid_token`. A session ends `SESSION_MAX_SECONDS` '
    '(30 days) after its sign-in however often it is refreshed: then 401 `session_expired`, sign in again.',
    responses={
        200: {
            'description': 'A new pair',
            'headers': SETS_COOKIE,
            'content': {'application/json': {'model': TokenPairOut}},
        }
    },
    openapi_extensions=http.problems(errors.InvalidToken, errors.SessionExpired),
)
def refresh(body: RefreshBody | None = None, mode: CookieMode = None) -> Response[TokenPairOut]:
    return _tokens(accounts.refresh(deps(), _presented(body, mode), deps().clock()), mode)


@app.post(
    '/api/auth/logout',
    tags=['auth'],
    summary='Sign out',
    description="Ends the session the refresh token belongs to (it must be the caller's): its refresh and access "
    'tokens stop working at once. Idempotent.',
    responses={204: {'description': "Signed out: the session's refresh and access tokens stop working"}},
    openapi_extensions=http.problems(errors.InvalidToken, errors.SessionExpired),
)
def logout(body: RefreshBody | None = None, mode: CookieMode = None) -> Response[None]:
    accounts.logout(deps(), http.caller(app), _presented(body, mode), deps().clock())
    cleared = [_refresh_cookie('', 0)] if mode == 'cookie' else []
    return Response(status_code=204, cookies=cleared)


@app.post(
    '/api/auth/logout-all',
    tags=['auth'],
    summary='Sign out everywhere',
    description='Ends every session of the caller at once, this one included (a lost device, a leaked token): '
    'their refresh and access tokens stop working on the next request. With `X-Refresh-Token: cookie` the '
    'cookie is cleared too.',
    responses={204: {'description': "Signed out everywhere: every session's refresh and access tokens stop working"}},
)
def logout_all(mode: CookieMode = None) -> Response[None]:
    accounts.logout_all(deps(), http.caller(app), deps().clock())
    cleared = [_refresh_cookie('', 0)] if mode == 'cookie' else []
    return Response(status_code=204, cookies=cleared)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.resolve(app, event, context, deps)
