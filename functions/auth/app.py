"""Sign-up and sign-in: register, login, refresh, logout (JWT, DESIGN §10)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import http, metrics, observability, wiring
from common.models.api import LoginBody, RefreshBody, RegisterBody, TokenPairOut, UserOut
from common.observability import logger, tracer
from common.services import accounts
from common.services.deps import Deps

app = http.make_app()


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


@app.post(
    '/api/auth/register',
    tags=['auth'],
    responses={201: {'description': 'Account created', 'content': {'application/json': {'model': UserOut}}}},
)
def register(body: RegisterBody) -> Response[UserOut]:
    user = accounts.register(
        deps(), body.email, body.password, body.name, deps().clock(), client_ip=http.client_ip(app)
    )
    logger.info('user registered', user_id=user.id)
    metrics.record(user)
    return Response(
        status_code=201,
        content_type='application/json',
        body=UserOut.from_domain(user),
    )


@app.post('/api/auth/login', tags=['auth'])
def login(body: LoginBody) -> TokenPairOut:
    """Failed attempts are limited per email and per client address (429 with ``Retry-After``)."""
    pair = accounts.login(deps(), body.email, body.password, deps().clock(), client_ip=http.client_ip(app))
    return TokenPairOut.from_domain(pair)


@app.post('/api/auth/refresh', tags=['auth'])
def refresh(body: RefreshBody) -> TokenPairOut:
    """Rotate the pair: the refresh token sent here stops working. Sending a refresh token that
    was already rotated signs its whole session out (someone else has a copy)."""
    return TokenPairOut.from_domain(accounts.refresh(deps(), body.refresh, deps().clock()))


@app.post(
    '/api/auth/logout',
    tags=['auth'],
    responses={204: {'description': "Signed out: the session's refresh and access tokens stop working"}},
)
def logout(body: RefreshBody) -> Response[None]:
    """End the session the refresh token belongs to (it must be the caller's). Idempotent."""
    accounts.logout(deps(), http.caller(app), body.refresh, deps().clock())
    return Response(status_code=204)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@observability.metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.resolve(app, event, context, deps)
