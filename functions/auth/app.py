"""Sign-up and sign-in: register, login, refresh, logout (JWT, DESIGN §10)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import errors, http
from common.models.api import LoginBody, RefreshBody, RegisterBody, TokenPairOut, UserOut
from common.observability import count, logger, metrics, tracer
from common.services import accounts

app = http.make_app()

AUTH = [{'bearerAuth': []}]


def _tokens(pair: accounts.TokenPair) -> TokenPairOut:
    return TokenPairOut(access=pair.access, refresh=pair.refresh, expires_in=pair.expires_in)


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
    user = accounts.register(body.email, body.password, body.name, http.now(), client_ip=http.client_ip(app))
    logger.info('user registered', user_id=user.id)
    count('UserRegistered')
    return Response(
        status_code=201,
        content_type='application/json',
        body=UserOut.from_domain(user).model_dump(mode='json'),
    )


@app.post(
    '/api/auth/login',
    tags=['auth'],
    summary='Sign in',
    description='Answers an access token (send it as `Authorization: Bearer <access>`, valid `expires_in` seconds) '
    'and a refresh token for `POST /api/auth/refresh`. A wrong email or password is 401 `invalid_credentials` '
    '(which one is never said). Failed attempts are limited per email and per client address (429 '
    '`too_many_attempts` with `Retry-After`).',
    openapi_extensions=http.problems(errors.InvalidCredentials, errors.TooManyLoginAttempts),
)
def login(body: LoginBody) -> TokenPairOut:
    try:
        pair = accounts.login(body.email, body.password, http.now(), client_ip=http.client_ip(app))
    except errors.TooManyLoginAttempts:
        count('LoginThrottled')
        raise
    except errors.InvalidCredentials:
        count('LoginFailed')
        raise
    return _tokens(pair)


@app.post(
    '/api/auth/refresh',
    tags=['auth'],
    summary='Rotate the token pair',
    description='Answers a new access and refresh token; the refresh token sent stops working. Sending a refresh '
    'token that was already rotated signs its whole session out (someone else has a copy): 401 `invalid_token`.',
    openapi_extensions=http.problems(errors.InvalidToken),
)
def refresh(body: RefreshBody) -> TokenPairOut:
    try:
        return _tokens(accounts.refresh(body.refresh, http.now()))
    except errors.RefreshTokenReused:
        logger.warning('refresh token reused: session revoked')
        count('RefreshTokenReused')
        raise


@app.post(
    '/api/auth/logout',
    tags=['auth'],
    security=AUTH,
    summary='Sign out',
    description="Ends the session the refresh token belongs to (it must be the caller's): its refresh and access "
    'tokens stop working at once. Idempotent.',
    responses={204: {'description': "Signed out: the session's refresh and access tokens stop working"}},
    openapi_extensions=http.problems(errors.InvalidToken),
)
def logout(body: RefreshBody) -> Response[None]:
    accounts.logout(http.principal(app), body.refresh, http.now())
    return Response(status_code=204)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return http.resolve(app, event, context)
