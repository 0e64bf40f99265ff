"""Sign-up and sign-in: register, login, refresh (JWT, DESIGN §10)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import http
from common.models.api import LoginBody, RefreshBody, RegisterBody, TokenPairOut, UserOut
from common.observability import logger, metrics, tracer
from common.services import accounts

app = http.make_app()


def _tokens(pair: accounts.TokenPair) -> TokenPairOut:
    return TokenPairOut(access=pair.access, refresh=pair.refresh, expires_in=pair.expires_in)


@app.post(
    '/api/auth/register',
    tags=['auth'],
    responses={201: {'description': 'Account created', 'content': {'application/json': {'model': UserOut}}}},
)
def register(body: RegisterBody) -> Response[UserOut]:
    user = accounts.register(body.email, body.password, body.name, http.now())
    logger.info('user registered', user_id=user.id)
    metrics.add_metric(name='UserRegistered', unit=MetricUnit.Count, value=1)
    return Response(
        status_code=201,
        content_type='application/json',
        body=UserOut.from_domain(user).model_dump(mode='json'),
    )


@app.post('/api/auth/login', tags=['auth'])
def login(body: LoginBody) -> TokenPairOut:
    return _tokens(accounts.login(body.email, body.password, http.now()))


@app.post('/api/auth/refresh', tags=['auth'])
def refresh(body: RefreshBody) -> TokenPairOut:
    """Rotate the pair: the refresh token sent here stops working."""
    return _tokens(accounts.refresh(body.refresh, http.now()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return http.resolve(app, event, context)
