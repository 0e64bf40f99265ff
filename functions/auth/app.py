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
    responses={201: {'description': 'Account created', 'content': {'application/json': {'model': UserOut}}}},
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


@app.post('/api/auth/login', tags=['auth'])
def login(body: LoginBody) -> TokenPairOut:
    """Failed attempts are limited per email and per client address (429 with ``Retry-After``)."""
    try:
        pair = accounts.login(body.email, body.password, http.now(), client_ip=http.client_ip(app))
    except errors.TooManyLoginAttempts:
        count('LoginThrottled')
        raise
    except errors.InvalidCredentials:
        count('LoginFailed')
        raise
    return _tokens(pair)


@app.post('/api/auth/refresh', tags=['auth'])
def refresh(body: RefreshBody) -> TokenPairOut:
    """Rotate the pair: the refresh token sent here stops working. Sending a refresh token that
    was already rotated signs its whole session out (someone else has a copy)."""
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
    responses={204: {'description': "Signed out: the session's refresh and access tokens stop working"}},
)
def logout(body: RefreshBody) -> Response[None]:
    """End the session the refresh token belongs to (it must be the caller's). Idempotent."""
    accounts.logout(http.principal(app), body.refresh, http.now())
    return Response(status_code=204)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return http.resolve(app, event, context)
